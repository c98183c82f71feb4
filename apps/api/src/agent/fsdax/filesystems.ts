/**
 * The mounted filesystems that can do DAX (ext2, ext4, xfs, virtiofs, erofs), as the inventory reports them
 * (Inventory.filesystems, dax-modes.ts DaxFilesystem): the dax mount mode from mountinfo's options, and from sysfs
 * whether the device under it supports DAX (/sys/block/<disk>/queue/dax: 1 on an fsdax namespace's pmem disk) and
 * which nd namespace that disk belongs to.
 *
 * The device is found by the mount's major:minor (SYSFS/dev/block/MAJ:MIN, a link into the device tree), so a
 * mount whose source is a /dev/disk/by-* link or a loop device is resolved too; a partition's queue is its disk's.
 * On a recorded tree (lab/fixtures/NAME/sys) the mount table is the recording's NAME/mounts.txt, read against the
 * recorded sysfs: the simulated hosts of e2e report the filesystems of the machine they were recorded on.
 */
import { existsSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { DaxFilesystem, DaxFsType, FsDaxMode } from '@daxfleet/shared';
import { daxOptionOf, parseMountinfo, type MountEntry } from './mountinfo.js';

export const DAX_FS_TYPES: ReadonlySet<string> = new Set<DaxFsType>(['ext2', 'ext4', 'xfs', 'virtiofs', 'erofs']);
/** the filesystems with the per-inode flag FS_XFLAG_DAX and dax=inode */
export const PER_INODE_FS_TYPES: ReadonlySet<string> = new Set<DaxFsType>(['ext4', 'xfs', 'virtiofs']);

export const LIVE_MOUNTINFO = '/proc/self/mountinfo';

/**
 * The mount table that goes with a sysfs root: the live one for /sys, the recording's mounts.txt beside a recorded
 * tree (NAME/sys -> NAME/mounts.txt); undefined when a recorded tree has none (its filesystems are then unknown).
 */
export function mountinfoFileFor(sysfsRoot: string): string | undefined {
  const root = path.resolve(sysfsRoot);
  if (root === '/sys') return LIVE_MOUNTINFO;
  const recorded = path.join(path.dirname(root), 'mounts.txt');
  return existsSync(recorded) ? recorded : undefined;
}

/** What sysfs says about the block device of a mount. */
export interface BlockDeviceInfo {
  /** the kernel name of the mounted device (pmem0, pmem0p1, loop3) */
  blockdev: string;
  /** the whole disk's queue/dax (a partition's is its disk's); undefined when it cannot be read */
  deviceDax?: boolean;
  /** namespaceX.Y when the disk is a pmem disk of an nd namespace (directly, or through its pfn/btt device) */
  namespace?: string;
}

const NAMESPACE = /^namespace\d+\.\d+$/;
const ND_CLAIM = /^(pfn|btt|dax)\d+\.\d+$/;

async function readAttr(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** a link's target as a path, without following anything beyond it (recorded trees keep relative links) */
async function linkTarget(link: string): Promise<string | undefined> {
  try {
    return path.resolve(path.dirname(link), await readlink(link));
  } catch {
    return undefined;
  }
}

/** The block device with number `dev` ("259:0") under `sysfsRoot`; undefined when there is none (virtiofs: 0:N). */
export async function blockDeviceOf(sysfsRoot: string, dev: string): Promise<BlockDeviceInfo | undefined> {
  const dir = await linkTarget(path.join(sysfsRoot, 'dev/block', dev));
  if (dir === undefined) return undefined;
  const blockdev = path.basename(dir);
  // a partition (pmem0p1) sits in its disk's directory and has a `partition` attribute; queue/ is the disk's
  const disk = existsSync(path.join(dir, 'partition')) ? path.dirname(dir) : dir;
  const dax = await readAttr(path.join(disk, 'queue/dax'));
  const info: BlockDeviceInfo = { blockdev, ...(dax === '1' || dax === '0' ? { deviceDax: dax === '1' } : {}) };
  // pmem disks: `device` is the namespace itself (raw), or the pfn/btt device claiming it (its `namespace` names it)
  const device = await linkTarget(path.join(disk, 'device'));
  if (device !== undefined) {
    const name = path.basename(device);
    if (NAMESPACE.test(name)) info.namespace = name;
    else if (ND_CLAIM.test(name)) {
      const ns = await readAttr(path.join(device, 'namespace'));
      if (ns !== undefined && NAMESPACE.test(ns)) info.namespace = ns;
    }
  }
  return info;
}

/**
 * The dax mode a mount runs in, from the option mountinfo shows. ext4, xfs and virtiofs default to inode (xfs and
 * virtiofs never show it); ext2 and erofs know only always and never (no option: never). `dax` is the legacy
 * spelling of always.
 */
export function daxModeOf(fstype: string, option: ReturnType<typeof daxOptionOf>): FsDaxMode {
  if (option === 'dax') return 'always';
  if (option !== undefined) return option.slice(4) as FsDaxMode;
  return fstype === 'ext2' || fstype === 'erofs' ? 'never' : 'inode';
}

/** One mount as a DaxFilesystem, given what sysfs says about its device. */
export function toDaxFilesystem(mount: MountEntry, block: BlockDeviceInfo | undefined): DaxFilesystem {
  const option = daxOptionOf(mount);
  const dax = daxModeOf(mount.fstype, option);
  const readOnly = mount.options.includes('ro') || mount.superOptions.includes('ro');
  return {
    mountpoint: mount.mountpoint,
    source: mount.source,
    fstype: mount.fstype as DaxFsType,
    dev: mount.device,
    ...(block !== undefined ? { blockdev: block.blockdev } : {}),
    ...(block?.namespace !== undefined ? { namespace: block.namespace } : {}),
    dax,
    dax_option: option ?? 'default',
    ...(block?.deviceDax !== undefined ? { device_dax: block.deviceDax } : {}),
    read_only: readOnly,
    per_inode: PER_INODE_FS_TYPES.has(mount.fstype) && dax === 'inode' && block?.deviceDax !== false,
  };
}

/** The DAX-capable mounts of a mount table (in table order), resolved against `sysfsRoot`. */
export async function daxFilesystemsOf(mounts: readonly MountEntry[], sysfsRoot: string): Promise<DaxFilesystem[]> {
  const out: DaxFilesystem[] = [];
  const byDev = new Map<string, Promise<BlockDeviceInfo | undefined>>();
  for (const mount of mounts) {
    if (!DAX_FS_TYPES.has(mount.fstype)) continue;
    let block = byDev.get(mount.device);
    if (block === undefined) {
      block = blockDeviceOf(sysfsRoot, mount.device);
      byDev.set(mount.device, block);
    }
    out.push(toDaxFilesystem(mount, await block));
  }
  return out;
}

/**
 * The mounted DAX-capable filesystems: `mountinfo` is the mount table's file (/proc/self/mountinfo, or a
 * recording's mounts.txt), `sysfsRoot` the sysfs tree its devices are looked up in. Rejects when the table cannot
 * be read.
 */
export async function readDaxFilesystems(opts: { mountinfo: string; sysfsRoot: string }): Promise<DaxFilesystem[]> {
  return daxFilesystemsOf(parseMountinfo(await readFile(opts.mountinfo, 'utf8')), opts.sysfsRoot);
}
