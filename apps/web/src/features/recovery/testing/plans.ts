/**
 * Recovery plans as the hub returns them, for the recovery pages' tests: a punch-hole plan of a file on an fsdax
 * namespace, with the steps, data loss and checks the agent's protocol gives (apps/api/src/agent/recovery), and
 * the states it moves through (refused, expired, executing, verified, still-present, failed).
 */
import type { RecoveryCheck, RecoveryPlan, RecoveryStepResult, RecoveryVerification } from '@daxfleet/shared';

export const PLAN_ID = 'rp_7Qm2xK9a';
export const DIGEST = 'a'.repeat(16) + '0123456789abcdef'.repeat(3);
export const FILE = '/mnt/ext4-dax/db/table.bin';

export const PRECONDITIONS: RecoveryCheck[] = [
  { id: 'range-still-bad', ok: true, detail: 'region2+131072 (8 sectors) is still listed by region2/badblocks' },
  { id: 'namespace-mode', ok: true, detail: 'namespace2.0 is fsdax: file actions apply' },
  { id: 'file-on-namespace', ok: true, detail: `${FILE} is on /dev/pmem2 (mounted on /mnt/ext4-dax)` },
  { id: 'file-regular', ok: true, detail: `${FILE} is a regular file` },
  { id: 'file-covers-range', ok: true, detail: 'GETFSMAP: 2048 bytes of the range belong to inode 13' },
  { id: 'mounted-rw', ok: true, detail: '/mnt/ext4-dax is mounted read-write' },
  { id: 'not-open', ok: true, detail: 'no process has the file open or mapped' },
  { id: 'fs-supports-punch', ok: true, detail: 'ext4 supports FALLOC_FL_PUNCH_HOLE' },
];

export function planned(overrides: Partial<RecoveryPlan> = {}): RecoveryPlan {
  const now = Date.now();
  return {
    id: PLAN_ID,
    host_id: 'host-a',
    action: 'punch-hole',
    status: 'planned',
    created_at: new Date(now - 5_000).toISOString(),
    created_by: 'operator-1',
    expires_at: new Date(now + 595_000).toISOString(),
    plan: {
      action: 'punch-hole',
      request: { action: 'punch-hole', range: { region: 'region2', region_offset: 131072, length: 8 }, path: FILE, ttl_seconds: 600 },
      target: {
        namespace: 'namespace2.0', mode: 'fsdax', blockdev: 'pmem2', sector: 131072, sectors: 8, spa: '0x2c8000000',
        mountpoint: '/mnt/ext4-dax', fstype: 'ext4', dax: 'always', path: FILE, inode: 13, file_size: 4194304,
        file_ranges: [{ offset: 1048576, length: 2048 }],
      },
      steps: [
        { n: 1, op: 'punch-hole', description: `fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) ${FILE} bytes 1048576+2048` },
        { n: 2, op: 'fsync', description: `fsync(${FILE})` },
        { n: 3, op: 'reread-badblocks', description: 'read region2/badblocks and /sys/block/pmem2/badblocks again' },
        { n: 4, op: 'remap-range', description: 'map region2+131072 to files again: it must no longer hit inode 13' },
        { n: 5, op: 'read-file', description: `read ${FILE} whole: bytes 1048576-1050623 read as zeros, the rest without error` },
      ],
      data_loss: [{ kind: 'file-bytes', path: FILE, inode: 13, offset: 1048576, length: 2048, detail: `bytes 1048576–1050623 of ${FILE} read as zeros afterwards` }],
      checks: PRECONDITIONS,
      executable: true,
      digest: DIGEST,
      planned_at: new Date(now - 5_000).toISOString(),
    },
    ...overrides,
  };
}

export function refused(): RecoveryPlan {
  const base = planned();
  const refusal = 'pid 4711 (postgres) has the file mapped: stop it, then plan again';
  return {
    ...base,
    status: 'refused',
    plan: {
      ...base.plan, executable: false, refusal,
      checks: PRECONDITIONS.map((check) => (check.id === 'not-open' ? { ...check, ok: false, detail: refusal } : check)),
    },
  };
}

function steps(statuses: RecoveryStepResult['status'][], details: Record<number, string> = {}): RecoveryStepResult[] {
  const ops = planned().plan.steps;
  return statuses.map((status, index) => ({
    n: index + 1, op: ops[index]!.op, status, ...(details[index + 1] !== undefined ? { detail: details[index + 1] } : {}),
  }));
}

export function executing(): RecoveryPlan {
  return planned({
    status: 'executing',
    execution: {
      executed_by: 'operator-1', started_at: new Date().toISOString(),
      progress: { step: 1, of: 5, op: 'punch-hole', message: 'punching 2048 bytes', done: 1024, total: 2048, unit: 'bytes' },
      steps: steps(['running', 'pending', 'pending', 'pending', 'pending']),
    },
  });
}

function finished(status: RecoveryPlan['status'], verification: RecoveryVerification, stepStates: RecoveryStepResult['status'][], error?: string): RecoveryPlan {
  return planned({
    status,
    execution: {
      executed_by: 'operator-1', started_at: new Date(Date.now() - 4_000).toISOString(), finished_at: new Date().toISOString(),
      steps: steps(stepStates, { 1: 'punched 1048576+2048' }), verification, ...(error === undefined ? {} : { error }),
    },
  });
}

const FILE_CHECKS: RecoveryCheck[] = [
  { id: 'range-not-in-file', ok: true, detail: 'region2+131072 no longer hits inode 13' },
  { id: 'hole-zeroed', ok: true, detail: 'bytes 1048576–1050623 read as zeros' },
  { id: 'file-readable', ok: true, detail: `${FILE} reads without error (4194304 bytes)` },
];

export function verified(): RecoveryPlan {
  return finished('verified', {
    verdict: 'cleared', remaining: [],
    checks: [{ id: 'range-reread', ok: true, detail: 'region2/badblocks and pmem2/badblocks no longer list region2+131072' }, ...FILE_CHECKS],
    detail: 'The range is no longer listed bad: the platform cleared the poison.', verified_at: new Date().toISOString(),
  }, ['done', 'done', 'done', 'done', 'done']);
}

export const STILL_PRESENT_DETAIL = 'The file no longer uses the bad sectors, but the freed blocks stay listed until the filesystem allocates them again and zeroes them through the driver, which clears the poison on a platform that can clear it.';

export function stillPresent(): RecoveryPlan {
  return finished('still-present', {
    verdict: 'still-present', remaining: [{ region_offset: 131072, length: 8 }],
    checks: [{ id: 'range-reread', ok: true, detail: 'region2+131072 (8 sectors) is still listed' }, ...FILE_CHECKS],
    detail: STILL_PRESENT_DETAIL, verified_at: new Date().toISOString(),
  }, ['done', 'done', 'done', 'done', 'done']);
}

export function failed(): RecoveryPlan {
  return finished('failed', {
    verdict: 'failed', remaining: [{ region_offset: 131072, length: 8 }],
    checks: [
      { id: 'range-reread', ok: true, detail: 'region2+131072 (8 sectors) is still listed' },
      { id: 'range-not-in-file', ok: false, detail: 'region2+131072 still hits inode 13 at file offset 1048576' },
    ],
    detail: 'The hole was not punched: the range still belongs to the file.', verified_at: new Date().toISOString(),
  }, ['failed', 'skipped', 'skipped', 'skipped', 'skipped'], 'step 1 punch-hole: fallocate failed with EOPNOTSUPP');
}
