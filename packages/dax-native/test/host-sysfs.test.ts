/** The live /sys of this machine: libnvdimm is built in, but there is no NVDIMM. */
import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { InventorySchema } from '@daxfleet/shared';
import { scanInventory, stringifyNdctl, toDaxctlList, toNdctlList } from '../src/index.js';

describe('scanning the host /sys', () => {
  it('returns an inventory with zero buses and no dax regions, without throwing', async () => {
    const inv = await scanInventory();
    expect(inv.sysfs_root).toBe('/sys');
    expect(inv.buses).toEqual([]);
    expect(inv.dax_regions).toEqual([]);
    expect(inv.warnings).toEqual([]);
    expect(Value.Check(InventorySchema, inv)).toBe(true);
    // what `ndctl list -BDRNMX -v` and `daxctl list -DRM` print here: nothing
    expect(stringifyNdctl(toNdctlList(inv))).toBe('');
    expect(stringifyNdctl(toDaxctlList(inv))).toBe('');
  });

  it('reads the same with health turned off', async () => {
    const inv = await scanInventory({ sysfsRoot: '/sys', health: false });
    expect(inv.health_source).toBe('none');
    expect(inv.buses).toEqual([]);
  });
});
