/**
 * The at-a-glance figures of one inventory: what the host list and each history entry show.
 * Pure and deterministic, so the hub can store it beside each inventory version.
 */
import type { InventorySummary, CapacityByMode, HealthSummary } from './api.js';
import type { BadBlockRange, Dimm, Inventory, Namespace, Region, ScanWarning } from './inventory.js';

const SECTOR = 512;

/**
 * Capacity: each namespace counts in its mode with its raw size (the region space it occupies; ndctl's `size`
 * of an fsdax/devdax namespace is smaller by the info block and memmap), so for nd regions
 * raw + sector + fsdax + devdax + system-ram + free = total_capacity. Device-DAX devices online as system RAM
 * move their share of the namespace from devdax to system-ram. Namespaces of mode "unknown" count in no mode.
 * Dax regions not backed by a namespace (hmem) add their devices to devdax / system-ram.
 */
export function summarizeInventory(inv: Inventory): InventorySummary {
  const capacity: CapacityByMode = { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0 };
  const health: HealthSummary = { ok: 0, 'non-critical': 0, critical: 0, fatal: 0, unknown: 0, not_reported: 0 };
  let dimmCount = 0;
  let regionCount = 0;
  let namespaceCount = 0;
  let totalCapacity = 0;
  let badblockCount = 0;
  let warningCount = countWarnings(inv.warnings);

  for (const bus of inv.buses) {
    warningCount += countWarnings(bus.warnings);
    for (const dimm of bus.dimms) {
      dimmCount++;
      warningCount += countWarnings(dimm.warnings);
      health[dimmHealthBucket(dimm)]++;
    }
    for (const region of bus.regions) {
      regionCount++;
      totalCapacity += region.size;
      for (const [mode, bytes] of Object.entries(regionCapacity(region))) capacity[mode as keyof CapacityByMode] += bytes;
      warningCount += countWarnings(region.warnings);
      badblockCount += countRegionBadSectors(region);
      for (const ns of region.namespaces) {
        namespaceCount++;
        warningCount += countWarnings(ns.warnings);
      }
    }
  }
  for (const daxRegion of inv.dax_regions) {
    for (const dev of daxRegion.devices) {
      capacity[dev.mode === 'system-ram' ? 'system-ram' : 'devdax'] += dev.size;
      warningCount += countWarnings(dev.warnings);
    }
  }

  return {
    dimm_count: dimmCount,
    region_count: regionCount,
    namespace_count: namespaceCount,
    total_capacity: totalCapacity,
    capacity_by_mode: capacity,
    health,
    badblock_count: badblockCount,
    warning_count: warningCount,
  };
}

function countWarnings(warnings: readonly ScanWarning[] | undefined): number {
  return warnings?.length ?? 0;
}

/**
 * Which health bucket a DIMM counts in. A DIMM that answered its SMART command counts by its health state, and
 * as unknown when the state is "unknown" or absent, or when the command failed (health.error): the DIMM is there
 * but its health is not known. not_reported is for a DIMM with no health at all (no addon, health_source "none")
 * or whose family has no SMART command (supported: false).
 */
function dimmHealthBucket(dimm: Dimm): keyof HealthSummary {
  const health = dimm.health;
  if (!health?.supported) return 'not_reported';
  if (health.error !== undefined) return 'unknown';
  return health.health_state ?? 'unknown';
}

/**
 * How one region's space is used, by namespace mode: each namespace counts with the space it occupies in the
 * region (see summarizeInventory), a devdax namespace's share onlined as system RAM counts as system-ram, and the
 * region's available size is free. The host summary is the sum of this over its regions plus the hmem dax
 * regions, so the UI's region bars add up to the host's figures.
 */
export function regionCapacity(region: Region): CapacityByMode {
  const capacity: CapacityByMode = {
    raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: region.available_size ?? 0,
  };
  for (const ns of region.namespaces) addNamespaceCapacity(capacity, ns);
  return capacity;
}

function addNamespaceCapacity(capacity: CapacityByMode, ns: Namespace): void {
  const occupied = ns.raw_size ?? ns.size;
  if (ns.mode === 'unknown') return;
  if (ns.mode !== 'devdax') {
    capacity[ns.mode] += occupied;
    return;
  }
  // The namespace's overhead (info block, memmap) is shared in proportion: a namespace whose only device is
  // online as system RAM counts wholly as system-ram; unallocated dax-region space stays devdax.
  let asSystemRam = 0;
  let allocated = 0;
  for (const dev of ns.daxregion?.devices ?? []) {
    allocated += dev.size;
    if (dev.mode === 'system-ram') asSystemRam += dev.size;
  }
  const usable = Math.max(ns.daxregion?.size ?? ns.size, allocated);
  const systemRamShare = usable > 0 ? Math.round(occupied * (asSystemRam / usable)) : 0;
  capacity['system-ram'] += systemRamShare;
  capacity.devdax += occupied - systemRamShare;
}

/**
 * Bad sectors of a region and of its namespaces, counted once each: every list is moved into region-relative
 * sectors and the ranges are merged. The kernel keeps separate lists (a block device's list can hold sectors
 * the region's list lacks, and ndctl's namespace view repeats the region's), so a plain sum would double-count.
 * A namespace whose position in the region is unknown (no resource addresses) is counted on its own.
 */
function countRegionBadSectors(region: Region): number {
  const inRegion: Array<[number, number]> = [];
  let unplaced = 0;
  const addRanges = (ranges: readonly BadBlockRange[] | undefined, base: number | undefined): void => {
    for (const r of ranges ?? []) {
      if (base === undefined) unplaced += r.length;
      else inRegion.push([base + r.offset, base + r.offset + r.length]);
    }
  };
  addRanges(region.badblocks, 0);
  const regionStart = parseAddress(region.resource);
  for (const ns of region.namespaces) {
    const nsStart = parseAddress(ns.resource);
    const nsBase = regionStart !== undefined && nsStart !== undefined && nsStart >= regionStart
      ? Number((nsStart - regionStart) / BigInt(SECTOR))
      : undefined;
    if (nsBase === undefined) {
      // Without a position, the namespace's own list and its block device's list overlap unknowably: take the larger.
      unplaced += Math.max(sumLengths(ns.badblocks), sumLengths(ns.blockdev_badblocks));
      continue;
    }
    // ndctl's namespace list and the block device's list both count from the first data sector, after the
    // fsdax/devdax info block (seen on recorded kernels: region sector = namespace start + data_offset + offset).
    const dataBase = nsBase + Math.floor((ns.data_offset ?? 0) / SECTOR);
    addRanges(ns.badblocks, dataBase);
    addRanges(ns.blockdev_badblocks, dataBase);
  }
  return mergedLength(inRegion) + unplaced;
}

function sumLengths(ranges: readonly BadBlockRange[] | undefined): number {
  let n = 0;
  for (const r of ranges ?? []) n += r.length;
  return n;
}

/** Total length of the union of half-open [start, end) intervals. */
function mergedLength(intervals: Array<[number, number]>): number {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = -1;
  let curEnd = -1;
  for (const [start, end] of intervals) {
    if (start > curEnd) {
      total += curEnd - curStart;
      curStart = start;
      curEnd = end;
    } else if (end > curEnd) {
      curEnd = end;
    }
  }
  return total + (curEnd - curStart);
}

/** "0x240000000" -> 9663676416n; BigInt because physical addresses can pass 2^53. */
function parseAddress(hex: string | undefined): bigint | undefined {
  if (hex === undefined || !/^0x[0-9a-fA-F]+$/.test(hex)) return undefined;
  return BigInt(hex);
}
