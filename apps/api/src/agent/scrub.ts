/**
 * The agent's part of an address range scrub (ARS): `ndctl start-scrub` done the kernel's way. For the named bus,
 * or every nd bus under the sysfs root, it reads `ndbusN/nfit/scrub` ("<count>" or "<count>+" while a scrub
 * runs), writes "1\n" to it when no scrub runs (drivers/acpi/nfit/core.c scrub_store ->
 * acpi_nfit_ars_rescan), and reads it again. A bus without the file cannot scrub (QEMU's emulated NFIT, e820):
 * it is answered, not an error. The hub reads the per-bus answer; completion shows up later in the inventory
 * (the count goes up, the "+" goes away), which the agent reports like any other change.
 */
import { constants } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ScrubBusResult } from '@daxfleet/shared';

export const NO_SCRUB_REASON = 'the platform does not offer address range scrub (no nfit/scrub)';

const BUS_NAME = /^ndbus\d+$/;

interface ScrubAttr { scrub_count: number; scrub_state: 'idle' | 'active' }

/** "<count>" or "<count>+", as the inventory reader (dax-native sysfs/bus.ts parseScrub) reads it */
export function parseScrubText(text: string): ScrubAttr | undefined {
  const match = /^(\d+)(\+?)$/.exec(text.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  if (!Number.isSafeInteger(count) || count > 0xffffffff) return undefined;
  return { scrub_count: count, scrub_state: match[2] === '+' ? 'active' : 'idle' };
}

/** `<root>/bus/nd/devices/<bus>/nfit/scrub` */
export function scrubAttributePath(sysfsRoot: string, bus: string): string {
  return path.join(sysfsRoot, 'bus/nd/devices', bus, 'nfit/scrub');
}

/** What the kernel's refusal of the write means, in words an operator can act on. */
export function scrubWriteError(bus: string, err: NodeJS.ErrnoException): string {
  const what = `the kernel refused to start a scrub on ${bus}`;
  switch (err.code) {
    case 'EBUSY':
      return `${what} (EBUSY): a scrub is already requested on every range of this bus; wait for it to finish ` +
        '(ndctl wait-scrub) and try again';
    case 'ENOTTY':
      return `${what} (ENOTTY): none of its address ranges supports ARS`;
    case 'ENXIO':
      return `${what} (ENXIO): the NFIT driver is shutting down on this bus`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `the agent may not write ${bus}/nfit/scrub (${err.code}): run the agent as root, with /sys writable`;
    default:
      return `${what} (${err.code ?? err.message})`;
  }
}

async function listBuses(sysfsRoot: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(path.join(sysfsRoot, 'bus/nd/devices'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names.filter((n) => BUS_NAME.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
}

async function readState(file: string): Promise<ScrubAttr | undefined | null> {
  try {
    return parseScrubText(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Starts a scrub on one bus; never throws for what the kernel or the platform answers. */
async function startOn(sysfsRoot: string, bus: string): Promise<ScrubBusResult> {
  const file = scrubAttributePath(sysfsRoot, bus);
  let before: ScrubAttr | undefined | null;
  try {
    before = await readState(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { bus, started: false, supported: true, reason: `cannot read ${bus}/nfit/scrub (${e.code ?? e.message})` };
  }
  if (before === null) return { bus, started: false, supported: false, reason: NO_SCRUB_REASON };
  if (before === undefined) {
    return { bus, started: false, supported: true, reason: `${bus}/nfit/scrub holds no scrub count: not started` };
  }
  if (before.scrub_state === 'active') {
    return {
      bus, started: false, supported: true, scrub_count: before.scrub_count, scrub_state: 'active',
      reason: `a scrub is already running on ${bus}: wait for it to finish (ndctl wait-scrub)`,
    };
  }
  try {
    // as `echo 1 >` opens it, minus O_CREAT: only an attribute that exists is written (kernfs ignores O_TRUNC)
    const handle = await open(file, constants.O_WRONLY | constants.O_TRUNC);
    try {
      await handle.write('1\n', 0);
    } finally {
      await handle.close();
    }
  } catch (err) {
    return {
      bus, started: false, supported: true, scrub_count: before.scrub_count, scrub_state: before.scrub_state,
      reason: scrubWriteError(bus, err as NodeJS.ErrnoException),
    };
  }
  const after = await readState(file).catch(() => undefined);
  return {
    bus, started: true, supported: true, scrub_count: before.scrub_count,
    ...(after ? { scrub_state: after.scrub_state } : {}),
  };
}

/**
 * Starts a scrub on `bus`, or on every nd bus that has nfit/scrub. One answer per bus considered (a named bus
 * that does not exist is answered too); buses are handled one after the other, as `ndctl start-scrub` does.
 */
export async function startScrub(sysfsRoot: string, bus?: string): Promise<ScrubBusResult[]> {
  const buses = await listBuses(sysfsRoot);
  if (bus !== undefined) {
    if (!buses.includes(bus)) {
      return [{ bus, started: false, supported: false, reason: `this host has no bus ${bus} (buses: ${buses.join(', ') || 'none'})` }];
    }
    return [await startOn(sysfsRoot, bus)];
  }
  const results: ScrubBusResult[] = [];
  for (const name of buses) results.push(await startOn(sysfsRoot, name));
  return results;
}
