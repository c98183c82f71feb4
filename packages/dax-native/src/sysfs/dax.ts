/**
 * Device-DAX regions and devices, read as libdaxctl reads them: a region is the directory holding
 * `dax_region/` and its `daxR.N` devices; a device is in system-ram mode when it sits on the dax bus
 * with the kmem driver bound, and then its memory blocks are counted from /sys/devices/system.
 */
import { realpathSync } from 'node:fs';
import type { DaxDevice, DaxMapping, DaxRegion } from '@daxfleet/shared';
import { listDir, readAttr, readRequiredAttr, isSymlink, linkBasename, linkTarget, child, type DeviceDir, type Warnings } from './read.js';
import { parseU64, readNode, readU64, toHex } from './parse.js';
import { compareNatural } from './kernfs-order.js';
import type { ScanContext } from './context.js';


/** `region` is the directory that holds dax_region/ (an nd dax claim such as region1/dax1.0, or an hmem device). */
export function scanDaxRegion(ctx: ScanContext, region: DeviceDir, id: number, warnings: Warnings): DaxRegion | undefined {
  const attrs = child(region, 'dax_region');
  const size = readU64(attrs, 'size', warnings, true);
  const align = readU64(attrs, 'align', warnings, true);
  if (size === undefined || align === undefined) return undefined;

  const daxRegion: DaxRegion = { id, size, align, devices: [] };
  const available = readU64(attrs, 'available_size', warnings);
  if (available !== undefined) daxRegion.available_size = available;
  daxRegion.dev = region.path.slice(region.path.lastIndexOf('/') + 1);
  const path = sysfsDevicesPath(ctx, region.path);
  if (path !== undefined) daxRegion.path = path;

  // dax-bus model: devices are children of the region; the older dax-class model put them in dax/
  const prefix = `dax${id}.`;
  const names = listDir(region.path).filter((n) => isDevName(n, prefix));
  const classNames = names.length === 0 ? listDir(`${region.path}/dax`).filter((n) => isDevName(n, prefix)) : [];
  for (const name of names.sort(compareNatural)) {
    const device = scanDaxDevice(ctx, { path: `${region.path}/${name}`, label: `bus/dax/devices/${name}` }, name);
    if (device !== undefined && (device.size > 0 || ctx.idle)) daxRegion.devices.push(device);
  }
  for (const name of classNames.sort(compareNatural)) {
    const device = scanDaxDevice(ctx, { path: `${region.path}/dax/${name}`, label: `class/dax/${name}` }, name);
    if (device !== undefined && (device.size > 0 || ctx.idle)) daxRegion.devices.push(device);
  }
  return daxRegion;
}

function isDevName(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length));
}

/** "/sys/devices/X/Y" as daxctl prints a region path: "/X/Y" (its "/sys/devices" prefix trimmed). */
function sysfsDevicesPath(ctx: ScanContext, path: string): string | undefined {
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch {
    return undefined;
  }
  const devices = `${ctx.root === '/' ? '' : ctx.root}/devices`;
  return real.startsWith(`${devices}/`) ? real.slice(devices.length) : undefined;
}

export function scanDaxDevice(ctx: ScanContext, dir: DeviceDir, name: string): DaxDevice | undefined {
  const warnings: Warnings = [];
  const size = readU64(dir, 'size', warnings, true);
  if (size === undefined) return undefined; // libdaxctl's add_dax_dev() drops such a device too

  const onDaxBus = (linkTarget(`${dir.path}/subsystem`) ?? '').endsWith('/bus/dax');
  // libdaxctl: a dax-class device (old model) counts as enabled; a dax-bus device needs a driver
  const enabled = !onDaxBus || isSymlink(dir, 'driver');
  const systemRam = onDaxBus && enabled && linkBasename(dir, 'driver') === 'kmem';

  const device: DaxDevice = { chardev: name, size, mode: systemRam ? 'system-ram' : 'devdax', state: enabled ? 'enabled' : 'disabled' };
  const targetNode = readNode(dir, 'target_node', warnings);
  if (targetNode !== undefined) device.target_node = targetNode;
  const numaNode = readNode(dir, 'numa_node', warnings);
  if (numaNode !== undefined) device.numa_node = numaNode;
  const align = readU64(dir, 'align', warnings);
  if (align !== undefined && align > 0) device.align = align;
  const resource = readU64(dir, 'resource', warnings);
  if (resource !== undefined) device.resource = toHex(resource);

  if (systemRam && resource !== undefined && resource !== 0) {
    const blocks = countMemoryBlocks(ctx, resource, size, targetNode, warnings, dir.label);
    if (blocks !== undefined) {
      device.online_memblocks = blocks.online;
      device.total_memblocks = blocks.total;
      if (blocks.movable !== undefined) device.movable = blocks.movable;
    }
  }

  const mappings = readDaxMappings(dir, warnings);
  if (mappings.length > 0) device.mappings = mappings;
  if (warnings.length > 0) device.warnings = warnings;
  return device;
}

/** daxX.Y/mappingN/{start,end,page_offset}, N from 0 until the first missing one (libdaxctl). */
function readDaxMappings(dir: DeviceDir, warnings: Warnings): DaxMapping[] {
  const mappings: DaxMapping[] = [];
  for (let i = 0; ; i++) {
    const mapping = child(dir, `mapping${i}`);
    const startText = readAttr(mapping, 'start', warnings);
    if (startText === undefined) break;
    const start = parseU64(startText);
    const end = readU64(mapping, 'end', warnings);
    const pageOffset = readU64(mapping, 'page_offset', warnings);
    if (start === undefined || end === undefined || pageOffset === undefined) {
      warnings.push({ path: mapping.label, message: 'incomplete or malformed mapping' });
      break;
    }
    mappings.push({ page_offset: pageOffset, start, end, size: end - start + 1 });
  }
  return mappings;
}

interface MemoryBlocks {
  online: number;
  total: number;
  /** undefined when a block in the range is offline (daxctl then prints no "movable") */
  movable: boolean | undefined;
}

/**
 * libdaxctl's daxctl_memory_op(): the memoryN blocks of the device's target node whose physical
 * start lies inside the device, how many are online, and whether all online blocks are ZONE_MOVABLE.
 */
function countMemoryBlocks(
  ctx: ScanContext, resource: number, size: number, targetNode: number | undefined, warnings: Warnings, label: string,
): MemoryBlocks | undefined {
  const memoryDir: DeviceDir = { path: `${ctx.root}/devices/system/memory`, label: 'devices/system/memory' };
  const blockSizeText = readRequiredAttr(memoryDir, 'block_size_bytes', warnings);
  const blockSize = blockSizeText === undefined ? undefined : parseHex(blockSizeText);
  if (blockSize === undefined || blockSize === 0 || targetNode === undefined) {
    warnings.push({ path: label, message: 'memory blocks of this system-ram device cannot be counted (memory block size or target node unknown)' });
    return undefined;
  }
  const nodeDir: DeviceDir = { path: `${ctx.root}/devices/system/node/node${targetNode}`, label: `devices/system/node/node${targetNode}` };
  const names = listDir(nodeDir.path).filter((n) => n.startsWith('memory') && !n.startsWith('memory_'));
  if (names.length === 0) {
    warnings.push({ path: nodeDir.label, message: 'no memory blocks listed for the target node' });
    return undefined;
  }
  const end = resource + size - 1;
  let online = 0;
  let total = 0;
  let zone: string | undefined;
  let anyOffline = false;
  for (const name of names) {
    const physIndexText = readAttr(child(memoryDir, name), 'phys_index', warnings);
    const physIndex = physIndexText === undefined ? undefined : parseHex(physIndexText);
    if (physIndex === undefined) {
      warnings.push({ path: `${memoryDir.label}/${name}/phys_index`, message: 'unreadable or malformed' });
      return undefined;
    }
    const start = physIndex * blockSize;
    if (start < resource || start > end) continue;
    total++;
    const block = child(nodeDir, name);
    const state = readAttr(block, 'state', warnings);
    if (state === undefined) return undefined;
    if (!state.startsWith('online')) {
      anyOffline = true;
      continue;
    }
    online++;
    const zones = readAttr(block, 'valid_zones', warnings);
    const blockZone = zones === 'Movable' || zones === 'Normal' ? zones : 'mixed';
    zone = zone === undefined ? blockZone : zone === blockZone ? zone : 'mixed';
  }
  return { online, total, movable: anyOffline ? undefined : zone === 'Movable' };
}

/** strtoul(text, NULL, 16): memory block sysfs numbers are hex without a prefix. */
function parseHex(text: string): number | undefined {
  const t = text.trim().replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]+$/.test(t)) return undefined;
  const value = parseInt(t, 16);
  return Number.isSafeInteger(value) ? value : undefined;
}
