import type { Inventory, ScanWarning } from '@daxfleet/shared';

export type LocatedWarning = ScanWarning & { object: string };

/** Every scan warning of an inventory, with the name of the object it belongs to, in topology order. */
export function collectWarnings(inventory: Inventory): LocatedWarning[] {
  const found: LocatedWarning[] = [];
  const add = (object: string, warnings: readonly ScanWarning[] | undefined) => {
    for (const warning of warnings ?? []) found.push({ object, ...warning });
  };
  add('inventory', inventory.warnings);
  for (const bus of inventory.buses) {
    add(bus.dev, bus.warnings);
    for (const dimm of bus.dimms) add(dimm.dev, dimm.warnings);
    for (const region of bus.regions) {
      add(region.dev, region.warnings);
      for (const namespace of region.namespaces) {
        add(namespace.dev, namespace.warnings);
        for (const device of namespace.daxregion?.devices ?? []) add(device.chardev, device.warnings);
      }
    }
  }
  for (const daxRegion of inventory.dax_regions) {
    for (const device of daxRegion.devices) add(device.chardev, device.warnings);
  }
  return found;
}
