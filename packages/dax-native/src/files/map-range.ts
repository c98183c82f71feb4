/**
 * Which files (and which filesystem metadata) a bad range of a block device hits, for a filesystem mounted from
 * that device (ext4, xfs, ext2 on pmemX).
 *
 * First the filesystem's reverse map (FS_IOC_GETFSMAP): xfs with rmapbt names the owning inode and file offset
 * of every byte, or its metadata; ext4 (and ext2/ext3 on the ext4 driver) names its metadata and free space and
 * calls file data "unknown"; xfs without rmapbt knows only free space. Whatever is left unknown (or everything,
 * where GETFSMAP is missing or refused) is resolved by a walk of the mount that asks FS_IOC_FIEMAP for each file's
 * extents and intersects them with the range. The same walk finds a path for each inode GETFSMAP named.
 *
 * The walk stays on the mount's own filesystem (st_dev; it never enters another mount), visits at most
 * `maxEntries` directory entries and stops as soon as every inode has a path and no unknown byte is left. A
 * directory it cannot read is skipped and noted in `error`; the hits are what was found.
 */
import { lstat, opendir } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { RangeHit } from '@daxfleet/shared';
import type { NativeError } from '../addon.js';
import { readFiemap, readFsmap, type Fsmap } from './ioctl.js';
import {
  FIEMAP_EXTENT_DATA_INLINE,
  FIEMAP_EXTENT_DELALLOC,
  FIEMAP_EXTENT_ENCODED,
  FIEMAP_EXTENT_SHARED,
  FIEMAP_EXTENT_UNKNOWN,
  FIEMAP_EXTENT_UNWRITTEN,
  FMR_OF_ATTR_FORK,
  FMR_OF_EXTENT_MAP,
  FMR_OF_PREALLOC,
  FMR_OF_SPECIAL_OWNER,
  specialOwner,
} from './owners.js';

export interface MapDeviceRangeOptions {
  /** the directory the filesystem is mounted on (its root, not a directory inside it) */
  mountpoint: string;
  /** first byte of the range on the block device the filesystem is mounted from (pmemX byte = sector * 512) */
  deviceOffset: number;
  /** bytes, at least 1 */
  length: number;
  /** false: skip GETFSMAP and walk the mount with FIEMAP only (default true) */
  getfsmap?: boolean;
  /** most directory entries the walk looks at (default 1,000,000); past it the walk stops and says so in `error` */
  maxEntries?: number;
}

export interface DeviceRangeFiles {
  /**
   * getfsmap: the reverse map named every owner (a walk, if any, only looked up paths); fiemap: a FIEMAP walk of
   * the mount resolved the bytes the reverse map did not name, or all of them when it had none
   */
  method: 'getfsmap' | 'fiemap';
  /** the range cut into pieces by owner, in device order; together they cover the whole range */
  hits: RangeHit[];
  /** why the mapping is partial (an unreadable directory, the walk's bound, GETFSMAP refused, ...) */
  error?: string;
}

const DEFAULT_MAX_ENTRIES = 1_000_000;
/** FIEMAP calls in flight at once during the walk (each is one ioctl on the libuv pool) */
const WALK_CONCURRENCY = 8;
/** Errors kept word for word in `error`; beyond these only a count. */
const MAX_NOTED_ERRORS = 5;
/** GETFSMAP answers that mean "no reverse map here": not an error, FIEMAP does the whole job. */
const NO_GETFSMAP = new Set(['ENOTTY', 'EOPNOTSUPP', 'ENOTSUP', 'EINVAL']);

type Segment = [start: number, end: number];

/** Removes [start, end) from sorted, disjoint segments. */
function subtract(segments: Segment[], start: number, end: number): Segment[] {
  const out: Segment[] = [];
  for (const [s, e] of segments) {
    if (e <= start || s >= end) {
      out.push([s, e]);
      continue;
    }
    if (s < start) out.push([s, start]);
    if (e > end) out.push([end, e]);
  }
  return out;
}

function overlap(aStart: number, aEnd: number, bStart: number, bEnd: number): Segment | undefined {
  const s = Math.max(aStart, bStart);
  const e = Math.min(aEnd, bEnd);
  return s < e ? [s, e] : undefined;
}

function invalid(message: string, code = 'ERR_INVALID_ARG_VALUE'): Error {
  return Object.assign(new TypeError(message), { code });
}

function checkOptions(opts: MapDeviceRangeOptions): void {
  if (typeof opts !== 'object' || opts === null) throw invalid('options must be an object', 'ERR_INVALID_ARG_TYPE');
  if (typeof opts.mountpoint !== 'string' || opts.mountpoint.length === 0 || opts.mountpoint.includes('\0')) {
    throw invalid('mountpoint must be a non-empty path without null bytes', 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isSafeInteger(opts.deviceOffset) || opts.deviceOffset < 0) {
    throw invalid(`deviceOffset must be a non-negative integer of bytes (got ${String(opts.deviceOffset)})`);
  }
  if (!Number.isSafeInteger(opts.length) || opts.length < 1 || !Number.isSafeInteger(opts.deviceOffset + opts.length)) {
    throw invalid(`length must be a positive integer of bytes (got ${String(opts.length)})`);
  }
  if (opts.getfsmap !== undefined && typeof opts.getfsmap !== 'boolean') {
    throw invalid('getfsmap must be a boolean when given', 'ERR_INVALID_ARG_TYPE');
  }
  if (opts.maxEntries !== undefined && (!Number.isSafeInteger(opts.maxEntries) || opts.maxEntries < 1)) {
    throw invalid(`maxEntries must be a positive integer when given (got ${String(opts.maxEntries)})`);
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A piece of the range GETFSMAP gave to an inode: filled with the path and size once the walk finds it. */
interface InodeHit {
  hit: RangeHit;
  inode: bigint;
}

/**
 * The files and metadata that the device bytes [deviceOffset, deviceOffset + length) of the filesystem mounted
 * at `mountpoint` hold. Rejects for bad options (TypeError, code ERR_INVALID_ARG_*), a mountpoint that is not
 * a directory or not the root of a mount, or one that cannot be read at all (the fs error); everything later
 * (GETFSMAP refused, a directory unreadable, the walk's bound) leaves the affected bytes unknown and says why
 * in `error`.
 */
export async function mapDeviceRange(opts: MapDeviceRangeOptions): Promise<DeviceRangeFiles> {
  checkOptions(opts);
  const mountpoint = resolve(opts.mountpoint);
  const start = opts.deviceOffset;
  const end = opts.deviceOffset + opts.length;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;

  const root = await lstat(mountpoint, { bigint: true });
  if (!root.isDirectory()) throw invalid(`mountpoint ${mountpoint} is not a directory`);
  if (mountpoint !== '/') {
    const parent = await lstat(dirname(mountpoint), { bigint: true });
    if (parent.dev === root.dev && parent.ino !== root.ino) {
      throw invalid(
        `${mountpoint} is not a mount point (its parent directory is on the same filesystem); pass the directory ` +
          'the filesystem is mounted on, as /proc/self/mountinfo lists it',
      );
    }
  }

  const notes: string[] = [];
  const hits: RangeHit[] = [];
  const inodeHits: InodeHit[] = [];
  // Bytes no one has been named for yet (sorted, disjoint).
  let unknown: Segment[] = [[start, end]];
  let method: DeviceRangeFiles['method'] = 'fiemap';

  if (opts.getfsmap !== false) {
    let fsmap: Fsmap | undefined;
    try {
      fsmap = await readFsmap(mountpoint, start, end);
    } catch (err) {
      const code = (err as Partial<NativeError>).code;
      if (code === undefined || !NO_GETFSMAP.has(code)) notes.push(`GETFSMAP failed, walked the mount instead: ${describe(err)}`);
    }
    if (fsmap !== undefined) {
      method = 'getfsmap';
      if (fsmap.truncated) notes.push('GETFSMAP returned more records than the addon keeps (2^20); the rest is unknown');
      for (const record of fsmap.records) {
        // Another device (an external log, a realtime device) is not the device the range is on.
        if (record.device !== fsmap.dataDevice) continue;
        const piece = overlap(record.physical, record.physical + record.length, start, end);
        if (piece === undefined) continue;
        const [s, e] = piece;
        if ((record.flags & FMR_OF_SPECIAL_OWNER) !== 0 || record.inode === undefined) {
          const owner = specialOwner(record.ownerType ?? 0, record.ownerCode ?? 0);
          // Unknown stays in `unknown` for the walk to resolve.
          if (owner.kind === 'unknown') continue;
          hits.push(
            owner.kind === 'free'
              ? { kind: 'free', device_offset: s, length: e - s }
              : { kind: 'metadata', device_offset: s, length: e - s, metadata: owner.metadata },
          );
        } else {
          const inode = record.inode;
          let hit: RangeHit;
          if ((record.flags & FMR_OF_EXTENT_MAP) !== 0) {
            hit = { kind: 'metadata', device_offset: s, length: e - s, inode: Number(inode), metadata: 'file extent map (block map btree)' };
          } else if ((record.flags & FMR_OF_ATTR_FORK) !== 0) {
            hit = { kind: 'metadata', device_offset: s, length: e - s, inode: Number(inode), metadata: 'extended attributes' };
          } else {
            hit = {
              kind: 'file',
              device_offset: s,
              length: e - s,
              inode: Number(inode),
              file_offset: (record.offset ?? 0) + (s - record.physical),
              unwritten: (record.flags & FMR_OF_PREALLOC) !== 0,
            };
          }
          hits.push(hit);
          inodeHits.push({ hit, inode });
        }
        unknown = subtract(unknown, s, e);
      }
    }
  }

  // The walk: paths for GETFSMAP's inodes, and FIEMAP for whatever is still unknown.
  const wanted = new Map<bigint, InodeHit[]>();
  for (const ih of inodeHits) wanted.set(ih.inode, [...(wanted.get(ih.inode) ?? []), ih]);
  const useFiemap = unknown.length > 0;
  if (useFiemap) method = 'fiemap';

  if (wanted.size > 0 || useFiemap) {
    const walkErrors: string[] = [];
    let walkErrorCount = 0;
    const noteWalkError = (err: unknown): void => {
      walkErrorCount++;
      if (walkErrors.length < MAX_NOTED_ERRORS) walkErrors.push(describe(err));
    };
    let entries = 0;
    let stoppedAtBound = false;
    const sharedNamed: Segment[] = [];
    const visitedDirs = new Set<bigint>([root.ino]);
    const done = (): boolean => wanted.size === 0 && unknown.length === 0;

    const found = (path: string, st: BigIntStats): void => {
      const list = wanted.get(st.ino);
      if (list === undefined) return;
      wanted.delete(st.ino);
      for (const { hit } of list) {
        hit.path = path;
        if (hit.kind === 'file') hit.file_size = Number(st.size);
      }
    };

    const mapFile = async (path: string, st: BigIntStats, isDir: boolean): Promise<void> => {
      if (unknown.length === 0) return;
      // No allocated blocks: nothing of the device is the file's (an empty or wholly sparse file).
      if (st.blocks === 0n) return;
      const lo = unknown[0]![0];
      const hi = unknown[unknown.length - 1]![1];
      let extents;
      try {
        extents = (await readFiemap(path, { start: lo, end: hi })).extents;
      } catch (err) {
        const code = (err as Partial<NativeError>).code;
        // A file removed since readdir is simply gone. Directories: xfs has no FIEMAP for them, and one that
        // cannot be opened is noted once, by the walk's opendir.
        if (code === 'ENOENT' || (isDir && ['EOPNOTSUPP', 'ENOTSUP', 'EACCES', 'EPERM'].includes(code ?? ''))) return;
        noteWalkError(err);
        return;
      }
      for (const extent of extents) {
        if ((extent.flags & (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_INLINE)) !== 0) {
          continue; // no device address of its own
        }
        for (const [us, ue] of [...unknown]) {
          const piece = overlap(extent.physical, extent.physical + extent.length, us, ue);
          if (piece === undefined) continue;
          const [s, e] = piece;
          hits.push({
            kind: 'file',
            device_offset: s,
            length: e - s,
            inode: Number(st.ino),
            path,
            file_offset: extent.logical + (s - extent.physical),
            file_size: Number(st.size),
            unwritten: (extent.flags & FIEMAP_EXTENT_UNWRITTEN) !== 0,
          });
          // Shared (reflinked) bytes have more owners: keep looking for them.
          if ((extent.flags & FIEMAP_EXTENT_SHARED) === 0) unknown = subtract(unknown, s, e);
          else sharedNamed.push([s, e]);
        }
      }
    };

    const queue: string[] = [mountpoint];
    found(mountpoint, root);
    await mapFile(mountpoint, root, true);
    walk: while (queue.length > 0 && !done()) {
      const dir = queue.shift()!;
      let handle;
      try {
        handle = await opendir(dir);
      } catch (err) {
        noteWalkError(err);
        continue;
      }
      const names: string[] = [];
      try {
        for await (const dirent of handle) names.push(dirent.name);
      } catch (err) {
        noteWalkError(err);
      }
      for (let i = 0; i < names.length; i += WALK_CONCURRENCY) {
        if (done()) break walk;
        if (entries >= maxEntries) {
          stoppedAtBound = true;
          break walk;
        }
        const batch = names.slice(i, Math.min(i + WALK_CONCURRENCY, i + maxEntries - entries));
        entries += batch.length;
        await Promise.all(
          batch.map(async (name) => {
            const path = join(dir, name);
            let st: BigIntStats;
            try {
              st = await lstat(path, { bigint: true });
            } catch (err) {
              if ((err as NodeJS.ErrnoException).code !== 'ENOENT') noteWalkError(err);
              return;
            }
            // Another filesystem mounted below: not this device's bytes.
            if (st.dev !== root.dev) return;
            found(path, st);
            if (st.isDirectory()) {
              if (!visitedDirs.has(st.ino)) {
                visitedDirs.add(st.ino);
                queue.push(path);
                await mapFile(path, st, true);
              }
            } else if (st.isFile()) {
              await mapFile(path, st, false);
            }
          }),
        );
      }
    }
    for (const [s, e] of sharedNamed) unknown = subtract(unknown, s, e);
    if (stoppedAtBound && !done()) notes.push(`the walk stopped at its bound of ${maxEntries} directory entries`);
    if (walkErrorCount > 0) {
      const more = walkErrorCount > walkErrors.length ? ` (and ${walkErrorCount - walkErrors.length} more)` : '';
      notes.push(`skipped during the walk: ${walkErrors.join('; ')}${more}`);
    }
    if (wanted.size > 0 && !stoppedAtBound && walkErrorCount === 0) {
      // GETFSMAP named them, no path leads to them: unlinked but still open, or orphans.
      notes.push(`no path found for inode${wanted.size > 1 ? 's' : ''} ${[...wanted.keys()].join(', ')}`);
    }
  }

  for (const [s, e] of unknown) hits.push({ kind: 'unknown', device_offset: s, length: e - s });
  hits.sort((a, b) => a.device_offset - b.device_offset || a.length - b.length);
  return notes.length > 0 ? { method, hits, error: notes.join('; ') } : { method, hits };
}
