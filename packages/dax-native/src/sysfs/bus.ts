/**
 * One nd bus (ndbusN): provider, ARS scrub state, DIMMs and regions, as libndctl's add_bus() and
 * ndctl_bus_get_scrub_state() read them.
 */
import { existsSync } from 'node:fs';
import type { Bus } from '@daxfleet/shared';
import { listDir, readAttr, readRequiredAttr, type DeviceDir, type Warnings } from './read.js';
import { compareNatural } from './kernfs-order.js';
import { scanDimm } from './dimm.js';
import { scanRegion } from './region.js';
import type { ScanContext } from './context.js';

/** The bus's `nfit/scrub` text: "<completed scrubs>" or "<completed scrubs>+" while one runs. */
export function parseScrub(text: string): { scrub_count: number; scrub_state: 'idle' | 'active' } | undefined {
  const match = /^(\d+)(\+?)$/.exec(text.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  if (!Number.isSafeInteger(count) || count > 0xffffffff) return undefined;
  return { scrub_count: count, scrub_state: match[2] === '+' ? 'active' : 'idle' };
}

/** `busPath` is the real ndbusN directory; undefined (with a warning) when its provider is unreadable. */
export function scanBus(ctx: ScanContext, busPath: string, inventoryWarnings: Warnings): Bus | undefined {
  const name = busPath.slice(busPath.lastIndexOf('/') + 1);
  const dir: DeviceDir = { path: busPath, label: `bus/nd/devices/${name}` };
  const warnings: Warnings = [];
  const provider = readRequiredAttr(dir, 'provider', warnings);
  if (provider === undefined) {
    inventoryWarnings.push(...warnings, { path: dir.label, message: 'bus skipped: provider unreadable' });
    return undefined;
  }
  const bus: Bus = { dev: name, provider, dimms: [], regions: [] };

  // Firmware-interface family, as libndctl decides it: ACPI NFIT buses have nfit/revision,
  // PAPR (device-tree) buses an of_node.
  const family = existsSync(`${busPath}/nfit/revision`) ? 'nfit' : existsSync(`${busPath}/of_node`) ? 'papr' : undefined;
  if (family === 'nfit') {
    const scrubText = readAttr({ path: `${busPath}/nfit`, label: `${dir.label}/nfit` }, 'scrub', warnings);
    if (scrubText !== undefined) {
      const scrub = parseScrub(scrubText);
      if (scrub !== undefined) Object.assign(bus, scrub);
      else warnings.push({ path: `${dir.label}/nfit/scrub`, message: `malformed scrub state: ${JSON.stringify(scrubText)}` });
    }
  }

  const entries = listDir(busPath).sort(compareNatural);
  for (const entry of entries) {
    if (/^nmem\d+$/.test(entry)) bus.dimms.push(scanDimm(dir, entry, family));
  }
  for (const entry of entries) {
    if (!/^region\d+$/.test(entry)) continue;
    const region = scanRegion(ctx, dir, entry, warnings);
    if (region !== undefined) bus.regions.push(region);
  }

  if (warnings.length > 0) bus.warnings = warnings;
  return bus;
}
