/** DaxChange records as the hub returns them, in every state, for the component tests. */
import type { DaxChange, DaxChangeAgentPlan, DaxChangeRequest, DaxChangeResult, FsDaxFlagChange } from '@daxfleet/shared';

export const CHANGE_ID = 'dc_AAAAAAAAAAAAAAAAAAAAAA';
export const DIGEST = 'a'.repeat(64);
const MiB = 1024 ** 2;
export const NS_BYTES = 394_264_576;

export const RECONFIGURE: DaxChangeRequest = { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'devdax', align: 2 * MiB };

export function reconfigurePlan(overrides: Partial<DaxChangeAgentPlan> = {}): DaxChangeAgentPlan {
  return {
    kind: 'namespace-reconfigure',
    request: RECONFIGURE,
    before: { dev: 'namespace0.0', mode: 'fsdax', size: NS_BYTES, map: 'dev', align: 2 * MiB, blockdev: 'pmem0' },
    expected: { mode: 'devdax', size: NS_BYTES, align: 2 * MiB },
    steps: [
      { n: 1, op: 'ndctl_namespace_disable_safe', description: 'disable namespace0.0 (refused if mounted or open)' },
      { n: 2, op: 'ndctl_namespace_delete', description: 'zero the info block and delete namespace0.0' },
      { n: 3, op: 'ndctl_dax_enable', description: 'create namespace0.0 in devdax mode with align 2 MiB' },
    ],
    data_loss: [{ description: 'all data on namespace0.0 (fsdax, /dev/pmem0)', bytes: NS_BYTES }],
    checks: [
      { id: 'namespace-exists', ok: true, detail: 'namespace0.0 is enabled in region0' },
      { id: 'namespace-not-mounted', ok: true, detail: '/dev/pmem0 is not mounted' },
      { id: 'mode-differs', ok: true, detail: 'fsdax → devdax' },
    ],
    executable: true,
    digest: DIGEST,
    planned_at: new Date(Date.now() - 5_000).toISOString(),
    ...overrides,
  };
}

export function planned(overrides: Partial<DaxChange> = {}): DaxChange {
  return {
    id: CHANGE_ID,
    host_id: 'host-a',
    kind: 'namespace-reconfigure',
    status: 'planned',
    created_at: new Date(Date.now() - 5_000).toISOString(),
    created_by: 'operator-1',
    expires_at: new Date(Date.now() + 595_000).toISOString(),
    plan: reconfigurePlan(),
    ...overrides,
  };
}

export function refused(): DaxChange {
  return planned({
    status: 'refused',
    plan: reconfigurePlan({
      executable: false,
      refusal: '/dev/pmem0 is mounted on /mnt/pmem: unmount it, then plan again',
      checks: [
        { id: 'namespace-exists', ok: true, detail: 'namespace0.0 is enabled in region0' },
        { id: 'namespace-not-mounted', ok: false, detail: '/dev/pmem0 is mounted on /mnt/pmem' },
      ],
    }),
  });
}

export function result(overrides: Partial<DaxChangeResult> = {}): DaxChangeResult {
  return {
    outcome: 'verified',
    executed_by: 'operator-1',
    started_at: new Date(Date.now() - 3_000).toISOString(),
    finished_at: new Date(Date.now() - 1_000).toISOString(),
    steps: [
      { n: 1, op: 'ndctl_namespace_disable_safe', status: 'done' },
      { n: 2, op: 'ndctl_namespace_delete', status: 'done' },
      { n: 3, op: 'ndctl_dax_enable', status: 'done', detail: 'dax0.1 enabled' },
    ],
    verification: [
      { id: 'namespace-mode', ok: true, detail: 'namespace0.0 is devdax' },
      { id: 'namespace-size', ok: true, detail: `${NS_BYTES} bytes as before` },
    ],
    after: { dev: 'namespace0.0', mode: 'devdax', size: NS_BYTES, align: 2 * MiB },
    ...overrides,
  };
}

export function verified(): DaxChange {
  return planned({ status: 'verified', executed_at: new Date(Date.now() - 3_000).toISOString(), result: result() });
}

export function failed(): DaxChange {
  return planned({
    status: 'failed',
    executed_at: new Date(Date.now() - 3_000).toISOString(),
    result: result({
      outcome: 'failed',
      error: 'ndctl_dax_enable failed (ENXIO): namespace0.0 is left raw and empty',
      steps: [
        { n: 1, op: 'ndctl_namespace_disable_safe', status: 'done' },
        { n: 2, op: 'ndctl_namespace_delete', status: 'done' },
        { n: 3, op: 'ndctl_dax_enable', status: 'failed', detail: 'ENXIO' },
      ],
      verification: [{ id: 'namespace-mode', ok: false, detail: 'namespace0.0 is raw, expected devdax' }],
    }),
  });
}

export function interrupted(): DaxChange {
  return planned({ status: 'interrupted', executed_at: new Date(Date.now() - 130_000).toISOString() });
}

/** daxctl online-memory: nothing is lost. */
export function onlinePlanned(): DaxChange {
  const request: DaxChangeRequest = { kind: 'daxdev-online', device: 'dax1.2', movable: true };
  return planned({
    kind: 'daxdev-online',
    plan: reconfigurePlan({
      kind: 'daxdev-online', request, before: { chardev: 'dax1.2', online_memblocks: 0, total_memblocks: 2 },
      expected: { online_memblocks: 2 }, data_loss: [],
      steps: [{ n: 1, op: 'daxctl_memory_online', description: 'online 2 memory blocks of dax1.2 as ZONE_MOVABLE' }],
      checks: [{ id: 'memory-state', ok: true, detail: '0 of 2 blocks online' }],
    }),
  });
}

/** An fs-dax-policy plan whose dry run lists `count` files, the first one pending (held open). */
export function policyPlanned(count: number): DaxChange {
  const request: DaxChangeRequest = { kind: 'fs-dax-policy', path: '/mnt/pmem/db', dax: true, existing: 'all' };
  const changes: FsDaxFlagChange[] = Array.from({ length: count }, (_, index) => ({
    path: `/mnt/pmem/db/file${String(index).padStart(4, '0')}`, kind: 'file', inode: 100 + index,
    flag_before: false, flag_after: true, effective_before: false, effective_after: true,
    ...(index === 0 ? { pending_reason: 'not-evicted' as const } : {}),
  }));
  return planned({
    kind: 'fs-dax-policy',
    plan: reconfigurePlan({
      kind: 'fs-dax-policy', request, before: { path: '/mnt/pmem/db', kind: 'dir', flag: false }, expected: { flag: true },
      data_loss: [], changes, changes_total: count,
      steps: [{ n: 1, op: 'FS_IOC_FSSETXATTR', description: `set FS_XFLAG_DAX on ${count + 1} paths` }],
      checks: [{ id: 'fs-dax-capable', ok: true, detail: '/mnt/pmem is ext4 dax=inode on pmem0' }],
    }),
  });
}
