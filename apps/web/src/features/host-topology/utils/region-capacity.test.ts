import { regionCapacity, summarizeInventory, type CapacityByMode } from '@daxfleet/shared';
import { describe, expect, inject, it } from 'vitest';

/**
 * The region bars (RegionNode draws regionCapacity from @daxfleet/shared, unit-tested there) must add up to the
 * host summary the fleet page shows, on every recorded kernel.
 */
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
