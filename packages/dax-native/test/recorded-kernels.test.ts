/**
 * Acceptance against real kernels: every tree the lab recorded (Linux 6.1 under QEMU, ndctl 76.1)
 * must read back to exactly what ndctl and daxctl printed at the same moment.
 */
import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { InventorySchema, type Inventory } from '@daxfleet/shared';
import { scanInventory, stringifyNdctl, toDaxctlList, toNdctlList } from '../src/index.js';
import { normaliseNdctlValue, parseNdctlText, recordedKernels } from './recorded-fixtures.js';

const kernels = recordedKernels();

describe('recorded kernels', () => {
  it('has at least one recorded kernel to check against', () => {
    expect(kernels.map((k) => k.name)).not.toEqual([]);
  });

  describe.each(kernels.map((k) => [k.name, k] as const))('%s', (_name, kernel) => {
    it('equals `ndctl list -BDRNMX -v` field by field, then byte for byte', async () => {
      const inv = await scanInventory({ sysfsRoot: kernel.sysfsRoot });
      const expected = kernel.output('ndctl.json') ?? '';
      // structural first: a mismatch shows as a readable per-field diff
      expect(normaliseNdctlValue(toNdctlList(inv))).toEqual(parseNdctlText(expected));
      // then the exact text: key order, json-c layout, the raw signed iset_id
      expect(stringifyNdctl(toNdctlList(inv))).toBe(expected);
    });

    it.runIf(kernel.output('ndctl-idle.json') !== undefined)('equals `ndctl list -BDRNMX -v -i` (idle scan)', async () => {
      const inv = await scanInventory({ sysfsRoot: kernel.sysfsRoot, idle: true });
      const expected = kernel.output('ndctl-idle.json') ?? '';
      expect(normaliseNdctlValue(toNdctlList(inv, { idle: true }))).toEqual(parseNdctlText(expected));
      expect(stringifyNdctl(toNdctlList(inv, { idle: true }))).toBe(expected);
    });

    it.runIf(kernel.output('daxctl.json') !== undefined)('equals `daxctl list -DRM`', async () => {
      const inv = await scanInventory({ sysfsRoot: kernel.sysfsRoot });
      const expected = kernel.output('daxctl.json') ?? '';
      expect(normaliseNdctlValue(toDaxctlList(inv))).toEqual(parseNdctlText(expected));
      expect(stringifyNdctl(toDaxctlList(inv))).toBe(expected);
    });

    it.each([false, true])('produces an inventory the shared schema accepts, with no warnings on a healthy tree (idle %s)', async (idle) => {
      const inv: Inventory = await scanInventory({ sysfsRoot: kernel.sysfsRoot, idle });
      const errors = [...Value.Errors(InventorySchema, inv)].map((e) => `${e.instancePath}: ${e.message}`);
      expect(errors).toEqual([]);
      expect(inv.sysfs_root).toBe(kernel.sysfsRoot);
      expect(inv.health_source).toBe('none'); // a recorded tree never asks the live kernel
      const warnings = inv.buses.flatMap((bus) => [
        ...(bus.warnings ?? []),
        ...bus.dimms.flatMap((d) => d.warnings ?? []),
        ...bus.regions.flatMap((r) => [...(r.warnings ?? []), ...r.namespaces.flatMap((n) => n.warnings ?? [])]),
      ]);
      expect([...inv.warnings, ...warnings]).toEqual([]);
    });

    it('gives every fsdax/devdax namespace its data offset (claim resource minus namespace resource)', async () => {
      const inv = await scanInventory({ sysfsRoot: kernel.sysfsRoot });
      for (const ns of inv.buses.flatMap((b) => b.regions.flatMap((r) => r.namespaces))) {
        if ((ns.mode === 'fsdax' || ns.mode === 'devdax') && ns.state === 'enabled') {
          expect(ns.data_offset, ns.dev).toBeGreaterThan(0);
          // the info block and (map=dev) memmap come out of the raw size: usable + offset <= raw
          expect(ns.size + (ns.data_offset ?? 0), ns.dev).toBeLessThanOrEqual(ns.raw_size ?? 0);
        } else {
          expect(ns.data_offset, ns.dev).toBeUndefined();
        }
      }
    });
  });
});
