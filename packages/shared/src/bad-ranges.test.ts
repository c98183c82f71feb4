/**
 * badRangesOf on small hand-made inventories: the cases the recorded QEMU trees cannot show (an interleave set,
 * an unknown region address, a device-DAX device split into extents, overlapping lists). The recorded trees are
 * checked in apps/api/test/agent-media-ranges.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { badRangeKey, badRangesOf } from './bad-ranges.js';
import type { Inventory, Namespace, Region } from './inventory.js';

const MiB = 1024 ** 2;

function namespace(over: Partial<Namespace> & Pick<Namespace, 'dev' | 'mode' | 'size'>): Namespace {
  return { state: 'enabled', badblocks: [], badblock_count: 0, ...over };
}

function region(over: Partial<Region> & Pick<Region, 'dev' | 'size'>): Region {
  return { type: 'pmem', state: 'enabled', mappings: [], badblocks: [], badblock_count: 0, namespaces: [], ...over };
}

function inventory(regions: Region[]): Inventory {
  return {
    schema_version: 1, sysfs_root: '/sys', dax_regions: [], health_source: 'none', warnings: [],
    buses: [{ dev: 'ndbus0', provider: 'ACPI.NFIT', dimms: [], regions }],
  };
}

describe('badRangesOf', () => {
  it('an interleave set names every DIMM and no DIMM physical address', () => {
    const inv = inventory([region({
      dev: 'region0', size: 1024 * MiB, resource: '0x200000000',
      mappings: [{ dimm: 'nmem0', offset: 0, length: 512 * MiB }, { dimm: 'nmem1', offset: 0, length: 512 * MiB }],
      badblocks: [{ offset: 2048, length: 8 }],
    })]);
    expect(badRangesOf(inv)).toEqual([{
      region: 'region0', region_offset: 2048, length: 8, spa: '0x200100000', source: 'region',
      dimms: [{ dimm: 'nmem0' }, { dimm: 'nmem1' }],
    }]);
  });

  it('without the region address only region coordinates are known, and block-device lists are not placed', () => {
    const inv = inventory([region({
      dev: 'region1', size: 64 * MiB, mappings: [{ dimm: 'nmem2', offset: 16 * MiB, length: 64 * MiB }],
      badblocks: [{ offset: 8, length: 1 }],
      namespaces: [namespace({ dev: 'namespace1.0', mode: 'raw', size: 64 * MiB, raw_size: 64 * MiB, blockdev: 'pmem1',
        resource: '0x100000000', blockdev_badblocks: [{ offset: 100, length: 1 }] })],
    })]);
    expect(badRangesOf(inv)).toEqual([{
      region: 'region1', region_offset: 8, length: 1, source: 'region',
      dimms: [{ dimm: 'nmem2', dpa: `0x${(16 * MiB + 8 * 512).toString(16)}` }],
    }]);
  });

  it('a devdax device made of two extents counts bytes across them in page_offset order', () => {
    const base = 0x300000000;
    const inv = inventory([region({
      dev: 'region2', size: 256 * MiB, resource: `0x${base.toString(16)}`,
      badblocks: [{ offset: (4 * MiB + 16 * MiB + 4096) / 512, length: 8 }],
      namespaces: [namespace({
        dev: 'namespace2.0', mode: 'devdax', size: 128 * MiB, raw_size: 132 * MiB, data_offset: 4 * MiB,
        resource: `0x${base.toString(16)}`, chardev: 'dax2.0',
        daxregion: { id: 2, size: 128 * MiB, align: 4096, devices: [{
          chardev: 'dax2.0', size: 32 * MiB, mode: 'devdax', mappings: [
            // the second extent (by page_offset) lies first in the address space
            { page_offset: 4096, start: base + 4 * MiB + 16 * MiB, end: base + 4 * MiB + 32 * MiB - 1, size: 16 * MiB },
            { page_offset: 0, start: base + 4 * MiB + 64 * MiB, end: base + 4 * MiB + 80 * MiB - 1, size: 16 * MiB },
          ],
        }] },
      })],
    })]);
    const [range] = badRangesOf(inv);
    expect(range).toMatchObject({
      namespace: 'namespace2.0', namespace_mode: 'devdax', namespace_offset: (16 * MiB + 4096) / 512,
      chardev: 'dax2.0', chardev_offset_bytes: 16 * MiB + 4096,
    });
    expect(range?.blockdev).toBeUndefined();
  });

  it('a block-device range inside a region range is not repeated; one that sticks out is reported as blockdev', () => {
    const inv = inventory([region({
      dev: 'region3', size: 128 * MiB, resource: '0x400000000',
      badblocks: [{ offset: 100, length: 8 }, { offset: 108, length: 8 }],
      namespaces: [namespace({
        dev: 'namespace3.0', mode: 'fsdax', size: 60 * MiB, raw_size: 64 * MiB, data_offset: 2 * MiB,
        resource: '0x400000000', blockdev: 'pmem3',
        // block-device sector 0 is the first data byte: region sector 2 MiB / 512 = 4096
        blockdev_badblocks: [{ offset: 0, length: 4 }, { offset: 200, length: 8 }, { offset: 200, length: 8 }],
      })],
    })]);
    const keys = badRangesOf(inv).map((r) => `${badRangeKey(r)} ${r.source} ${r.namespace_offset ?? '-'} ${r.blockdev_offset ?? '-'}`);
    expect(keys).toEqual([
      // in the info block / memmap reservation: namespace offset negative, no block-device coordinate
      'region3+100+8 region -3996 -',
      'region3+108+8 region -3988 -',
      'region3+4096+4 blockdev 0 0',
      'region3+4296+8 blockdev 200 200',
    ]);
  });

  it('a block-device range covered by two adjacent region ranges counts as covered', () => {
    const inv = inventory([region({
      dev: 'region4', size: 64 * MiB, resource: '0x500000000',
      badblocks: [{ offset: 1000, length: 8 }, { offset: 1008, length: 8 }],
      namespaces: [namespace({ dev: 'namespace4.0', mode: 'raw', size: 64 * MiB, raw_size: 64 * MiB,
        resource: '0x500000000', blockdev: 'pmem4', blockdev_badblocks: [{ offset: 1004, length: 8 }] })],
    })]);
    expect(badRangesOf(inv).map((r) => r.source)).toEqual(['region', 'region']);
  });

  it('a sector written past the end of a block device stays with that device and its namespace', () => {
    // the kernel takes any sector written to /sys/block/pmemX/badblocks, even one past the device's capacity
    const inv = inventory([region({
      dev: 'region5', size: 256 * MiB, resource: '0x600000000',
      namespaces: [namespace({ dev: 'namespace5.0', mode: 'raw', size: 64 * MiB, raw_size: 64 * MiB,
        resource: '0x600000000', blockdev: 'pmem5', blockdev_badblocks: [{ offset: 200_000, length: 8 }] })],
    })]);
    expect(badRangesOf(inv)).toEqual([{
      region: 'region5', region_offset: 200_000, length: 8, spa: `0x${(0x600000000 + 200_000 * 512).toString(16)}`,
      namespace: 'namespace5.0', namespace_mode: 'raw', namespace_offset: 200_000, blockdev: 'pmem5',
      blockdev_offset: 200_000, dimms: [], source: 'blockdev',
    }]);
  });
});
