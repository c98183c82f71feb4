/**
 * scanInventory(): the host's persistent-memory inventory from a sysfs tree, the live /sys or a
 * recorded copy, through the same code path.
 */
import { realpathSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Bus, DaxRegion, DimmHealth, Inventory } from '@daxfleet/shared';
import { listDir, linkTarget, type Warnings } from './read.js';
import { compareNatural } from './kernfs-order.js';
import { scanBus } from './bus.js';
import { scanDaxRegion } from './dax.js';
import type { ScanContext } from './context.js';

export interface ScanOptions {
  /** the sysfs mount to read; default "/sys" */
  sysfsRoot?: string;
  /** read DIMM health through the native addon; default: only for "/sys" when the addon loaded */
  health?: boolean;
  /** also keep unconfigured seeds (size-0 namespaces and dax devices), as `ndctl list -i` shows them */
  idle?: boolean;
}

/** The error scanInventory() rejects with when the root itself cannot be read. */
export interface SysfsRootError extends Error {
  code: 'ENOENT' | 'EACCES' | 'ENOTDIR';
  path: string;
}

function rootError(code: SysfsRootError['code'], path: string): SysfsRootError {
  const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable (permission denied)' : 'is not a directory';
  return Object.assign(new Error(`sysfs root ${path} ${why}`), { code, path });
}

/** Fails fast, with a one-line reason, when the root cannot serve as a sysfs tree. */
function checkRoot(root: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(root).isDirectory();
    if (isDirectory) readdirSync(root);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR') throw rootError(code, root);
    if (code === 'EPERM') throw rootError('EACCES', root);
    throw err;
  }
  if (!isDirectory) throw rootError('ENOTDIR', root);
}

/**
 * The real ndbusN directories, in natural order. libndctl finds buses through /sys/class/nd/ndctlN
 * (whose parent device is the bus); a tree without that class directory falls back to bus/nd.
 */
function findBusPaths(root: string): string[] {
  const paths: string[] = [];
  const controls = listDir(`${root}/class/nd`).filter((n) => /^ndctl\d+$/.test(n));
  for (const control of controls.sort(compareNatural)) {
    try {
      paths.push(realpathSync.native(`${root}/class/nd/${control}/device`));
    } catch {
      // a dangling class link (bus going away): nothing to read
    }
  }
  if (controls.length > 0) return paths;
  for (const name of listDir(`${root}/bus/nd/devices`).filter((n) => /^ndbus\d+$/.test(n)).sort(compareNatural)) {
    try {
      paths.push(realpathSync.native(`${root}/bus/nd/devices/${name}`));
    } catch {
      // dangling
    }
  }
  return paths;
}

/**
 * dax regions that no nd namespace owns (hmem / soft-reserved memory): every daxR.N on the dax bus
 * whose parent directory is not an nd dax claim already read under a namespace.
 */
function scanStandaloneDaxRegions(ctx: ScanContext, buses: readonly Bus[], warnings: Warnings): DaxRegion[] {
  const owned = new Set<string>();
  for (const bus of buses) {
    for (const region of bus.regions) {
      for (const ns of region.namespaces) for (const dev of ns.daxregion?.devices ?? []) owned.add(dev.chardev);
    }
  }
  const byParent = new Map<string, { id: number; label: string }>();
  const devicesDir = `${ctx.root}/bus/dax/devices`;
  for (const name of listDir(devicesDir).sort(compareNatural)) {
    const match = /^dax(\d+)\.\d+$/.exec(name);
    if (!match || owned.has(name)) continue;
    // the nd dax claim directory is named like its child ("dax1.0/dax1.0"): also skip by link target
    const target = linkTarget(`${devicesDir}/${name}`) ?? '';
    if (/\/region\d+\/dax\d+\.\d+\/dax\d+\.\d+$/.test(target)) continue;
    let real: string;
    try {
      real = realpathSync.native(`${devicesDir}/${name}`);
    } catch {
      continue;
    }
    const parent = real.slice(0, real.lastIndexOf('/'));
    if (!byParent.has(parent)) byParent.set(parent, { id: Number(match[1]), label: `bus/dax/devices/${name}/..` });
  }
  const regions: DaxRegion[] = [];
  for (const [path, { id, label }] of byParent) {
    const region = scanDaxRegion(ctx, { path, label }, id, warnings);
    if (region !== undefined) regions.push(region);
  }
  return regions;
}

interface HealthSource {
  isAvailable(): boolean;
  loadError(): Error | undefined;
  readDimmHealth(): Promise<Map<string, DimmHealth>>;
}

/** The addon is optional: loaded on demand, and a missing build leaves health out. */
async function loadHealthSource(): Promise<HealthSource | undefined> {
  try {
    return (await import('../addon.js')) as HealthSource;
  } catch {
    return undefined;
  }
}

/**
 * DIMM health through libndctl. Explicitly requested: a missing addon is a warning. By default only
 * the live /sys asks, and a missing addon silently leaves health out (health_source "none").
 */
async function attachHealth(buses: Bus[], root: string, requested: boolean | undefined, warnings: Warnings): Promise<Inventory['health_source']> {
  if (requested === false || (requested === undefined && root !== '/sys')) return 'none';
  const addon = await loadHealthSource();
  if (addon === undefined || !addon.isAvailable()) {
    if (requested === true) {
      const why = addon?.loadError()?.message.split('\n')[0] ?? 'addon module missing';
      warnings.push({ path: 'health', message: `DIMM health requested but the native addon is unavailable: ${why}` });
    }
    return 'none';
  }
  if (!buses.some((bus) => bus.dimms.length > 0)) return 'libndctl';
  try {
    const health = await addon.readDimmHealth();
    for (const bus of buses) {
      for (const dimm of bus.dimms) {
        const entry = health.get(dimm.dev);
        if (entry !== undefined) dimm.health = entry;
      }
    }
    return 'libndctl';
  } catch (err) {
    warnings.push({ path: 'health', message: `DIMM health unreadable: ${err instanceof Error ? err.message : String(err)}` });
    return 'none';
  }
}

/**
 * Runs a synchronous reader with stack capture off. An attribute a kernel lacks (security, frozen,
 * persistence_domain, ...) is found out by a failed open(), and Node builds an Error for each;
 * without stack traces that costs a fraction, and no stack is ever shown from inside the reader.
 */
function withoutStackTraces<T>(read: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return read();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Where NVDIMM buses and dax devices would show up: a tree with none of them has nothing to read. */
const SUBSYSTEM_DIRS = ['bus/nd', 'class/nd', 'bus/dax'] as const;
/** Present in every sysfs mount, NVDIMMs or not. */
const SYSFS_MARKERS = ['kernel', 'devices/system'] as const;

/**
 * An empty inventory is the right answer for a sysfs without NVDIMMs (a kernel without libnvdimm has
 * no bus/nd either), so only a root that has neither the NVDIMM/dax subsystem directories nor the
 * directories every sysfs has gets a warning: most likely the wrong directory was given.
 */
function rootWarning(root: string): Warnings[number] | undefined {
  if (SUBSYSTEM_DIRS.some((dir) => isDirectory(`${root}/${dir}`))) return undefined;
  if (SYSFS_MARKERS.some((dir) => isDirectory(`${root}/${dir}`))) return undefined;
  const nested = SUBSYSTEM_DIRS.some((dir) => isDirectory(`${root}/sys/${dir}`));
  const hint = nested
    ? `; ${root}/sys has them: a recorded tree is read from its sys/ directory`
    : '; the inventory is empty because there was nothing to read, not because the host has no persistent memory';
  return {
    path: '.',
    message:
      `no NVDIMM bus or dax subsystem found under ${root} (none of ${SUBSYSTEM_DIRS.join(', ')}), and it does not look like a ` +
      `sysfs mount (no ${SYSFS_MARKERS.map((dir) => `${dir}/`).join(' or ')}): probably not a sysfs root${hint}`,
  };
}

export async function scanInventory(opts: ScanOptions = {}): Promise<Inventory> {
  const root = resolve(opts.sysfsRoot ?? '/sys');
  checkRoot(root);
  const ctx: ScanContext = { root, idle: opts.idle ?? false };
  const warnings: Warnings = [];
  const notSysfs = rootWarning(root);
  if (notSysfs !== undefined) warnings.push(notSysfs);

  const { buses, daxRegions } = withoutStackTraces(() => {
    const found: Bus[] = [];
    for (const busPath of findBusPaths(root)) {
      const bus = scanBus(ctx, busPath, warnings);
      if (bus !== undefined) found.push(bus);
    }
    return { buses: found, daxRegions: scanStandaloneDaxRegions(ctx, found, warnings) };
  });

  const healthSource = await attachHealth(buses, root, opts.health, warnings);
  return { schema_version: 1, sysfs_root: root, buses, dax_regions: daxRegions, health_source: healthSource, warnings };
}
