/**
 * summarizeInventory on kernels recorded in the lab: every bad sector the kernel lists (region poison, the
 * namespace views of it, block-device entries) counted exactly once, and capacity by mode adding up.
 */
import { describe, expect, it } from 'vitest';
import { summarizeInventory } from '@daxfleet/shared';
import { fixtureInventory } from './helpers.js';

describe('summary of recorded kernels', () => {
  it('two-dimm-all-modes: region poison seen through a devdax namespace counts once', async () => {
    // region1: poison at region sector 655360, listed again by namespace1.1 after its 4 MiB data offset;
    // region0: 8 sectors written to raw pmem0.3's block device only
    const s = summarizeInventory(await fixtureInventory('two-dimm-all-modes'));
    expect(s.badblock_count).toBe(16);
    expect(s.capacity_by_mode).toEqual({
      raw: 64 * 2 ** 20, sector: 128 * 2 ** 20, fsdax: 512 * 2 ** 20, devdax: 384 * 2 ** 20, 'system-ram': 384 * 2 ** 20,
      free: 576 * 2 ** 20,
    });
  });

  it('four-dimm-mixed: raw, sector, fsdax and devdax views of region poison, plus a block-device entry', async () => {
    const s = summarizeInventory(await fixtureInventory('four-dimm-mixed'));
    // region0: 614400 (also namespace0.1's 90112) + pmem0's 4096 -> 16; region2: 131072, 327680 (also
    // namespace2.0 and namespace2.1's 53248) -> 16; region3: 204800 (also namespace3.0's 196608), 819200 -> 16
    expect(s.badblock_count).toBe(48);
    const c = s.capacity_by_mode;
    expect(c.raw + c.sector + c.fsdax + c.devdax + c['system-ram'] + c.free).toBe(s.total_capacity);
    expect(s).toMatchObject({ dimm_count: 4, region_count: 4, namespace_count: 7 });
    expect(s.health.not_reported).toBe(4);
  });
});
