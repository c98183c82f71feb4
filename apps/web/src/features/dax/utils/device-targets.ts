/** The host's regions, namespaces and dax devices as flat lists: what the DAX page offers changes on. */
import type { DaxDevice, Inventory, Namespace, Region } from '@daxfleet/shared';

export type NamespaceTarget = { namespace: Namespace; region: string };
export type DaxDeviceTarget = { device: DaxDevice; /** the devdax namespace it lives in; absent for hmem dax regions */ namespace?: string | undefined };

export function listRegions(inventory: Inventory): Region[] {
  return inventory.buses.flatMap((bus) => bus.regions);
}

export function listNamespaces(inventory: Inventory): NamespaceTarget[] {
  return listRegions(inventory).flatMap((region) => region.namespaces.map((namespace) => ({ namespace, region: region.dev })));
}

export function listDaxDevices(inventory: Inventory): DaxDeviceTarget[] {
  const fromNamespaces = listNamespaces(inventory).flatMap(({ namespace }) =>
    (namespace.daxregion?.devices ?? []).map((device) => ({ device, namespace: namespace.dev })));
  const fromDaxRegions = inventory.dax_regions.flatMap((region) => region.devices.map((device) => ({ device })));
  return [...fromNamespaces, ...fromDaxRegions];
}

/**
 * Free space a new namespace can take: the largest free extent (what ndctl create-namespace uses by default), else
 * the available size; undefined when the kernel gives neither.
 */
export function regionFreeSpace(region: Region): number | undefined {
  return region.max_available_extent ?? region.available_size;
}

/** A namespace the kernel still lists but that holds nothing: ndctl's idle seed (mode raw, size 0). */
export function isSeedNamespace(namespace: Namespace): boolean {
  return namespace.size === 0;
}
