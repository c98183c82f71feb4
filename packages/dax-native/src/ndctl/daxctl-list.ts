/**
 * The inventory as `daxctl list -DRM` (daxctl 76) prints it: every dax region on the host, nd-backed
 * (devdax namespaces) and standalone (hmem), with devices and their physical mappings.
 */
import type { DaxRegion, Inventory } from '@daxfleet/shared';
import { compareKernfs } from '../sysfs/kernfs-order.js';
import { daxRegionToJson } from './ndctl-list.js';
import type { NdctlJson } from './json-c.js';

export interface DaxctlListOptions {
  /** `-i`: include devices of size 0 */
  idle?: boolean;
  /** `-M`: include each device's mappings (default true, as `daxctl list -DRM`) */
  mappings?: boolean;
}

export function toDaxctlList(inv: Inventory, opts: DaxctlListOptions = {}): NdctlJson[] {
  const regions: DaxRegion[] = [...inv.dax_regions];
  for (const bus of inv.buses) {
    for (const region of bus.regions) for (const ns of region.namespaces) if (ns.daxregion !== undefined) regions.push(ns.daxregion);
  }
  // libdaxctl meets regions through /sys/bus/dax/devices in readdir order, adding each region at its
  // first device with list_add(): the region met first is printed last.
  const byDevice: { name: string; region: DaxRegion }[] = [];
  for (const region of regions) for (const dev of region.devices) byDevice.push({ name: dev.chardev, region });
  byDevice.sort((a, b) => compareKernfs(a.name, b.name));
  const met: DaxRegion[] = [];
  for (const { region } of byDevice) if (!met.includes(region)) met.push(region);
  for (const region of regions) if (!met.includes(region)) met.push(region); // regions without devices
  const flags = { idle: opts.idle ?? false, withPath: true, withMappings: opts.mappings ?? true };
  return met.reverse().map((region) => daxRegionToJson(region, flags));
}
