import { summarizeInventory, type CapacityByMode, type Namespace, type Region } from '@daxfleet/shared';
import { describe, expect, inject, it } from 'vitest';
import { regionCapacity } from './region-capacity';

const MiB = 1024 ** 2;

function namespace(over: Partial<Namespace> & Pick<Namespace, 'dev' | 'mode' | 'size'>): Namespace {
  return { state: 'enabled', badblocks: [], badblock_count: 0, ...over };
}

function region(namespaces: Namespace[], available?: number): Region {
  return {
    dev: 'region0', size: 1024 * MiB, type: 'pmem', state: 'enabled', mappings: [], badblocks: [], badblock_count: 0,
    namespaces, ...(available === undefined ? {} : { available_size: available }),
  };
}

describe('regionCapacity', () => {
  it('counts each namespace by mode with the space it occupies, and available space as free', () => {
    expect(regionCapacity(region([
      namespace({ dev: 'namespace0.0', mode: 'fsdax', size: 376 * MiB, raw_size: 384 * MiB }),
      namespace({ dev: 'namespace0.1', mode: 'sector', size: 126 * MiB, raw_size: 128 * MiB }),
      namespace({ dev: 'namespace0.2', mode: 'raw', size: 64 * MiB }),
      namespace({ dev: 'namespace0.3', mode: 'unknown', size: 64 * MiB }),
    ], 320 * MiB))).toEqual({ fsdax: 384 * MiB, sector: 128 * MiB, raw: 64 * MiB, devdax: 0, 'system-ram': 0, free: 320 * MiB });
  });

  it('moves the share of a devdax namespace onlined as system RAM, overhead included, to system-ram', () => {
    const kmem = namespace({
      dev: 'namespace1.0', mode: 'devdax', size: 376 * MiB, raw_size: 384 * MiB,
      daxregion: { id: 1, size: 376 * MiB, align: 2 * MiB, devices: [{ chardev: 'dax1.0', size: 376 * MiB, mode: 'system-ram' }] },
    });
    const plain = namespace({
      dev: 'namespace1.1', mode: 'devdax', size: 250 * MiB, raw_size: 256 * MiB,
      daxregion: { id: 1, size: 250 * MiB, align: 2 * MiB, devices: [{ chardev: 'dax1.1', size: 250 * MiB, mode: 'devdax' }] },
    });
    expect(regionCapacity(region([kmem, plain]))).toEqual({
      fsdax: 0, sector: 0, raw: 0, devdax: 256 * MiB, 'system-ram': 384 * MiB, free: 0,
    });
  });
});

describe('regionCapacity on recorded kernels', () => {
  const kernels = inject('recordedKernels');
  for (const [name, { inventory }] of Object.entries(kernels)) {
    it(`adds up to the hub's host summary on ${name}`, () => {
      const total: CapacityByMode = { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0 };
      for (const region of inventory.buses.flatMap((bus) => bus.regions)) {
        for (const [mode, bytes] of Object.entries(regionCapacity(region))) total[mode as keyof CapacityByMode] += bytes;
      }
      const expected = summarizeInventory({ ...inventory, dax_regions: [] }).capacity_by_mode;
      expect(total).toEqual(expected);
      expect(Object.values(total).reduce((sum, bytes) => sum + bytes, 0))
        .toBe(inventory.buses.flatMap((bus) => bus.regions).reduce((sum, region) => sum + region.size, 0));
    });
  }
});
