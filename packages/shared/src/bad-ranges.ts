/**
 * Every bad range on a host, in every coordinate system daxfleet can compute from one inventory (BadRange in
 * media.ts). Pure, so the agent (event derivation) and anyone holding a stored inventory get the same answer.
 *
 * Source of truth: each region's region-relative list (regionN/badblocks, what the kernel learned from ARS or a
 * machine check). A block device keeps its own list (/sys/block/pmemX/badblocks): the pmem driver copies the
 * region's ranges into it when it binds, and an administrator or a driver can add to it (`echo 1000 8 >
 * .../badblocks`). Ranges that appear only there are converted back to region-relative sectors through the
 * namespace's and region's `resource` (plus `data_offset` for fsdax) and reported with source 'blockdev'; ranges
 * the region list already covers are not repeated. A sector (btt) block device's list is never converted: the btt
 * remaps its sectors, so a btt sector has no fixed place in the region.
 *
 * Coordinates of a range (all sectors are 512 B):
 * - spa: region resource + region_offset * 512
 * - namespace: the one whose [resource, resource + raw_size) holds the range's first byte (else the first it
 *   overlaps); namespace_offset from its first data byte, as `ndctl list -M` prints it: resource + data_offset for
 *   fsdax/devdax, resource for raw/sector. Negative when the range lies in an info block or memmap reservation.
 * - blockdev + blockdev_offset: raw (from the namespace start) and fsdax (from the first data byte), when the range
 *   starts inside the block device; never for sector. A range only a block device lists keeps that device, its
 *   namespace and the sector as listed, even past the device's end (the kernel accepts any sector written there).
 * - chardev + chardev_offset_bytes: devdax, the dax device whose extent (mappingN, else its resource and size)
 *   holds the first byte; the byte offset counts the device's extents in page_offset order.
 * - dimms: from the region's mappings. One mapping: that DIMM and the DIMM physical address (mapping offset +
 *   the range's byte offset in the region). Several (an interleave set): every DIMM, without dpa (which one holds
 *   the bytes needs the platform's translate-SPA command).
 */
import type { BadRange } from './media.js';
import type { BadBlockRange, Inventory, Namespace, Region } from './inventory.js';

const SECTOR = 512;

/** Every bad range of the inventory, sorted by region name, then region offset, then length. */
export function badRangesOf(inventory: Inventory): BadRange[] {
  const ranges: BadRange[] = [];
  for (const bus of inventory.buses) {
    for (const region of bus.regions) ranges.push(...regionBadRanges(region));
  }
  return ranges.sort(compareRanges);
}

/** The identity of a range on its host: region, region-relative offset and length. */
export function badRangeKey(range: Pick<BadRange, 'region' | 'region_offset' | 'length'>): string {
  return `${range.region}+${range.region_offset}+${range.length}`;
}

export function compareRanges(a: BadRange, b: BadRange): number {
  if (a.region !== b.region) return a.region < b.region ? -1 : 1;
  return a.region_offset - b.region_offset || a.length - b.length;
}

function regionBadRanges(region: Region): BadRange[] {
  const regionStart = parseHex(region.resource);
  const out: BadRange[] = region.badblocks.map((bb) => describe(region, regionStart, bb.offset, bb.length, 'region'));
  if (regionStart === undefined) return out; // a block device's list cannot be placed without the region's address

  const regionList = region.badblocks;
  for (const ns of region.namespaces) {
    if (ns.blockdev_badblocks === undefined || ns.blockdev_badblocks.length === 0) continue;
    const base = blockdevBase(ns);
    if (base === undefined) continue;
    for (const bb of ns.blockdev_badblocks) {
      const byteInRegion = base - regionStart + bb.offset * SECTOR;
      if (byteInRegion < 0 || byteInRegion % SECTOR !== 0) continue;
      const offset = byteInRegion / SECTOR;
      if (coveredBy(regionList, offset, bb.length)) continue;
      if (out.some((r) => r.region_offset === offset && r.length === bb.length)) continue; // listed twice
      out.push(describe(region, regionStart, offset, bb.length, 'blockdev', { ns, offset: bb.offset }));
    }
  }
  return out;
}

/** SPA of block-device sector 0: the namespace start (raw), the first data byte (fsdax); none for btt. */
function blockdevBase(ns: Namespace): number | undefined {
  const resource = parseHex(ns.resource);
  if (resource === undefined) return undefined;
  if (ns.mode === 'raw') return resource;
  if (ns.mode === 'fsdax') return resource + (ns.data_offset ?? 0);
  return undefined;
}

/** Whether [offset, offset + length) lies inside the union of the region's ranges. */
function coveredBy(list: readonly BadBlockRange[], offset: number, length: number): boolean {
  let cursor = offset;
  const end = offset + length;
  const sorted = [...list].sort((a, b) => a.offset - b.offset);
  for (const r of sorted) {
    if (r.offset > cursor) break;
    cursor = Math.max(cursor, r.offset + r.length);
    if (cursor >= end) return true;
  }
  return cursor >= end;
}

/** A block-device-only range: the namespace whose block device listed it, and the sector as listed. */
interface ListedBy {
  ns: Namespace;
  offset: number;
}

function describe(region: Region, regionStart: number | undefined, offset: number, length: number,
  source: BadRange['source'], listedBy?: ListedBy): BadRange {
  const range: BadRange = { region: region.dev, region_offset: offset, length, dimms: dimmsOf(region, offset), source };
  if (regionStart === undefined) return range;
  const spa = regionStart + offset * SECTOR;
  range.spa = toHex(spa);
  // a block device's own list names its namespace, even for a sector past the device's end (the kernel takes any
  // sector written to the list)
  const ns = listedBy?.ns ?? namespaceAt(region, spa, length * SECTOR);
  if (ns === undefined) return range;
  const nsStart = parseHex(ns.resource) as number;
  const dataStart = ns.mode === 'fsdax' || ns.mode === 'devdax' ? nsStart + (ns.data_offset ?? 0) : nsStart;
  const nsOffsetBytes = spa - dataStart;
  range.namespace = ns.dev;
  range.namespace_mode = ns.mode;
  range.namespace_offset = Math.floor(nsOffsetBytes / SECTOR);
  const dataBytes = ns.mode === 'raw' ? (ns.raw_size ?? ns.size) : ns.size;
  const inData = nsOffsetBytes >= 0 && nsOffsetBytes < dataBytes;
  if (listedBy !== undefined && ns.blockdev !== undefined) {
    range.blockdev = ns.blockdev;
    range.blockdev_offset = listedBy.offset;
  } else if ((ns.mode === 'raw' || ns.mode === 'fsdax') && ns.blockdev !== undefined && inData) {
    range.blockdev = ns.blockdev;
    range.blockdev_offset = range.namespace_offset;
  }
  if (ns.mode === 'devdax') {
    const dev = chardevAt(ns, spa);
    if (dev !== undefined) {
      range.chardev = dev.chardev;
      range.chardev_offset_bytes = dev.offset;
    } else if (ns.chardev !== undefined && inData) {
      range.chardev = ns.chardev;
      range.chardev_offset_bytes = nsOffsetBytes;
    }
  }
  return range;
}

/** The namespace holding the range's first byte, else the first one the range overlaps. */
function namespaceAt(region: Region, spa: number, bytes: number): Namespace | undefined {
  let overlapping: Namespace | undefined;
  for (const ns of region.namespaces) {
    const start = parseHex(ns.resource);
    const size = ns.raw_size ?? 0;
    if (start === undefined || size <= 0) continue;
    if (spa >= start && spa < start + size) return ns;
    if (overlapping === undefined && spa < start + size && spa + bytes > start) overlapping = ns;
  }
  return overlapping;
}

/** The dax device (and byte offset in it) whose extents hold `spa`. */
function chardevAt(ns: Namespace, spa: number): { chardev: string; offset: number } | undefined {
  for (const dev of ns.daxregion?.devices ?? []) {
    if (dev.mappings !== undefined && dev.mappings.length > 0) {
      const extents = [...dev.mappings].sort((a, b) => a.page_offset - b.page_offset);
      let before = 0;
      for (const m of extents) {
        if (spa >= m.start && spa <= m.end) return { chardev: dev.chardev, offset: before + (spa - m.start) };
        before += m.size;
      }
      continue;
    }
    const start = parseHex(dev.resource);
    if (start !== undefined && spa >= start && spa < start + dev.size) return { chardev: dev.chardev, offset: spa - start };
  }
  return undefined;
}

function dimmsOf(region: Region, offset: number): BadRange['dimms'] {
  const [only, ...more] = region.mappings;
  if (only === undefined) return [];
  if (more.length === 0) return [{ dimm: only.dimm, dpa: toHex(only.offset + offset * SECTOR) }];
  return region.mappings.map((m) => ({ dimm: m.dimm }));
}

function parseHex(text: string | undefined): number | undefined {
  if (text === undefined || !/^0x[0-9a-f]+$/i.test(text)) return undefined;
  const value = Number.parseInt(text.slice(2), 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

function toHex(value: number): string {
  return `0x${value.toString(16)}`;
}
