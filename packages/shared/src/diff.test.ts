import { describe, expect, it } from 'vitest';
import { canonicalInventory, diffInventories } from './diff.js';
import type { Inventory } from './inventory.js';

function baseInventory(): Inventory {
  return {
    schema_version: 1,
    sysfs_root: '/sys',
    health_source: 'libndctl',
    warnings: [],
    dax_regions: [],
    buses: [{
      dev: 'ndbus0', provider: 'ACPI.NFIT', scrub_state: 'idle', scrub_count: 1,
      dimms: [{ dev: 'nmem0', state: 'enabled', health: { supported: true, health_state: 'ok', temperature_celsius: 30 } }],
      regions: [{
        dev: 'region0', size: 1 << 30, available_size: 0, type: 'pmem', state: 'enabled', mappings: [],
        badblocks: [], badblock_count: 0,
        namespaces: [{
          dev: 'namespace0.0', mode: 'devdax', size: 1 << 29, state: 'enabled', badblocks: [], badblock_count: 0,
          daxregion: { id: 0, size: 1 << 29, align: 2097152, devices: [{ chardev: 'dax0.0', size: 1 << 29, mode: 'devdax' }] },
        }],
      }],
    }],
  };
}

describe('diffInventories', () => {
  it('finds nothing between equal inventories', () => {
    expect(diffInventories(baseInventory(), baseInventory())).toEqual([]);
  });

  it('reports changed fields with from and to, by ndctl name, nested fields dotted', () => {
    const next = baseInventory();
    const ns = next.buses[0]!.regions[0]!.namespaces[0]!;
    ns.size = 1 << 28;
    ns.badblocks = [{ offset: 8, length: 1 }];
    ns.badblock_count = 1;
    next.buses[0]!.dimms[0]!.health!.health_state = 'critical';
    expect(diffInventories(baseInventory(), next)).toEqual([
      { kind: 'changed', object: 'nmem0', object_type: 'dimm', field: 'health.health_state', from: 'ok', to: 'critical' },
      { kind: 'changed', object: 'namespace0.0', object_type: 'namespace', field: 'size', from: 1 << 29, to: 1 << 28 },
      { kind: 'changed', object: 'namespace0.0', object_type: 'namespace', field: 'badblocks', from: [], to: [{ offset: 8, length: 1 }] },
      { kind: 'changed', object: 'namespace0.0', object_type: 'namespace', field: 'badblock_count', from: 0, to: 1 },
    ]);
  });

  it('reports removed and added objects, including dax regions and devices under a namespace', () => {
    const next = baseInventory();
    const region = next.buses[0]!.regions[0]!;
    region.namespaces = [{ dev: 'namespace0.1', mode: 'fsdax', map: 'dev', size: 1 << 29, state: 'enabled', badblocks: [], badblock_count: 0 }];
    expect(diffInventories(baseInventory(), next)).toEqual([
      { kind: 'removed', object: 'namespace0.0', object_type: 'namespace' },
      { kind: 'removed', object: 'namespace0.0/daxregion0', object_type: 'dax_region' },
      { kind: 'removed', object: 'dax0.0', object_type: 'dax_device' },
      { kind: 'added', object: 'namespace0.1', object_type: 'namespace' },
    ]);
  });

  it('names dax regions by their namespace: same-id regions of two devdax namespaces stay apart', () => {
    const prev = baseInventory();
    const region = prev.buses[0]!.regions[0]!;
    const second = structuredClone(region.namespaces[0]!);
    second.dev = 'namespace0.1';
    second.daxregion!.devices[0]!.chardev = 'dax0.1';
    region.namespaces.push(second);
    const next = structuredClone(prev);
    next.buses[0]!.regions[0]!.namespaces.shift();
    next.buses[0]!.regions[0]!.namespaces[0]!.daxregion!.align = 4096;
    expect(diffInventories(prev, next)).toEqual([
      { kind: 'removed', object: 'namespace0.0', object_type: 'namespace' },
      { kind: 'removed', object: 'namespace0.0/daxregion0', object_type: 'dax_region' },
      { kind: 'removed', object: 'dax0.0', object_type: 'dax_device' },
      { kind: 'changed', object: 'namespace0.1/daxregion0', object_type: 'dax_region', field: 'align', from: 2097152, to: 4096 },
    ]);
  });

  it('shows a field the kernel stopped reporting as a change without "to"', () => {
    const next = baseInventory();
    delete next.buses[0]!.regions[0]!.available_size;
    expect(diffInventories(baseInventory(), next)).toEqual([
      { kind: 'changed', object: 'region0', object_type: 'region', field: 'available_size', from: 0 },
    ]);
  });

  it('ignores volatile fields (temperature, scrub progress)', () => {
    const next = baseInventory();
    next.buses[0]!.dimms[0]!.health!.temperature_celsius = 45;
    next.buses[0]!.scrub_count = 7;
    next.buses[0]!.scrub_state = 'active';
    expect(diffInventories(baseInventory(), next)).toEqual([]);
  });
});

describe('canonicalInventory', () => {
  it('is equal for inventories differing only in volatile fields or key order', () => {
    const a = baseInventory();
    const b = baseInventory();
    b.buses[0]!.dimms[0]!.health!.temperature_celsius = 60;
    const reordered = JSON.parse(JSON.stringify(b), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v) as Inventory;
    expect(JSON.stringify(canonicalInventory(reordered))).toBe(JSON.stringify(canonicalInventory(a)));
  });

  it('differs when a configuration field changes', () => {
    const b = baseInventory();
    b.buses[0]!.regions[0]!.namespaces[0]!.size = 1;
    expect(JSON.stringify(canonicalInventory(b))).not.toBe(JSON.stringify(canonicalInventory(baseInventory())));
  });

  it('does not modify its argument', () => {
    const a = baseInventory();
    canonicalInventory(a);
    expect(a.buses[0]!.dimms[0]!.health!.temperature_celsius).toBe(30);
  });
});
