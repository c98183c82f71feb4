/**
 * GET /api/v1/fleet/capacity: persistent memory bytes by mode over the fleet, from each host's current inventory
 * version (its stored summary's capacity_by_mode and total_capacity, and the inventory's mounted DAX-capable
 * filesystems). Hosts without NVDIMMs (no region: total_capacity 0) are only counted, in hosts_without_pmem.
 */
import type { DaxFilesystem, FleetCapacity, InventorySummary } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import { ONLINE_INTERVALS } from './hosts.js';

type Capacity = FleetCapacity['totals'];
type FsCounts = FleetCapacity['hosts'][number]['filesystems'];

function emptyCapacity(): Capacity {
  return { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0, total: 0 };
}

function capacityOf(summary: InventorySummary): Capacity {
  const c = summary.capacity_by_mode;
  return {
    raw: c.raw, sector: c.sector, fsdax: c.fsdax, devdax: c.devdax, 'system-ram': c['system-ram'], free: c.free,
    total: summary.total_capacity,
  };
}

function addCapacity(into: Capacity, add: Capacity): void {
  for (const key of Object.keys(into) as (keyof Capacity)[]) into[key] += add[key];
}

function countFilesystems(filesystems: readonly DaxFilesystem[]): FsCounts {
  const counts: FsCounts = { inode: 0, always: 0, never: 0 };
  for (const fs of filesystems) counts[fs.dax] += 1;
  return counts;
}

interface HostCapacityRow {
  id: string;
  hostname: string;
  interval_ms: number | bigint;
  last_seen: Date | string | number;
  summary: string;
  /** json_extract of the inventory's filesystems: JSON text, or null when the agent did not read mounts */
  filesystems: string | null;
}

export async function fleetCapacity(prisma: PrismaClient, now = new Date()): Promise<FleetCapacity> {
  // only the summary and the filesystems of each current inventory: parsing whole inventories made this route ~9x
  // slower over 2000 hosts (the bench: dax-changes.bench.ts). Hosts that enrolled but never reported have no
  // current version: nothing is known of their memory, the join leaves them out.
  const rows = await prisma.$queryRaw<HostCapacityRow[]>`
    SELECT h.id, h.hostname, h.interval_ms, h.last_seen, v.summary, json_extract(v.inventory, '$.filesystems') AS filesystems
    FROM hosts h JOIN inventory_versions v ON v.id = h.current_version_id
    ORDER BY h.hostname, h.id`;
  const out: FleetCapacity = {
    totals: emptyCapacity(),
    hosts: [],
    hosts_without_pmem: 0,
    filesystems: { inode: 0, always: 0, never: 0, without_device_dax: 0 },
    generated_at: now.toISOString(),
  };
  for (const row of rows) {
    const summary = JSON.parse(row.summary) as InventorySummary;
    if (summary.region_count === 0 && summary.total_capacity === 0) {
      out.hosts_without_pmem += 1;
      continue;
    }
    const filesystems = row.filesystems !== null ? JSON.parse(row.filesystems) as DaxFilesystem[] : [];
    const capacity = capacityOf(summary);
    const fsCounts = countFilesystems(filesystems);
    addCapacity(out.totals, capacity);
    out.filesystems.inode += fsCounts.inode;
    out.filesystems.always += fsCounts.always;
    out.filesystems.never += fsCounts.never;
    out.filesystems.without_device_dax += filesystems.filter((fs) => fs.device_dax === false).length;
    const lastSeen = new Date(row.last_seen).getTime();
    const online = now.getTime() - lastSeen <= ONLINE_INTERVALS * Number(row.interval_ms);
    out.hosts.push({
      host_id: row.id, hostname: row.hostname, status: online ? 'online' : 'offline', capacity, filesystems: fsCounts,
    });
  }
  return out;
}
