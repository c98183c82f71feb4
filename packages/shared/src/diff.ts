/**
 * What changed between two inventories of one host, object by object (by ndctl name), field by field.
 * The hub stores these changes with each new inventory version; the UI shows them in the history.
 *
 * Volatile fields (temperatures, scrub progress) are left out of both the diff and the canonical form the hub
 * hashes, so a host whose DIMMs warm up does not create a new inventory version every scan.
 */
import type { InventoryChange } from './api.js';
import type { Inventory } from './inventory.js';

type ObjectType = InventoryChange['object_type'];

/** Fields that change from scan to scan without the configuration changing, per object type. */
export const VOLATILE_FIELDS: Readonly<Partial<Record<ObjectType, readonly string[]>>> = {
  bus: ['scrub_state', 'scrub_count'],
  dimm: ['health.temperature_celsius', 'health.controller_temperature_celsius'],
};

interface FlatObject {
  type: ObjectType;
  /** dotted path ("health.health_state") -> value; arrays of child objects are their own objects */
  fields: Map<string, unknown>;
}

/**
 * Changes from `prev` to `next`: objects removed, then objects changed (one entry per field) or added, in the
 * order they appear in `next`. An absent value (the kernel did not report it) shows as a missing from / to.
 */
export function diffInventories(prev: Inventory, next: Inventory): InventoryChange[] {
  const before = flattenInventory(prev);
  const after = flattenInventory(next);
  const changes: InventoryChange[] = [];
  for (const [name, obj] of before) {
    if (!after.has(name)) changes.push({ kind: 'removed', object: name, object_type: obj.type });
  }
  for (const [name, obj] of after) {
    const old = before.get(name);
    if (!old) {
      changes.push({ kind: 'added', object: name, object_type: obj.type });
      continue;
    }
    const fields = new Set([...old.fields.keys(), ...obj.fields.keys()]);
    for (const field of fields) {
      const from = old.fields.get(field);
      const to = obj.fields.get(field);
      if (sameValue(from, to)) continue;
      const change: InventoryChange = { kind: 'changed', object: name, object_type: obj.type, field };
      if (from !== undefined) change.from = from;
      if (to !== undefined) change.to = to;
      changes.push(change);
    }
  }
  return changes;
}

/**
 * The inventory without volatile fields and with object keys sorted: equal configurations give byte-equal
 * JSON.stringify output, which the hub hashes to decide whether a report is a new inventory version.
 */
export function canonicalInventory(inv: Inventory): unknown {
  const copy = structuredClone(inv);
  for (const bus of copy.buses) {
    for (const f of VOLATILE_FIELDS.bus ?? []) delete (bus as Record<string, unknown>)[f];
    for (const dimm of bus.dimms) {
      if (!dimm.health) continue;
      for (const f of VOLATILE_FIELDS.dimm ?? []) {
        if (f.startsWith('health.')) delete (dimm.health as Record<string, unknown>)[f.slice('health.'.length)];
      }
    }
  }
  return sortKeys(copy);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
  return out;
}

/** Every object of the inventory by its ndctl name, with its own (non-child) fields flattened. */
function flattenInventory(inv: Inventory): Map<string, FlatObject> {
  const objects = new Map<string, FlatObject>();
  const add = (name: string, type: ObjectType, value: object, childKeys: readonly string[]): void => {
    let unique = name;
    for (let i = 2; objects.has(unique); i++) unique = `${name}#${i}`;
    const fields = new Map<string, unknown>();
    flattenFields(value, '', childKeys, fields);
    for (const f of VOLATILE_FIELDS[type] ?? []) fields.delete(f);
    objects.set(unique, { type, fields });
  };

  add('inventory', 'inventory', inv, ['buses', 'dax_regions']);
  // A dax region's id repeats across the devdax namespaces of one nd region, so one under a namespace is named
  // after it ("namespace1.0/daxregion1"); dax regions outside namespaces (hmem) are "daxregionN".
  const addDaxRegion = (region: Inventory['dax_regions'][number], owner?: string): void => {
    add(owner ? `${owner}/daxregion${region.id}` : `daxregion${region.id}`, 'dax_region', region, ['devices']);
    for (const dev of region.devices) add(dev.chardev, 'dax_device', dev, []);
  };
  for (const bus of inv.buses) {
    add(bus.dev, 'bus', bus, ['dimms', 'regions']);
    for (const dimm of bus.dimms) add(dimm.dev, 'dimm', dimm, []);
    for (const region of bus.regions) {
      add(region.dev, 'region', region, ['namespaces']);
      for (const ns of region.namespaces) {
        add(ns.dev, 'namespace', ns, ['daxregion']);
        if (ns.daxregion) addDaxRegion(ns.daxregion, ns.dev);
      }
    }
  }
  for (const region of inv.dax_regions) addDaxRegion(region);
  return objects;
}

function flattenFields(value: object, prefix: string, skip: readonly string[], out: Map<string, unknown>): void {
  for (const [key, v] of Object.entries(value)) {
    if (prefix === '' && skip.includes(key)) continue;
    if (v === undefined) continue;
    const path = prefix + key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flattenFields(v, `${path}.`, [], out);
    else out.set(path, v);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
