import type { CapacityByMode, Region } from '@daxfleet/shared';

/**
 * How a region's space is used, by namespace mode: each namespace counts with the space it occupies in the
 * region (raw_size, which includes an fsdax/devdax info block and memmap), devdax devices onlined as system RAM
 * count as system-ram, and the region's available size is free. Same rules as the hub's host summary.
 */
export function regionCapacity(region: Region): CapacityByMode {
  const capacity: CapacityByMode = { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: region.available_size ?? 0 };
  for (const namespace of region.namespaces) {
    const occupied = namespace.raw_size ?? namespace.size;
    if (namespace.mode === 'unknown') continue;
    if (namespace.mode !== 'devdax') {
      capacity[namespace.mode] += occupied;
      continue;
    }
    const asSystemRam = (namespace.daxregion?.devices ?? [])
      .filter((device) => device.mode === 'system-ram')
      .reduce((sum, device) => sum + device.size, 0);
    capacity['system-ram'] += asSystemRam;
    capacity.devdax += Math.max(0, occupied - asSystemRam);
  }
  return capacity;
}
