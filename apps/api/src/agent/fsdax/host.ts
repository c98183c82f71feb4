/**
 * Where the filesystem DAX code reads the host: the mount table, sysfs and procfs. The live host by default;
 * tests point sysfsRoot at a recorded tree.
 */
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { DaxFilesystem } from '@daxfleet/shared';
import { devNumberText } from '../recovery/openers.js';
import { DAX_FS_TYPES, LIVE_MOUNTINFO, blockDeviceOf, toDaxFilesystem } from './filesystems.js';
import { parseMountinfo, type MountEntry } from './mountinfo.js';

export interface FsDaxHost {
  /** default /proc/self/mountinfo */
  mountinfo?: string;
  /** default /sys */
  sysfsRoot?: string;
  /** default /proc */
  procRoot?: string;
}

export function hostPaths(host: FsDaxHost = {}): Required<FsDaxHost> {
  return { mountinfo: host.mountinfo ?? LIVE_MOUNTINFO, sysfsRoot: host.sysfsRoot ?? '/sys', procRoot: host.procRoot ?? '/proc' };
}

function under(p: string, mountpoint: string): boolean {
  return mountpoint === '/' || p === mountpoint || p.startsWith(`${mountpoint}/`);
}

/**
 * The mount `p` is on: the mounts of its st_dev (lstat: a symlink at `p` counts as on the filesystem holding the
 * link), the one with the longest mount point that contains `p` (bind mounts show one filesystem several times).
 */
export function mountOfPath(p: string, dev: bigint, mounts: readonly MountEntry[]): MountEntry | undefined {
  const number = devNumberText(Number(dev));
  const candidates = mounts.filter((m) => m.device === number);
  const containing = candidates.filter((m) => under(p, m.mountpoint)).sort((a, b) => b.mountpoint.length - a.mountpoint.length);
  return containing[0] ?? candidates[0];
}

export type FilesystemLookup =
  | { ok: true; fs: DaxFilesystem; dev: bigint; mounts: MountEntry[] }
  /** missing: the path does not exist or is not given as its real path (the path-exists check fails) */
  | { ok: false; error: string; missing?: boolean };

/**
 * Why `p` is not its own real path, or undefined when it is: a symbolic link among its directories would be
 * followed by every later lookup of it (only the last component is lstat()ed), so the operator gives the real one.
 */
async function throughSymlink(p: string): Promise<string | undefined> {
  const dir = path.dirname(p);
  const real = await realpath(dir);
  if (real === dir) return undefined;
  return `${p} goes through a symbolic link (${dir} is ${real}): symbolic links are never followed, give ` +
    `${path.join(real, path.basename(p))} instead`;
}

/**
 * The DAX-capable filesystem `p` is on, or why there is none (no such path, a path through a symbolic link, not a
 * DAX-capable type).
 */
export async function filesystemOfPath(p: string, host: FsDaxHost = {}): Promise<FilesystemLookup> {
  const { mountinfo, sysfsRoot } = hostPaths(host);
  let dev: bigint;
  try {
    dev = (await lstat(p, { bigint: true })).dev;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const missing = e.code === 'ENOENT' || e.code === 'ENOTDIR';
    return { ok: false, missing, error: missing ? `${p} does not exist on this host` : `cannot look at ${p}: ${e.code ?? ''} ${e.message}` };
  }
  try {
    const why = await throughSymlink(p);
    if (why !== undefined) return { ok: false, missing: true, error: why };
  } catch (err) {
    return { ok: false, missing: true, error: `cannot resolve the directories of ${p}: ${(err as Error).message}` };
  }
  let mounts: MountEntry[];
  try {
    mounts = parseMountinfo(await readFile(mountinfo, 'utf8'));
  } catch (err) {
    return { ok: false, error: `cannot read the mount table ${mountinfo}: ${(err as Error).message}` };
  }
  const mount = mountOfPath(p, dev, mounts);
  if (mount === undefined) return { ok: false, error: `no mount of device ${devNumberText(Number(dev))} (where ${p} is) in ${mountinfo}` };
  if (!DAX_FS_TYPES.has(mount.fstype)) {
    return {
      ok: false,
      error: `${p} is on a ${mount.fstype} filesystem (${mount.mountpoint}), which cannot do DAX: ` +
        'only ext2, ext4, xfs, virtiofs and erofs can; give a path on one of those',
    };
  }
  return { ok: true, fs: toDaxFilesystem(mount, await blockDeviceOf(sysfsRoot, mount.device)), dev, mounts };
}

/** An absolute, normalised path (no trailing slash: "link/" would make lstat follow the link). */
export function normalisePath(p: string): string | undefined {
  if (!path.isAbsolute(p) || p.includes('\0')) return undefined;
  return path.resolve(p);
}
