/**
 * The entries under a path, depth first with names sorted (byte order), staying on the filesystem the path is on
 * (an entry with another st_dev, i.e. a mount point inside, is left out with everything under it; with `mountpoints`,
 * so is any directory mounted on, which catches bind mounts of the same filesystem that st_dev cannot tell apart).
 * Symlinks are listed, never followed. Lazy: the caller stops when it has enough.
 */
import { lstat, readdir } from 'node:fs/promises';
import type { BigIntStats } from 'node:fs';
import path from 'node:path';

export interface WalkedPath {
  path: string;
  /** undefined when lstat failed (EACCES, ...): `error` says why */
  stats?: BigIntStats;
  error?: NodeJS.ErrnoException;
  /** 0 for the starting path */
  depth: number;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * Yields `root` first, then (when it is a directory) its children, and with `recursive` the whole subtree, in
 * pre-order: each child, then everything under it, before the next child. A directory that cannot be listed is
 * yielded without children; an entry removed since its directory was listed is passed over.
 */
export interface WalkOptions {
  recursive: boolean;
  /** the mount points of the mount table (mountinfo field 5): a directory below the root that is one is left out */
  mountpoints?: ReadonlySet<string>;
  /** told of every path left out as a mount point, and why */
  onSkipped?: (path: string, why: string) => void;
}

export async function* walkSubtree(root: string, opts: WalkOptions): AsyncGenerator<WalkedPath> {
  let rootStats: BigIntStats;
  try {
    rootStats = await lstat(root, { bigint: true });
  } catch (err) {
    yield { path: root, error: err as NodeJS.ErrnoException, depth: 0 };
    return;
  }
  const dev = rootStats.dev;
  const start: WalkedPath = { path: root, stats: rootStats, depth: 0 };
  yield start;
  if (rootStats.isDirectory()) yield* children(start, opts.recursive);

  async function* children(dir: WalkedPath, recursive: boolean): AsyncGenerator<WalkedPath> {
    let names: string[];
    try {
      names = (await readdir(dir.path)).sort(byteOrder);
    } catch {
      return; // vanished or unreadable: nothing under it is listed
    }
    for (const name of names) {
      const p = path.join(dir.path, name);
      let child: WalkedPath;
      try {
        const st = await lstat(p, { bigint: true });
        if (st.dev !== dev) {
          opts.onSkipped?.(p, 'a mount point of another filesystem');
          continue;
        }
        if (st.isDirectory() && opts.mountpoints?.has(p) === true) {
          // a bind mount (of this filesystem, maybe of a parent: following it could loop)
          opts.onSkipped?.(p, 'a mount point (a bind mount of this filesystem)');
          continue;
        }
        child = { path: p, stats: st, depth: dir.depth + 1 };
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') continue;
        child = { path: p, error: e, depth: dir.depth + 1 };
      }
      yield child;
      if (recursive && child.stats?.isDirectory()) yield* children(child, true);
    }
  }
}
