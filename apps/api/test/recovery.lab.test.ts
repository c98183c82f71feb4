/**
 * Recovery actions against the real kernel in the pmem lab: the agent's planner and executor (apps/api/dist
 * agent/recovery: planRecovery through RecoveryExecutor, verification by re-reading the bad-block lists) and the
 * native calls of @daxfleet/dax-native, run inside lab guests by recovery.lab.guest-*.mjs, which also read the
 * results back independently of the agent (plain reads and sha256, stat, filefrag / xfs_bmap, the sysfs lists).
 *
 * Two guests, booted at the same time:
 * - QEMU's emulated NVDIMM (no ARS, no error injection, no clear-error command). Bad blocks are written to
 *   /sys/block/pmemX/badblocks under known file offsets on ext4 and xfs mounted -o dax. punch-hole, truncate and
 *   delete-restore repair the files, but the range stays listed: the freed blocks are cleared only when the
 *   filesystem allocates them again and zeroes them through the driver, and QEMU cannot clear poison at all (a
 *   write of a bad sector through /dev/pmemX fails EIO: checked with dd, and here through clear-errors on a raw
 *   namespace). The verdict must say still-present, never cleared. Refusals: a file open or only mmap'ed by another
 *   process, a file changed after planning (digest), clear-errors on a mounted block device, and on a devdax
 *   namespace with region poison (software-injected MCE) whose bus has no clear-error or ARS.
 * - nfit_test (the kernel's NVDIMM test bus, packages/dax-native/test/lab-guest.ts NFIT_TEST_SWAP): it emulates
 *   ARS, error injection and clear-error, so errors injected with `ndctl inject-error` and found by a scrub are
 *   really cleared: on a raw namespace by writing zeros through the pmem driver, on a devdax namespace with the
 *   bus's clear-error command (refused first while a process holds the dax device open). scrub-recheck runs a real
 *   ARS; after an un-inject the range stays listed (a scrub never removes one) and the verdict says still-present.
 *
 * Runs only where the lab is set up (`lab/lab setup`), nfit_test is built for the guest kernel (native.nfit.test.ts
 * builds it) and the packages are built (dist/; the api's global setup builds apps/api, dax-native and shared must
 * be built before). Each guest prints how long its phases took (TCG). Measured for the whole file on 2 cores shared
 * with other jobs: 98 s at load average ~9, 157-162 s at ~12, 250 s at ~15; each guest takes ~20 s to boot and
 * reach userspace, the nfit_test guest ~20 s more for the module swap, labels, injection and the setup scrub.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { RecoveryAgentPlan, RecoveryCheck, RecoveryExecuteCommandAck, RecoveryProgressReport } from '@daxfleet/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  LAB, NFIT_TEST_MODULES, NFIT_TEST_SWAP, jsonAfter, labUnavailable, outputTail, type GuestRun, type GuestRunOptions,
} from '../../../packages/dax-native/test/lab-guest.js';

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url));
const EXECUTE_MODULE = fileURLToPath(new URL('../dist/agent/recovery/execute.js', import.meta.url));
const PLAN_MODULE = fileURLToPath(new URL('../dist/agent/recovery/plan.js', import.meta.url));
const DAX_NATIVE = fileURLToPath(new URL('../../../packages/dax-native/dist/index.js', import.meta.url));
const BUILT = [EXECUTE_MODULE, PLAN_MODULE, DAX_NATIVE];

const FILE_SIZE = 1 << 20;
const BLOCK = 4096;

/** What the guest drivers print per executed plan (recovery.lab.guest-common.mjs execute()). */
interface Run {
  ack: RecoveryExecuteCommandAck;
  final?: RecoveryProgressReport;
  statuses: string[];
  seqs: number[];
  progress: { step: number; op: string; done?: number; total?: number; unit?: string }[];
}
interface Injected {
  file_offset: number;
  device_byte: number;
  sector: number;
  range: { region: string; region_offset: number; length: number };
}
type Badblocks = { offset: number; length: number }[];
interface FsResult {
  blockdev: string;
  mountinfo?: string;
  injected: Record<'open' | 'restore' | 'punch' | 'trunc', Injected>;
  badblocksBefore: Badblocks;
  readBeforeError: string;
  open: { pid: number; held: RecoveryAgentPlan; free: RecoveryAgentPlan };
  mapped: { pid: number; plan: RecoveryAgentPlan };
  stale: { reviewed: RecoveryAgentPlan; ack: RecoveryExecuteCommandAck; reports: number; sizeAfter: number };
  restore: {
    plan: RecoveryAgentPlan; run: Run; inodeBefore: number; inodeAfter: number; sha256?: string; readError?: string;
    backupSha256: string; mode: string; uid: number; gid: number; mtimeMs: number; backupMtimeMs: number;
    tempExists: boolean; dirListing: string[]; fileHoldsBadByte: boolean; badblocksAfter: Badblocks;
  };
  punch: {
    plan: RecoveryAgentPlan; digestAgain: string; run: Run; size: number; readError?: string; sha256?: string;
    expectedSha256: string; fileHoldsBadByte: boolean; badblocksAfter: Badblocks;
  };
  trunc: {
    plan: RecoveryAgentPlan; run: Run; size: number; readError?: string; sha256?: string; expectedSha256: string;
    fileHoldsBadByte: boolean;
  };
  mountedClear: RecoveryAgentPlan;
}
interface QemuResult {
  timings: Record<string, number>;
  fs: Record<'ext4' | 'xfs', FsResult>;
  raw: {
    blockdev: string; namespace: string; range: Injected['range']; plan: RecoveryAgentPlan; run: Run; badblocksAfter: Badblocks;
    mounted: RecoveryAgentPlan; unmountedAgain: RecoveryAgentPlan;
  };
  devdax: {
    namespace: string; chardev: string; expectedOffset: number; added: Badblocks; buses: { bus: string; commands: string }[];
    clear?: RecoveryAgentPlan; scrub?: RecoveryAgentPlan;
  };
}
interface NfitSide {
  namespace: string;
  region: string;
  range: Injected['range'];
  regionBadblocksBefore: Badblocks;
  regionBadblocksAfter: Badblocks;
  plan: RecoveryAgentPlan;
  run: Run;
}
interface NfitResult {
  timings: Record<string, number>;
  bus: string;
  raw: NfitSide & { blockdev: string; blockdevBadblocksBefore: Badblocks; blockdevBadblocksAfter: Badblocks };
  dax: NfitSide & { chardev: string; held: { pid: number; plan: RecoveryAgentPlan } };
  scrub: { plan: RecoveryAgentPlan; run: Run; scrubBefore: string; scrubAfter: string; regionBadblocksAfter: Badblocks };
  rescrub: { raw: Badblocks; dax: Badblocks };
  scrubUninjected: { injectStatus: string; plan: RecoveryAgentPlan; run: Run; regionBadblocksAfter: Badblocks };
}

/** runInGuest without blocking the event loop, so the two guests boot at the same time. */
async function runGuest(opts: GuestRunOptions): Promise<GuestRun> {
  const dir = await mkdtemp(`/var/tmp/${opts.prefix}`);
  try {
    await writeFile(join(dir, 'guest.sh'), opts.script(dir));
    const child = spawn(LAB, ['run', join(dir, 'guest.sh'), ...(opts.args ?? [])], {
      env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const status = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code));
    });
    return { status, output: `${stdout}${stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function check(plan: RecoveryAgentPlan, id: string): RecoveryCheck | undefined {
  return plan.checks.find((c) => c.id === id);
}

/** The run started, every step is done, and the last report is final with this status. */
function expectCompleted(run: Run, ops: string[], status: string): void {
  expect(run.ack).toEqual({ accepted: true, id: expect.any(String), started: true });
  expect(run.final?.status, JSON.stringify(run.final?.execution)).toBe(status);
  expect(run.final?.execution.steps.map((s) => [s.op, s.status])).toEqual(ops.map((op) => [op, 'done']));
  expect(run.statuses.slice(0, -1).every((s) => s === 'executing')).toBe(true);
  expect(run.seqs).toEqual(run.seqs.map((_, i) => i + 1));
}

/** still-present: the range's sectors are what remains, and the detail says the range is still listed. */
function expectStillPresent(run: Run, range: Injected['range']): void {
  const v = run.final?.execution.verification;
  expect(v?.verdict).toBe('still-present');
  expect(v?.remaining).toEqual([{ region_offset: range.region_offset, length: range.length }]);
  expect(v?.checks.find((c) => c.id === 'range-reread')).toMatchObject({ ok: false });
  expect(v?.detail).toMatch(/still listed/);
  expect(run.final?.status).not.toBe('verified');
}

const qemuUnavailable = labUnavailable({ commands: ['mkfs.xfs', 'xfs_bmap', 'filefrag', 'mkfs.ext4'], files: BUILT });
const nfitUnavailable = labUnavailable({ files: [...BUILT, join(NFIT_TEST_MODULES, '.complete')] });

// both guests start when the file loads (each describe awaits its own): under TCG they take about as long
// together as the slower one alone, on 2 cores
const qemuGuest = qemuUnavailable === undefined
  ? runGuest({
    prefix: 'daxfleet-recovery-qemu-',
    script: () => `exec node ${join(TEST_DIR, 'recovery.lab.guest-qemu.mjs')}\n`,
    env: { NDIMM: '1', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400', LAB_VERBOSE: '1' },
  })
  : undefined;
const nfitGuest = nfitUnavailable === undefined
  ? runGuest({
    prefix: 'daxfleet-recovery-nfit-',
    script: () => `set -u\nmodules=${NFIT_TEST_MODULES}\n${NFIT_TEST_SWAP}\nexec node ${join(TEST_DIR, 'recovery.lab.guest-nfit.mjs')}\n`,
    env: { NDIMM: '1', REGION_MB: '512', MEM: '2G', LAB_TIMEOUT: '400', LAB_VERBOSE: '1' },
  })
  : undefined;
// a guest nobody awaited (its describe skipped or failed early) must not be an unhandled rejection
void qemuGuest?.catch(() => {});
void nfitGuest?.catch(() => {});

describe.skipIf(qemuUnavailable !== undefined)(`recovery on QEMU's emulated NVDIMM${qemuUnavailable ? ` (skipped: ${qemuUnavailable})` : ''}`, () => {
  let result: QemuResult;

  beforeAll(async () => {
    const run = await (qemuGuest as Promise<GuestRun>);
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter(run.output, 'RECOVERY-QEMU-RESULT ');
    console.log(`QEMU guest phases (ms, TCG): ${JSON.stringify(result.timings)}`);
  }, 420_000);

  for (const fstype of ['ext4', 'xfs'] as const) {
    describe(`${fstype} mounted -o dax`, () => {
      it('the lab is what the test assumes: a dax mount, the injected sectors listed, a read of the file fails EIO', () => {
        const r = result.fs[fstype];
        expect(r.mountinfo).toMatch(/\bdax(=always)?\b/);
        expect(r.badblocksBefore).toEqual(Object.values(r.injected).map((i) => ({ offset: i.sector, length: 8 })).sort((a, b) => a.offset - b.offset));
        expect(r.readBeforeError).toBe('EIO');
      });

      it('punch-hole plan: the bad block at its known file offset (filefrag / xfs_bmap) and exactly those bytes as data loss', () => {
        const r = result.fs[fstype];
        const p = r.punch.plan;
        const inj = r.injected.punch;
        expect(p.executable, p.refusal).toBe(true);
        expect(p.target).toMatchObject({
          blockdev: r.blockdev, sector: inj.sector, sectors: 8, mountpoint: `/mnt/recovery-${fstype}`, fstype,
          path: `/mnt/recovery-${fstype}/data/punch.bin`, file_size: FILE_SIZE,
          file_ranges: [{ offset: inj.file_offset, length: BLOCK }],
        });
        expect(p.data_loss).toEqual([expect.objectContaining({
          kind: 'file-bytes', path: `/mnt/recovery-${fstype}/data/punch.bin`, offset: inj.file_offset, length: BLOCK,
        })]);
        expect(p.steps.map((s) => s.op)).toEqual(['punch-hole', 'fsync', 'reread-badblocks', 'remap-range', 'read-file']);
        // planning again on the unchanged host gives the same digest
        expect(r.punch.digestAgain).toBe(p.digest);
      });

      it('punch-hole: the file keeps its size, the punched block reads zeros, the rest its original content, without EIO', () => {
        const r = result.fs[fstype];
        expectCompleted(r.punch.run, ['punch-hole', 'fsync', 'reread-badblocks', 'remap-range', 'read-file'], 'still-present');
        expect(r.punch.size).toBe(FILE_SIZE);
        expect(r.punch.readError).toBeUndefined();
        expect(r.punch.sha256).toBe(r.punch.expectedSha256);
        expect(r.punch.fileHoldsBadByte).toBe(false);
      });

      it('punch-hole verification: still-present with the injected sectors remaining, and why (freed blocks are cleared when reallocated)', () => {
        const r = result.fs[fstype];
        const inj = r.injected.punch;
        expectStillPresent(r.punch.run, inj.range);
        const v = r.punch.run.final?.execution.verification;
        for (const id of ['range-not-in-file', 'file-readable', 'hole-zeroed']) {
          expect(v?.checks.find((c) => c.id === id), id).toMatchObject({ ok: true });
        }
        expect(v?.detail).toMatch(/allocat/i);
        expect(v?.detail).toMatch(/zero/i);
        // the kernel agrees: the block device still lists the sectors
        expect(r.punch.badblocksAfter).toContainEqual({ offset: inj.sector, length: 8 });
      });

      it('delete-restore: the file is the backup byte for byte, with its mode, owner and mtime; the temp file is gone', () => {
        const r = result.fs[fstype];
        const x = r.restore;
        const path = `/mnt/recovery-${fstype}/data/restore.bin`;
        expect(x.plan.executable, x.plan.refusal).toBe(true);
        expect(x.plan.target).toMatchObject({
          path, temp_path: `/mnt/recovery-${fstype}/data/.restore.bin.daxfleet-restore`,
          backup: { path: `/tmp/restore-${fstype}.bak`, size: FILE_SIZE, mode: expect.stringMatching(/^0?640$/), uid: 1234, gid: 5678, mtime: '2024-02-03T04:05:06.789Z' },
        });
        expect(x.plan.data_loss).toEqual([expect.objectContaining({ kind: 'file-content', path, length: FILE_SIZE })]);
        expectCompleted(x.run, ['copy', 'copy-metadata', 'fsync', 'verify-checksum', 'rename', 'reread-badblocks', 'remap-range', 'read-file'], 'still-present');
        expect(x.readError).toBeUndefined();
        expect(x.sha256).toBe(x.backupSha256);
        expect({ mode: x.mode, uid: x.uid, gid: x.gid, mtimeMs: x.mtimeMs }).toEqual({ mode: '640', uid: 1234, gid: 5678, mtimeMs: x.backupMtimeMs });
        expect(x.inodeAfter).not.toBe(x.inodeBefore);
        expect(x.tempExists).toBe(false);
        expect(x.dirListing.sort()).toEqual(['open.bin', 'punch.bin', 'restore.bin', 'trunc.bin']);
        // a copy with the backup's bytes must not hold the bad sectors (filefrag / xfs_bmap of the new file)
        expect(x.fileHoldsBadByte).toBe(false);
      });

      it('delete-restore verification: truthful (still-present: the damaged file\'s freed blocks stay listed)', () => {
        const r = result.fs[fstype];
        expectStillPresent(r.restore.run, r.injected.restore.range);
        const v = r.restore.run.final?.execution.verification;
        for (const id of ['range-not-in-file', 'file-readable', 'checksum-match', 'metadata-restored']) {
          expect(v?.checks.find((c) => c.id === id), id).toMatchObject({ ok: true });
        }
        expect(r.restore.badblocksAfter).toContainEqual({ offset: r.injected.restore.sector, length: 8 });
        // copy progress was reported in bytes up to the backup's size
        expect(r.restore.run.progress).toContainEqual({ step: 1, op: 'copy', done: FILE_SIZE, total: FILE_SIZE, unit: 'bytes' });
      });

      it('truncate: the file is cut at the first bad byte (rounded down to the filesystem block; here block-aligned) and reads back as its first bytes', () => {
        const r = result.fs[fstype];
        const inj = r.injected.trunc;
        const p = r.trunc.plan;
        expect(p.executable, p.refusal).toBe(true);
        expect(p.target).toMatchObject({ new_size: inj.file_offset, file_size: FILE_SIZE + BLOCK });
        expect(p.data_loss).toEqual([expect.objectContaining({ kind: 'file-bytes', offset: inj.file_offset, length: FILE_SIZE + BLOCK - inj.file_offset })]);
        expectCompleted(r.trunc.run, ['truncate', 'fsync', 'reread-badblocks', 'remap-range', 'read-file'], 'still-present');
        expect(r.trunc.size).toBe(inj.file_offset);
        expect(r.trunc.readError).toBeUndefined();
        expect(r.trunc.sha256).toBe(r.trunc.expectedSha256);
        expect(r.trunc.fileHoldsBadByte).toBe(false);
        expectStillPresent(r.trunc.run, inj.range);
      });

      it('refused: the file held open by a process (named by pid), executable once that process is gone', () => {
        const { held, free, pid } = result.fs[fstype].open;
        expect(held.executable).toBe(false);
        expect(check(held, 'not-open')).toMatchObject({ ok: false });
        expect(check(held, 'not-open')?.detail).toContain(String(pid));
        expect(check(held, 'not-open')?.detail).toContain('sleep');
        expect(held.refusal).toContain(String(pid));
        expect(check(free, 'not-open')).toMatchObject({ ok: true });
        expect(free.executable, free.refusal).toBe(true);
        expect(free.digest).toBe(held.digest);
      });

      it('refused: the file only mapped by a process (its descriptor closed), found through /proc/<pid>/maps', () => {
        const { pid, plan } = result.fs[fstype].mapped;
        expect(plan.executable).toBe(false);
        expect(check(plan, 'not-open')).toMatchObject({ ok: false });
        expect(check(plan, 'not-open')?.detail).toContain(String(pid));
        expect(check(plan, 'not-open')?.detail).toMatch(/python3/);
        expect(check(plan, 'not-open')?.detail).toMatch(/mapped/);
        expect(check(plan, 'not-open')?.detail).not.toMatch(/open fd/);
        expect(plan.refusal).toContain(String(pid));
      });

      it('refused: the file changed between plan and execute (digest mismatch), and nothing ran', () => {
        const s = result.fs[fstype].stale;
        expect(s.reviewed.executable, s.reviewed.refusal).toBe(true);
        expect(s.ack.started).toBe(false);
        expect(s.ack.refusal).toMatch(/digest|changed/i);
        expect(s.ack.plan?.target.file_size).toBe(FILE_SIZE + BLOCK);
        expect(s.ack.plan?.digest).not.toBe(s.reviewed.digest);
        expect(s.reports).toBe(0);
        expect(s.sizeAfter).toBe(FILE_SIZE + BLOCK);
      });

      it('refused: clear-errors on the mounted fsdax block device', () => {
        const p = result.fs[fstype].mountedClear;
        expect(p.executable).toBe(false);
        expect(check(p, 'not-mounted')).toMatchObject({ ok: false });
        expect(p.refusal).toContain(`/mnt/recovery-${fstype}`);
      });
    });
  }

  describe('raw namespace', () => {
    it('clear-errors: the write of zeros fails EIO on every bad sector, the range is still present (QEMU cannot clear poison)', () => {
      const r = result.raw;
      expect(r.plan.executable, r.plan.refusal).toBe(true);
      expect(r.plan.target).toMatchObject({ namespace: r.namespace, mode: 'raw', blockdev: r.blockdev, sector: 65536, sectors: 8 });
      expect(r.plan.data_loss).toEqual([expect.objectContaining({ kind: 'device-sectors', device: r.blockdev, sector: 65536, count: 8 })]);
      expect(r.plan.steps.map((s) => s.op)).toEqual(['write-zeros', 'reread-badblocks']);
      expect(r.run.ack.started).toBe(true);
      expect(r.run.final?.status).toBe('still-present');
      const write = r.run.final?.execution.steps[0];
      expect(write?.op).toBe('write-zeros');
      expect(write?.detail).toMatch(/EIO/);
      expect(write?.detail).toMatch(/\b65536\b/);
      const v = r.run.final?.execution.verification;
      expect(v?.checks.find((c) => c.id === 'sectors-written')).toMatchObject({ ok: false });
      expect(v?.checks.find((c) => c.id === 'sectors-written')?.detail).toMatch(/0 of 8 sectors written/);
      expectStillPresent(r.run, r.range);
      expect(v?.detail).toMatch(/did not clear the poison/);
      expect(r.badblocksAfter).toEqual([{ offset: 65536, length: 8 }]);
    });

    it('clear-errors refused while a filesystem is mounted on the block device, executable after umount', () => {
      const { mounted, unmountedAgain } = result.raw;
      expect(mounted.executable).toBe(false);
      expect(check(mounted, 'not-mounted')).toMatchObject({ ok: false });
      expect(check(unmountedAgain, 'not-mounted')).toMatchObject({ ok: true });
      expect(unmountedAgain.executable, unmountedAgain.refusal).toBe(true);
    });
  });
});

describe.skipIf(qemuUnavailable !== undefined)(`recovery on QEMU's emulated NVDIMM: device DAX${qemuUnavailable ? ` (skipped: ${qemuUnavailable})` : ''}`, () => {
  let result: QemuResult;

  beforeAll(async () => {
    const run = await (qemuGuest as Promise<GuestRun>);
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter(run.output, 'RECOVERY-QEMU-RESULT ');
  }, 420_000);

  it('region poison (MCE) in a devdax namespace: clear-errors and scrub-recheck refused, QEMU\'s bus has no clear-error or ARS', () => {
    const d = result.devdax;
    expect(d.added).toEqual([{ offset: d.expectedOffset, length: 8 }]);
    // the oracle: what the bus says it implements
    const acpi = d.buses.find((b) => d.clear?.target.bus === b.bus);
    expect(acpi?.commands.split(' ')).not.toContain('clear_error');
    expect(d.clear?.target).toMatchObject({ namespace: d.namespace, mode: 'devdax', chardev: d.chardev });
    expect(d.clear?.executable).toBe(false);
    expect(check(d.clear as RecoveryAgentPlan, 'bus-can-clear')).toMatchObject({ ok: false });
    expect(check(d.clear as RecoveryAgentPlan, 'not-open')).toMatchObject({ ok: true });
    expect(d.scrub?.executable).toBe(false);
    expect(check(d.scrub as RecoveryAgentPlan, 'bus-can-scrub')).toMatchObject({ ok: false });
  });
});

describe.skipIf(nfitUnavailable !== undefined)(`recovery on nfit_test (clearing is real)${nfitUnavailable ? ` (skipped: ${nfitUnavailable})` : ''}`, () => {
  let result: NfitResult;

  beforeAll(async () => {
    const run = await (nfitGuest as Promise<GuestRun>);
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter(run.output, 'RECOVERY-NFIT-RESULT ');
    console.log(`nfit_test guest phases (ms, TCG): ${JSON.stringify(result.timings)}`);
  }, 420_000);

  it('the injected errors are in regionN/badblocks after the setup scrub', () => {
    for (const side of [result.raw, result.dax]) {
      expect(side.regionBadblocksBefore, side.namespace).toHaveLength(1);
      expect(side.range.length).toBeGreaterThanOrEqual(8);
    }
    expect(result.raw.blockdevBadblocksBefore).toEqual([{ offset: 1024, length: 8 }]);
  });

  it('scrub-recheck runs a real ARS, reports its progress in seconds, and its verdict matches regionN/badblocks after', () => {
    const s = result.scrub;
    expect(s.plan.executable, s.plan.refusal).toBe(true);
    expect(s.plan.data_loss).toEqual([]);
    expect(s.plan.target.bus).toBe(result.bus);
    expect(s.plan.steps.map((x) => x.op)).toEqual(['start-scrub', 'wait-scrub', 'reread-badblocks']);
    expectCompleted(s.run, ['start-scrub', 'wait-scrub', 'reread-badblocks'], 'still-present');
    // the bus's own count: one scrub more, idle
    expect(s.scrubAfter).toBe(String(Number(s.scrubBefore) + 1));
    const waits = s.run.progress.filter((p) => p.op === 'wait-scrub' && p.unit !== undefined);
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.every((p) => p.unit === 'seconds')).toBe(true);
    expect(s.run.final?.execution.verification?.checks.find((c) => c.id === 'scrub-completed')).toMatchObject({ ok: true });
    // the platform still reports the injected error: the region lists it, and so does the verdict
    expect(s.regionBadblocksAfter).toEqual([{ offset: result.raw.range.region_offset, length: result.raw.range.length }]);
    expect(s.run.final?.execution.verification?.remaining).toEqual([{ region_offset: result.raw.range.region_offset, length: result.raw.range.length }]);
  });

  /*
   * A scrub only adds ranges: the kernel (drivers/acpi/nfit ARS results -> nvdimm_bus_add_badrange) never drops a
   * range from regionN/badblocks because a later scrub no longer reports it; only a clear (clear-error, or a write
   * through the pmem driver) removes it. So after the platform forgot the error (`ndctl inject-error --uninject`:
   * `--status` then lists nothing) a scrub-recheck still finds the range listed, and says so.
   */
  it('scrub-recheck after the error was un-injected: the range stays listed (a scrub never removes one) and the verdict says so', () => {
    const u = result.scrubUninjected;
    const { range } = result.raw;
    expect(u.injectStatus.trim()).toBe('');
    expect(u.plan.executable, u.plan.refusal).toBe(true);
    expectCompleted(u.run, ['start-scrub', 'wait-scrub', 'reread-badblocks'], 'still-present');
    expect(u.regionBadblocksAfter).toEqual([{ offset: range.region_offset, length: range.length }]);
    const v = u.run.final?.execution.verification;
    expect(v?.verdict).toBe('still-present');
    expect(v?.remaining).toEqual([{ region_offset: range.region_offset, length: range.length }]);
  });

  it('clear-errors on a raw namespace: zeros written through the pmem driver clear the error (verified)', () => {
    const r = result.raw;
    expect(r.plan.executable, r.plan.refusal).toBe(true);
    expect(r.plan.target).toMatchObject({ namespace: r.namespace, mode: 'raw', blockdev: r.blockdev, sector: 1024, sectors: 8 });
    expectCompleted(r.run, ['write-zeros', 'reread-badblocks'], 'verified');
    const v = r.run.final?.execution.verification;
    expect(v?.verdict).toBe('cleared');
    expect(v?.remaining).toEqual([]);
    expect(v?.checks.find((c) => c.id === 'sectors-written')).toMatchObject({ ok: true });
    expect(r.regionBadblocksAfter).toEqual([]);
    expect(r.blockdevBadblocksAfter).toEqual([]);
  });

  it('clear-errors on a devdax namespace: the bus\'s clear-error command clears it (verified)', () => {
    const d = result.dax;
    expect(d.plan.executable, d.plan.refusal).toBe(true);
    expect(d.plan.target).toMatchObject({ namespace: d.namespace, mode: 'devdax', chardev: d.chardev, bus: result.bus });
    // refused first while a process had the dax device open
    expect(d.held.plan.executable).toBe(false);
    expect(check(d.held.plan, 'not-open')).toMatchObject({ ok: false });
    expect(check(d.held.plan, 'not-open')?.detail).toContain(String(d.held.pid));
    expectCompleted(d.run, ['bus-clear-error', 'reread-badblocks'], 'verified');
    const v = d.run.final?.execution.verification;
    expect(v?.verdict).toBe('cleared');
    expect(v?.remaining).toEqual([]);
    expect(v?.checks.find((c) => c.id === 'bus-cleared')).toMatchObject({ ok: true });
    expect(d.regionBadblocksAfter).toEqual([]);
  });

  it('a fresh scrub after the clears finds nothing: the platform forgot the errors', () => {
    expect(result.rescrub).toEqual({ raw: [], dax: [] });
  });
});
