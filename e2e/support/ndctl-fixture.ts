import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir } from './paths';

/**
 * What `ndctl list -BDRNMX -v` printed in the lab at the moment the fixture's sysfs tree was recorded:
 * the independent truth the UI is checked against. Only the fields the tests read are typed.
 */
export type NdctlBadBlock = { offset: number; length: number; dimms?: string[] };
export type NdctlDaxDevice = { chardev: string; size: number; mode: 'devdax' | 'system-ram'; online_memblocks?: number; total_memblocks?: number };
export type NdctlNamespace = {
  dev: string; mode: string; size: number; blockdev?: string; chardev?: string; name?: string;
  daxregion?: { id: number; devices?: NdctlDaxDevice[] };
  badblock_count?: number; badblocks?: NdctlBadBlock[];
};
export type NdctlRegion = {
  dev: string; size: number; available_size?: number; type: string;
  badblock_count?: number; badblocks?: NdctlBadBlock[]; namespaces?: NdctlNamespace[];
};
export type NdctlDimm = { dev: string; id?: string; health?: { health_state?: string } };
export type NdctlBus = { dev: string; provider: string; dimms?: NdctlDimm[]; regions?: NdctlRegion[] };

export function readNdctlFixture(fixture: string): NdctlBus[] {
  // iset_id is a signed 64-bit integer beyond a double's range: quote it before parsing, the tests never read it
  const text = readFileSync(join(fixtureDir(fixture), 'ndctl.json'), 'utf8').replace(/("iset_id":)(-?\d+)/g, '$1"$2"');
  const parsed = JSON.parse(text) as NdctlBus[] | NdctlBus;
  return Array.isArray(parsed) ? parsed : [parsed];
}

export function regionsOf(buses: readonly NdctlBus[]): NdctlRegion[] {
  return buses.flatMap((bus) => bus.regions ?? []);
}

export function namespacesOf(buses: readonly NdctlBus[]): NdctlNamespace[] {
  return regionsOf(buses).flatMap((region) => region.namespaces ?? []);
}

export function hasBadBlocks(buses: readonly NdctlBus[]): boolean {
  return regionsOf(buses).some((region) => (region.badblock_count ?? 0) > 0
    || (region.namespaces ?? []).some((namespace) => (namespace.badblock_count ?? 0) > 0));
}

/** The capacity modes the host's namespaces occupy, as the fleet page names them. */
export function modesInUse(buses: readonly NdctlBus[]): Set<string> {
  const modes = new Set<string>();
  for (const namespace of namespacesOf(buses)) {
    if (namespace.mode !== 'devdax') modes.add(namespace.mode);
    for (const device of namespace.daxregion?.devices ?? []) modes.add(device.mode);
  }
  if (regionsOf(buses).some((region) => (region.available_size ?? 0) > 0)) modes.add('free');
  return modes;
}

/** ndctl -u style: binary units, two decimals ("376.00 MiB"). */
export function humanBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}
