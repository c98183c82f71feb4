/**
 * One file or directory as filesystem DAX sees it: the persistent flag FS_XFLAG_DAX (FS_IOC_FSGETXATTR) and, for a
 * regular file, the effective state S_DAX (statx STATX_ATTR_DAX), and what they mean together under the mount's
 * dax mode (dax-modes.ts FsDaxEntry: requested, state, reason, detail).
 *
 * Symbolic links are never followed: the entry is lstat()ed, and only a directory or a regular file is opened, with
 * O_NOFOLLOW, its fstat() matched against the lstat() (a link or another file swapped in meanwhile is refused); the
 * ioctls and statx then go through /proc/self/fd/N, i.e. exactly the inode that was opened. The descriptor is
 * opened read-only: FS_IOC_FSSETXATTR checks ownership, not the open mode.
 */
import { constants } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { getFsxattr, setFsxattr, statxDax } from '@daxfleet/dax-native';
import type { DaxFilesystem, FsDaxEntry, FsDaxPendingReason } from '@daxfleet/shared';

export type EntryKind = FsDaxEntry['kind'];

/** What was read from the kernel for one path. */
export interface RawEntry {
  path: string;
  kind: EntryKind;
  inode: number;
  /** st_dev (the walk stays on one filesystem) */
  dev: bigint;
  flag: boolean;
  /** S_DAX (regular files, when statx reports it) */
  effective?: boolean;
  error?: string;
}

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

function kindOf(st: BigIntStats): EntryKind {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

function message(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  // Node's and the addon's errors start with their code already ("ENOENT: no such file ...")
  return e.code !== undefined && !e.message.startsWith(e.code) ? `${e.code}: ${e.message}` : e.message;
}

/**
 * Opens a directory or regular file without following a symlink and checks it is still the inode `expected`
 * (st_dev + st_ino of an earlier lstat). Undefined plus why when it is not.
 */
export async function openVerified(p: string, expected: { dev: bigint; ino: bigint; kind: EntryKind }):
  Promise<{ handle: FileHandle } | { error: string; changed?: true }> {
  let handle: FileHandle;
  try {
    // O_NOATIME: looking must not touch atime (root may use it on any file)
    handle = await open(p, OPEN_FLAGS | constants.O_NOATIME);
  } catch (err) {
    let failure = err as NodeJS.ErrnoException;
    if (failure.code === 'EPERM') {
      try {
        handle = await open(p, OPEN_FLAGS);
        return await checked(handle, expected);
      } catch (again) {
        failure = again as NodeJS.ErrnoException;
      }
    }
    // gone, or a symlink now (O_NOFOLLOW): not the inode that was looked at
    if (failure.code === 'ENOENT' || failure.code === 'ELOOP' || failure.code === 'ENOTDIR') {
      return { error: `it is gone or no longer that ${expected.kind === 'dir' ? 'directory' : 'file'} (${failure.code})`, changed: true };
    }
    return { error: message(failure) };
  }
  return checked(handle, expected);
}

async function checked(handle: FileHandle, expected: { dev: bigint; ino: bigint; kind: EntryKind }):
  Promise<{ handle: FileHandle } | { error: string; changed: true }> {
  const st = await handle.stat({ bigint: true });
  if (st.dev !== expected.dev || st.ino !== expected.ino || kindOf(st) !== expected.kind) {
    await handle.close();
    return { error: 'another inode has this name now', changed: true };
  }
  return { handle };
}

/** the opened inode, as a path the native calls can take (the magic link never resolves to another file) */
export function fdPath(handle: FileHandle): string {
  return `/proc/self/fd/${handle.fd}`;
}

/** the ioctl does not exist on this filesystem (erofs has no FS_IOC_FSGETXATTR) */
const NO_FLAGS = new Set(['ENOTTY', 'EOPNOTSUPP', 'ENOTSUP']);

/** FS_XFLAG_DAX of an opened inode; false on a filesystem without the ioctl (its S_DAX still counts). */
async function flagOf(p: string): Promise<boolean> {
  try {
    return (await getFsxattr(p)).dax;
  } catch (err) {
    if (NO_FLAGS.has((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  }
}

/** Reads one path (never following a symlink at it). Errors become the entry's `error`. */
export async function readEntry(p: string, known?: BigIntStats): Promise<RawEntry> {
  let st: BigIntStats;
  try {
    st = known ?? await lstat(p, { bigint: true });
  } catch (err) {
    return { path: p, kind: 'other', inode: 0, dev: -1n, flag: false, error: message(err) };
  }
  const base = { path: p, kind: kindOf(st), inode: Number(st.ino), dev: st.dev };
  if (base.kind === 'other') return { ...base, flag: false };
  const opened = await openVerified(p, { dev: st.dev, ino: st.ino, kind: base.kind });
  if ('error' in opened) return { ...base, flag: false, error: opened.error };
  try {
    const flag = await flagOf(fdPath(opened.handle));
    if (base.kind !== 'file') return { ...base, flag };
    const sx = await statxDax(fdPath(opened.handle));
    return { ...base, flag, ...(sx.reported ? { effective: sx.dax } : {}) };
  } catch (err) {
    return { ...base, flag: false, error: message(err) };
  } finally {
    await opened.handle.close();
  }
}

/**
 * Sets or clears FS_XFLAG_DAX on the inode `expected` at `p` (never through a symlink). Resolves to the flag the
 * filesystem kept, or why nothing was set (`changed`: the name is gone, a symlink, or another inode now).
 */
export async function setFlagVerified(p: string, expected: { dev: bigint; ino: bigint; kind: EntryKind }, dax: boolean):
  Promise<{ before: boolean; after: boolean } | { error: string; changed?: true }> {
  const opened = await openVerified(p, expected);
  if ('error' in opened) return opened;
  try {
    const before = (await getFsxattr(fdPath(opened.handle))).dax;
    if (before === dax) return { before, after: before };
    return { before, after: (await setFsxattr(fdPath(opened.handle), { dax })).dax };
  } catch (err) {
    return { error: message(err) };
  } finally {
    // the last close of a file whose flag changed lets the kernel evict it (it marked the inode "don't cache")
    await opened.handle.close();
  }
}

/** What the mount and the flag ask for a regular file (dax-modes.ts FsDaxEntry.requested). */
export function requestedDax(fs: DaxFilesystem, flag: boolean): boolean {
  if (fs.device_dax === false) return false;
  if (fs.dax === 'always') return true;
  if (fs.dax === 'never') return false;
  return flag;
}

export interface Classification {
  requested?: boolean;
  state: FsDaxEntry['state'];
  reason?: FsDaxPendingReason;
}

export interface Holder { pid: number; command: string }

/**
 * A regular file's state from its flag and S_DAX under the mount:
 * - S_DAX as requested: dax / not-dax, except where the mount or the device overrides the flag, for the flag then
 *   asks for what the file does not get: a set flag under dax=never or without device DAX (mount-never,
 *   device-no-dax), a clear flag under dax=always (mount-always, the mirror of mount-never);
 * - S_DAX not as requested: virtiofs (dax=inode) leaves it to the server; under dax=always a file the filesystem
 *   keeps out of DAX (file-excluded); a set flag without S_DAX that no process holds (`holders` looked up and
 *   empty) is file-excluded too: changing the flag marks the inode "don't cache", so the last close evicts it and
 *   the next open would have made it DAX; otherwise the flag changed while the inode stayed in memory (not-evicted).
 */
export function classify(fs: DaxFilesystem, kind: EntryKind, flag: boolean, effective: boolean | undefined,
  holders?: readonly Holder[]): Classification {
  if (kind !== 'file') return { state: 'n/a' };
  const requested = requestedDax(fs, flag);
  if (effective === undefined) return { requested, state: 'not-dax' };
  if (effective === requested) {
    if (flag && !effective) {
      if (fs.device_dax === false) return { requested, state: 'pending', reason: 'device-no-dax' };
      if (fs.dax === 'never') return { requested, state: 'pending', reason: 'mount-never' };
    }
    if (!flag && effective && fs.dax === 'always') return { requested, state: 'pending', reason: 'mount-always' };
    return { requested, state: effective ? 'dax' : 'not-dax' };
  }
  if (fs.fstype === 'virtiofs' && fs.dax === 'inode') return { requested, state: 'pending', reason: 'virtiofs-server' };
  if (fs.dax === 'always' && !effective) return { requested, state: 'pending', reason: 'file-excluded' };
  if (flag && !effective && holders !== undefined && holders.length === 0) return { requested, state: 'pending', reason: 'file-excluded' };
  return { requested, state: 'pending', reason: 'not-evicted' };
}

function describeHolders(holders: readonly Holder[]): string {
  return holders.map((h) => `pid ${h.pid} (${h.command})`).join(', ');
}

/**
 * One sentence for the operator: why the entry is pending and what makes it take effect. `holders`: who has the
 * file open or mapped (empty: nobody), undefined when not looked up.
 */
export function pendingDetail(fs: DaxFilesystem, reason: FsDaxPendingReason, flag: boolean, holders?: readonly Holder[]): string {
  switch (reason) {
    case 'not-evicted':
      if (holders === undefined) {
        // not looked up (the plan's `before`, or past an inspection's lookup budget)
        return `The flag was ${flag ? 'set' : 'cleared'} while the inode was in kernel memory (who holds it was not looked up): it takes effect once every ` +
          'process has closed the file and the kernel evicts the inode.';
      }
      return holders.length > 0
        ? `The flag was ${flag ? 'set' : 'cleared'} while the file is in use by ${describeHolders(holders)}: it takes effect once ` +
          'every process has closed it and the kernel evicts the inode.'
        : `The flag was ${flag ? 'set' : 'cleared'} but the inode is still in kernel memory and no process has it open or mapped: ` +
          'it takes effect when the inode is evicted (echo 2 > /proc/sys/vm/drop_caches, or a remount); if it stays ' +
          'pending after that, the filesystem keeps this file out of DAX (ext4: data journalling, verity, encryption, inline data).';
    case 'mount-never':
      return `${fs.mountpoint} is mounted dax=never, which ignores the flag: the file becomes DAX only after a remount with dax=inode.`;
    case 'mount-always':
      return `${fs.mountpoint} is mounted ${fs.dax_option === 'dax' ? '-o dax (always)' : 'dax=always'}: every regular file is DAX whatever its flag.`;
    case 'device-no-dax':
      return `The device under ${fs.mountpoint} (${fs.blockdev ?? fs.source}) has no DAX support: the flag is kept but the file is ` +
        'never DAX; it needs a filesystem on an fsdax namespace.';
    case 'virtiofs-server':
      return 'virtiofs mounted dax=inode: the virtiofs server decides per file whether it is DAX; the flag is only a hint to it.';
    case 'file-excluded':
      if (fs.dax !== 'always') {
        return 'The flag is set and no process has the file open or mapped, yet it is not DAX: the filesystem keeps this ' +
          'file out of DAX (ext4: data journalling, verity, encryption, inline data, or a block size other than the page size).';
      }
      return `${fs.mountpoint} is mounted dax=always but the filesystem keeps this file out of DAX ` +
        '(ext4: data journalling, verity, encryption, inline data, or a block size other than the page size).';
  }
}

/**
 * The FsDaxEntry of a read entry. `holders`: who has the file open or mapped (undefined: not looked up); a set flag
 * without S_DAX is not-evicted while held or not looked up, file-excluded when nobody holds it.
 */
export function toFsDaxEntry(fs: DaxFilesystem, raw: RawEntry, holders?: readonly Holder[]): FsDaxEntry {
  const entry: FsDaxEntry = { path: raw.path, kind: raw.kind, inode: raw.inode, flag: raw.flag, state: 'n/a' };
  if (raw.error !== undefined) {
    entry.error = raw.error;
    return entry;
  }
  if (raw.effective !== undefined) entry.effective = raw.effective;
  const c = classify(fs, raw.kind, raw.flag, raw.effective, holders);
  entry.state = c.state;
  if (c.requested !== undefined) entry.requested = c.requested;
  if (c.reason !== undefined) {
    entry.reason = c.reason;
    entry.detail = pendingDetail(fs, c.reason, raw.flag, holders);
    if (c.reason === 'not-evicted' && holders !== undefined) entry.holders = holders.map((h) => ({ ...h }));
  }
  return entry;
}
