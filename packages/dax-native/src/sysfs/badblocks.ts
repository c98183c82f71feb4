/**
 * Bad-block ranges moved between coordinate systems the way ndctl's json.c does it.
 * All ranges are in 512-byte sectors; addresses are physical (SPA) bytes.
 */
import type { BadBlockRange } from '@daxfleet/shared';

/** What a region contributes to its namespaces' bad-block lists. */
export interface RegionMedia {
  /** SPA of the region's first byte; undefined when `resource` is unreadable */
  resource: number | undefined;
  /** region-relative ranges from regionN/badblocks, with the DIMMs under them */
  badblocks: BadBlockRange[];
}

/**
 * ndctl's dev_badblocks_to_json(): the region's ranges that overlap [devBegin, devBegin + devSize),
 * clipped to it and made relative to devBegin. Used for fsdax (pfn), devdax (dax) and sector (btt).
 */
export function clipRegionBadblocks(region: RegionMedia, devBegin: number, devSize: number): BadBlockRange[] {
  if (region.resource === undefined) return [];
  const devEnd = devBegin + devSize - 1;
  const ranges: BadBlockRange[] = [];
  for (const bb of region.badblocks) {
    const bbBegin = region.resource + bb.offset * 512;
    const bbEnd = bbBegin + bb.length * 512 - 1;
    // the comparisons are ndctl's own (an overlap of a single byte at either edge is skipped)
    if (bbEnd <= devBegin || bbBegin >= devEnd) continue;
    const begin = Math.max(bbBegin, devBegin);
    const end = Math.min(bbEnd, devEnd);
    const length = Math.floor((end - begin + 1) / 512);
    const range: BadBlockRange = { offset: Math.floor((begin - devBegin) / 512), length };
    if (bb.dimms !== undefined) range.dimms = bb.dimms;
    ranges.push(range);
  }
  return ranges;
}

export function sectorCount(ranges: readonly BadBlockRange[]): number {
  let count = 0;
  for (const range of ranges) count += range.length;
  return count;
}
