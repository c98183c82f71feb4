import type { HostSummary, InventorySummary } from '@daxfleet/shared';

const GiB = 1024 ** 3;

/** A host summary as the hub's API returns it; override what a test is about. */
export function hostSummary(overrides: Partial<Omit<HostSummary, 'summary'>> & { summary?: Partial<InventorySummary> } = {}): HostSummary {
  const { summary, ...host } = overrides;
  return {
    id: 'host-a',
    hostname: 'pmem-a',
    agent_version: '0.1.0',
    sysfs_root: '/sys',
    first_seen: new Date(Date.now() - 3_600_000).toISOString(),
    last_seen: new Date(Date.now() - 2_000).toISOString(),
    online: true,
    inventory_version: 1,
    ...host,
    summary: {
      dimm_count: 2,
      region_count: 2,
      namespace_count: 2,
      total_capacity: 8 * GiB,
      capacity_by_mode: { fsdax: 4 * GiB, devdax: 2 * GiB, 'system-ram': 0, sector: 0, raw: 0, free: 2 * GiB },
      health: { ok: 2, 'non-critical': 0, critical: 0, fatal: 0, unknown: 0, not_reported: 0 },
      badblock_count: 0,
      warning_count: 0,
      ...summary,
    },
  };
}
