import type { CapacityByMode, Region } from '@daxfleet/shared';

/**
 * How a region's space is used, by namespace mode: each namespace counts with the space it occupies in the
 * region (raw_size, which includes an fsdax/devdax info block and memmap), a devdax namespace's share onlined as
 * system RAM counts as system-ram, and the region's available size is free. Same rules as the hub's host
 * summary (packages/shared summarizeInventory), so the region bars add up to the host's figures.
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
    // as the hub's summary does: the namespace's overhead is shared in proportion to what is online as RAM
    let asSystemRam = 0;
    let allocated = 0;
    for (const device of namespace.daxregion?.devices ?? []) {
      allocated += device.size;
      if (device.mode === 'system-ram') asSystemRam += device.size;
    }
    const usable = Math.max(namespace.daxregion?.size ?? namespace.size, allocated);
    const systemRamShare = usable > 0 ? Math.round(occupied * (asSystemRam / usable)) : 0;
    capacity['system-ram'] += systemRamShare;
    capacity.devdax += occupied - systemRamShare;
  }
  return capacity;
}
