/**
 * badRangesOf on the recorded kernels that hold bad blocks (lab/fixtures/two-dimm-all-modes, four-dimm-mixed).
 * Every expected number is derived by hand from the recorded sysfs attributes (region and namespace `resource`,
 * the pfn/dax claim's `resource` for the data offset, regionN/badblocks, /sys/block/pmemX/badblocks, regionN/
 * mapping0); the comments show the arithmetic. ndctl.json next to each tree cross-checks the namespace offsets.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { badRangesOf, type BadRange } from '@daxfleet/shared';
import { describe, expect, it } from 'vitest';
import { FIXTURES_DIR, fixtureInventory } from './helpers.js';

describe('badRangesOf on recorded kernels', () => {
  it('two-dimm-all-modes: devdax region poison and a range written to a raw block device', async () => {
    const ranges = badRangesOf(await fixtureInventory('two-dimm-all-modes'));
    expect(ranges).toEqual<BadRange[]>([
      {
        // region0/badblocks is empty; /sys/block/pmem0.3/badblocks "1000 8" (raw namespace0.3):
        // namespace0.3/resource 0x168000000 - region0/resource 0x140000000 = 0x28000000 B = 1310720 sectors, + 1000
        region: 'region0', region_offset: 1311720, length: 8,
        spa: '0x16807d000', // 0x168000000 + 1000 * 512 (0x7d000)
        namespace: 'namespace0.3', namespace_mode: 'raw', namespace_offset: 1000,
        blockdev: 'pmem0.3', blockdev_offset: 1000,
        dimms: [{ dimm: 'nmem1', dpa: '0x2807d000' }], // region0/mapping0 "nmem1,0,1073741824,0": 0 + 0x2807d000
        source: 'blockdev',
      },
      {
        // region1/badblocks "655360 8"; region1/resource 0x100000000: SPA 0x100000000 + 655360 * 512 (0x14000000)
        region: 'region1', region_offset: 655360, length: 8, spa: '0x114000000',
        // namespace1.1 [0x110000000, +128 MiB); its dax claim dax1.1/resource 0x110400000 is the first data byte:
        // (0x114000000 - 0x110400000) / 512 = 0x3c00000 / 512 = 122880; dax1.1 starts there too (one extent)
        namespace: 'namespace1.1', namespace_mode: 'devdax', namespace_offset: 122880,
        chardev: 'dax1.1', chardev_offset_bytes: 0x3c00000,
        dimms: [{ dimm: 'nmem0', dpa: '0x14000000' }], // region1/mapping0 "nmem0,0,...": DPA = region offset
        source: 'region',
      },
    ]);
  });

  it('four-dimm-mixed: poison under sector, raw, devdax, fsdax and free space, and a write to an fsdax block device', async () => {
    const ranges = badRangesOf(await fixtureInventory('four-dimm-mixed'));
    expect(ranges).toEqual<BadRange[]>([
      {
        // /sys/block/pmem0/badblocks "4096 8" (fsdax namespace0.0), not in region0/badblocks: namespace0.0/resource
        // 0x120000000 = region0/resource, pfn0.0/resource 0x120200000 (data_offset 2 MiB = 4096 sectors): 4096 + 4096
        region: 'region0', region_offset: 8192, length: 8, spa: '0x120400000',
        namespace: 'namespace0.0', namespace_mode: 'fsdax', namespace_offset: 4096,
        blockdev: 'pmem0', blockdev_offset: 4096,
        dimms: [{ dimm: 'nmem1', dpa: '0x400000' }],
        source: 'blockdev',
      },
      {
        // region0/badblocks "614400 8": 0x120000000 + 614400 * 512 (0x12c00000) = 0x132c00000, inside the sector
        // namespace0.1 [0x130000000, +128 MiB): (0x132c00000 - 0x130000000) / 512 = 90112; a btt has no fixed sector
        region: 'region0', region_offset: 614400, length: 8, spa: '0x132c00000',
        namespace: 'namespace0.1', namespace_mode: 'sector', namespace_offset: 90112,
        dimms: [{ dimm: 'nmem1', dpa: '0x12c00000' }],
        source: 'region',
      },
      {
        // region2/badblocks "131072 8", region2/resource 0x100000000: SPA 0x104000000, raw namespace2.0 starts at
        // the region start, so its block device pmem2 lists the same sector (and it is not repeated)
        region: 'region2', region_offset: 131072, length: 8, spa: '0x104000000',
        namespace: 'namespace2.0', namespace_mode: 'raw', namespace_offset: 131072,
        blockdev: 'pmem2', blockdev_offset: 131072,
        dimms: [{ dimm: 'nmem0', dpa: '0x4000000' }],
        source: 'region',
      },
      {
        // region2/badblocks "327680 8": SPA 0x10a000000 in devdax namespace2.1 [0x108000000, +256 MiB), data from
        // dax2.1/resource 0x108600000: 0x1a00000 B = 53248 sectors
        region: 'region2', region_offset: 327680, length: 8, spa: '0x10a000000',
        namespace: 'namespace2.1', namespace_mode: 'devdax', namespace_offset: 53248,
        chardev: 'dax2.1', chardev_offset_bytes: 0x1a00000,
        dimms: [{ dimm: 'nmem0', dpa: '0xa000000' }],
        source: 'region',
      },
      {
        // region3/badblocks "204800 8", region3/resource 0x140000000: SPA 0x146400000 in fsdax namespace3.0, whose
        // pfn3.0/resource 0x140400000 puts the data 8192 sectors in: 196608, as /sys/block/pmem3/badblocks lists it
        region: 'region3', region_offset: 204800, length: 8, spa: '0x146400000',
        namespace: 'namespace3.0', namespace_mode: 'fsdax', namespace_offset: 196608,
        blockdev: 'pmem3', blockdev_offset: 196608,
        dimms: [{ dimm: 'nmem2', dpa: '0x6400000' }],
        source: 'region',
      },
      {
        // region3/badblocks "819200 8": SPA 0x159000000, past namespace3.0's end (0x14c000000): free space
        region: 'region3', region_offset: 819200, length: 8, spa: '0x159000000',
        dimms: [{ dimm: 'nmem2', dpa: '0x19000000' }],
        source: 'region',
      },
    ]);
  });

  it.each(['two-dimm-all-modes', 'four-dimm-mixed'])('%s: namespace offsets agree with `ndctl list -M` (fsdax, devdax, sector)', async (name) => {
    const ranges = badRangesOf(await fixtureInventory(name));
    type NdctlNs = { dev: string; mode: string; badblocks?: Array<{ offset: number; length: number }> };
    const ndctl = JSON.parse(readFileSync(path.join(FIXTURES_DIR, name, 'ndctl.json'), 'utf8')) as
      Array<{ regions?: Array<{ namespaces?: NdctlNs[] }> }>;
    let checked = 0;
    for (const ns of ndctl.flatMap((b) => b.regions ?? []).flatMap((r) => r.namespaces ?? [])) {
      if (!['fsdax', 'devdax', 'sector'].includes(ns.mode)) continue;
      for (const bb of ns.badblocks ?? []) {
        expect(ranges.some((r) => r.namespace === ns.dev && r.namespace_offset === bb.offset && r.length === bb.length),
          `${ns.dev} ${bb.offset}+${bb.length}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
