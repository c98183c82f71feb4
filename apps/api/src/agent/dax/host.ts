/**
 * What the device planners read from the host, and where. On a live host: a fresh scanInventory('/sys'),
 * /proc/self/mountinfo, /sys/block/<dev>/holders and openersOf over /proc. Tests point the same code at a recorded
 * tree (lab/fixtures/NAME/sys with its mounts.txt) and a process list of their choosing.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DaxDevice, Inventory, Namespace, Region } from '@daxfleet/shared';
import { parseMountinfo, type MountEntry } from '../media/files.js';
import { describeOpeners, makeDev, openersOf, type Opener, type OpenerTarget } from '../recovery/openers.js';

export interface DeviceHost {
  /** '/sys' on a live host */
  sysfsRoot: string;
  /** scanInventory({ sysfsRoot, health: false }): a fresh scan per plan and per verification */
  scan(): Promise<Inventory>;
  /** the text of /proc/self/mountinfo */
  mountinfo(): Promise<string>;
  /** the processes holding a device open or mapped (openersOf over /proc, the agent itself left out) */
  openers(target: OpenerTarget): Promise<Opener[]>;
}

/** The live host: /sys, /proc. */
export function liveDeviceHost(scan: () => Promise<Inventory>, procRoot = '/proc'): DeviceHost {
  return {
    sysfsRoot: '/sys',
    scan,
    mountinfo: () => readFile(path.join(procRoot, 'self/mountinfo'), 'utf8'),
    openers: (target) => openersOf(procRoot, target),
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

/** Who holds any of these device nodes: "/dev/pmem0: pid 123 (sleep, open fd)". Empty when nobody. */
export async function describeNodeOpeners(host: DeviceHost, nodes: readonly DeviceNode[]): Promise<string[]> {
  const held: string[] = [];
  for (const node of nodes) {
    const openers = await host.openers({ rdev: node.rdev });
    if (openers.length > 0) held.push(`/dev/${node.name}: ${describeOpeners(openers)}`);
  }
  return held;
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
