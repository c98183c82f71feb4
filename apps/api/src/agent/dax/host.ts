/**
 * What the device planners read from the host, and where. On a live host: a fresh scanInventory('/sys'),
 * /proc/self/mountinfo, /sys/block/<dev>/holders and openersOf over /proc. Tests point the same code at a recorded
 * tree (lab/fixtures/NAME/sys with its mounts.txt) and a process list of their choosing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DaxDevice, Inventory, Namespace, Region } from '@daxfleet/shared';
import { parseMountinfo, type MountEntry } from '../media/files.js';
import { describeOpeners, makeDev, type Opener } from '../recovery/openers.js';

export interface DeviceHost {
  /** '/sys' on a live host */
  sysfsRoot: string;
  /** scanInventory({ sysfsRoot, health: false }): a fresh scan per plan and per verification */
  scan(): Promise<Inventory>;
  /** the text of /proc/self/mountinfo */
  mountinfo(): Promise<string>;
  /** '/proc': the processes holding the devices (deviceOpeners), the agent itself left out */
  procRoot: string;
  /** the pid deviceOpeners skips (default this process) */
  selfPid?: number;
}

/** The live host: /sys, /proc. */
export function liveDeviceHost(scan: () => Promise<Inventory>, procRoot = '/proc'): DeviceHost {
  return {
    sysfsRoot: '/sys',
    scan,
    mountinfo: () => readFile(path.join(procRoot, 'self/mountinfo'), 'utf8'),
    procRoot,
  };
}

export interface FoundNamespace {
  region: Region;
  namespace: Namespace;
}

export function findRegion(inventory: Inventory, dev: string): Region | undefined {
  for (const bus of inventory.buses) {
    const region = bus.regions.find((r) => r.dev === dev);
    if (region !== undefined) return region;
  }
  return undefined;
}

export function findNamespace(inventory: Inventory, dev: string): FoundNamespace | undefined {
  for (const bus of inventory.buses) {
    for (const region of bus.regions) {
      const namespace = region.namespaces.find((n) => n.dev === dev);
      if (namespace !== undefined) return { region, namespace };
    }
  }
  return undefined;
}

export interface FoundDaxDevice {
  device: DaxDevice;
  /** the devdax namespace it belongs to (absent for hmem / soft-reserved dax regions) */
  namespace?: Namespace;
  region?: Region;
}

export function findDaxDevice(inventory: Inventory, chardev: string): FoundDaxDevice | undefined {
  for (const bus of inventory.buses) {
    for (const region of bus.regions) {
      for (const namespace of region.namespaces) {
        const device = namespace.daxregion?.devices.find((d) => d.chardev === chardev);
        if (device !== undefined) return { device, namespace, region };
      }
    }
  }
  for (const daxRegion of inventory.dax_regions) {
    const device = daxRegion.devices.find((d) => d.chardev === chardev);
    if (device !== undefined) return { device };
  }
  return undefined;
}

/** "1.00 GiB" */
export function bytesText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(2)} ${units[unit]}`;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

/** A kernel device node: its name under /dev and its major:minor, from sysfs. */
export interface DeviceNode {
  name: string;
  /** "259:0" */
  dev: string;
  rdev: number;
}

function nodeOf(name: string, devText: string | undefined): DeviceNode | undefined {
  const m = /^(\d+):(\d+)$/.exec(devText ?? '');
  if (!m) return undefined;
  return { name, dev: `${m[1]}:${m[2]}`, rdev: makeDev(Number(m[1]), Number(m[2])) };
}

/** A block device and its partitions (pmem0, pmem0p1, ...), from /sys/block/<disk>. */
export async function blockNodes(sysfsRoot: string, disk: string): Promise<DeviceNode[]> {
  const dir = path.join(sysfsRoot, 'block', disk);
  const nodes: DeviceNode[] = [];
  const whole = nodeOf(disk, await readText(path.join(dir, 'dev')));
  if (whole !== undefined) nodes.push(whole);
  for (const entry of await listDir(dir)) {
    if (!entry.startsWith(disk)) continue;
    const part = nodeOf(entry, await readText(path.join(dir, entry, 'dev')));
    if (part !== undefined) nodes.push(part);
  }
  return nodes;
}

/** A dax character device (daxX.Y), from /sys/bus/dax/devices/<dev>/dev. */
export async function charNode(sysfsRoot: string, chardev: string): Promise<DeviceNode | undefined> {
  return nodeOf(chardev, await readText(path.join(sysfsRoot, 'bus/dax/devices', chardev, 'dev')));
}

/** Devices stacked on a block device or its partitions (device-mapper, md): /sys/block/<disk>[/<part>]/holders. */
export async function blockHolders(sysfsRoot: string, disk: string): Promise<string[]> {
  const dir = path.join(sysfsRoot, 'block', disk);
  const holders = await listDir(path.join(dir, 'holders'));
  for (const entry of await listDir(dir)) {
    if (entry.startsWith(disk)) holders.push(...(await listDir(path.join(dir, entry, 'holders'))));
  }
  return holders;
}

/** The mounts of any of these devices (by major:minor, as mountinfo's third field). */
export function mountsOf(nodes: readonly DeviceNode[], mounts: readonly MountEntry[]): MountEntry[] {
  const devs = new Set(nodes.map((n) => n.dev));
  const sources = new Set(nodes.map((n) => `/dev/${n.name}`));
  return mounts.filter((m) => devs.has(m.device) || sources.has(m.source));
}

export async function readMounts(host: DeviceHost): Promise<MountEntry[]> {
  return parseMountinfo(await host.mountinfo());
}

/** Errors that mean "this process or fd is gone, or not ours to read": skip it (as openersOf does). */
const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'ELOOP', 'ENXIO', 'ENODEV']);
function gone(err: unknown): boolean {
  return GONE.has((err as NodeJS.ErrnoException).code ?? '');
}

/** st_rdev of a device node, or undefined when `p` is none */
function rdevOf(p: string): bigint | undefined {
  try {
    const st = statSync(p, { bigint: true });
    return st.isCharacterDevice() || st.isBlockDevice() ? st.rdev : undefined;
  } catch {
    return undefined;
  }
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (gone(err)) return [];
    throw err;
  }
}

/**
 * The processes holding any of `nodes` open (an fd on the node) or mapped (/proc/<pid>/maps), in one walk of /proc
 * for all of them: openersOf (recovery/openers.ts) for device numbers only. Two differences keep a plan fast on a
 * slow host: of the mapped paths only those under /dev are stat()ed (a device is mapped through its node; an fd on
 * a node anywhere counts), and procfs is read synchronously (a few hundred small reads that never block on a
 * device: under emulation, the thread pool's round trip per call made the async walk take seconds).
 */
export function deviceOpeners(procRoot: string, nodes: readonly DeviceNode[], selfPid = process.pid): Map<string, Opener[]> {
  const byRdev = new Map(nodes.map((n) => [BigInt(n.rdev), n.name]));
  const found = new Map<string, Opener[]>();
  if (nodes.length === 0) return found;
  const mapped = new Map<string, bigint | undefined>();
  const pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n) && Number(n) !== selfPid).sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    const hits: { name: string; how: Opener['how'] }[] = [];
    for (const fd of readdirOrEmpty(path.join(procRoot, pid, 'fd'))) {
      const rdev = rdevOf(path.join(procRoot, pid, 'fd', fd));
      const name = rdev === undefined ? undefined : byRdev.get(rdev);
      if (name !== undefined && !hits.some((h) => h.name === name && h.how === 'fd')) hits.push({ name, how: 'fd' });
    }
    let maps = '';
    try {
      maps = readFileSync(path.join(procRoot, pid, 'maps'), 'utf8');
    } catch (err) {
      if (!gone(err)) throw err;
    }
    for (const line of maps.split('\n')) {
      const at = line.indexOf(' /dev/');
      if (at < 0) continue;
      const file = line.slice(at + 1).replace(/ \(deleted\)$/, '');
      if (!mapped.has(file)) mapped.set(file, rdevOf(file));
      const name = byRdev.get(mapped.get(file) ?? -1n);
      if (name !== undefined && !hits.some((h) => h.name === name && h.how === 'mmap')) hits.push({ name, how: 'mmap' });
    }
    if (hits.length === 0) continue;
    let comm = '?';
    try {
      comm = readFileSync(path.join(procRoot, pid, 'comm'), 'utf8').trim();
    } catch {
      // gone meanwhile: still named by pid
    }
    for (const hit of hits) found.set(hit.name, [...(found.get(hit.name) ?? []), { pid: Number(pid), comm, how: hit.how }]);
  }
  return found;
}

/** Who holds any of these device nodes: "/dev/pmem0: pid 123 (sleep, open fd)". Empty when nobody. */
export async function describeNodeOpeners(host: DeviceHost, nodes: readonly DeviceNode[]): Promise<string[]> {
  const found = deviceOpeners(host.procRoot, nodes, host.selfPid);
  return nodes.flatMap((n) => {
    const openers = found.get(n.name);
    return openers === undefined ? [] : [`/dev/${n.name}: ${describeOpeners(openers)}`];
  });
}

/** What a sysfs attribute under the nd bus says (the seeds, supported alignments, nstype); undefined when unreadable. */
export function ndAttr(sysfsRoot: string, device: string, attr: string): Promise<string | undefined> {
  return readText(path.join(sysfsRoot, 'bus/nd/devices', device, attr));
}

/** /sys/devices/system/memory: the block size in bytes (hex in sysfs) */
export async function memoryBlockSize(sysfsRoot: string): Promise<number | undefined> {
  const text = await readText(path.join(sysfsRoot, 'devices/system/memory/block_size_bytes'));
  if (text === undefined || !/^(0x)?[0-9a-f]+$/i.test(text)) return undefined;
  return parseInt(text.replace(/^0x/i, ''), 16);
}

export interface MemoryBlock {
  name: string;
  state: string;
  /** valid_zones: for an online block, the zone it is in (Movable, Normal) */
  zones: string;
}

/** The memoryN blocks inside a system-ram device's physical range, as libdaxctl's daxctl_memory_op walks them. */
export async function memoryBlocksOf(sysfsRoot: string, device: DaxDevice): Promise<MemoryBlock[] | undefined> {
  const blockSize = await memoryBlockSize(sysfsRoot);
  if (blockSize === undefined || blockSize === 0 || device.resource === undefined) return undefined;
  const start = Number(BigInt(device.resource));
  const end = start + device.size - 1;
  const dir = path.join(sysfsRoot, 'devices/system/memory');
  const blocks: MemoryBlock[] = [];
  for (const name of await listDir(dir)) {
    const m = /^memory(\d+)$/.exec(name);
    if (!m) continue;
    const blockStart = Number(m[1]) * blockSize;
    if (blockStart < start || blockStart > end) continue;
    blocks.push({
      name,
      state: (await readText(path.join(dir, name, 'state'))) ?? 'unknown',
      zones: (await readText(path.join(dir, name, 'valid_zones'))) ?? '',
    });
  }
  return blocks.sort((a, b) => Number(a.name.slice(6)) - Number(b.name.slice(6)));
}
