/**
 * fs-dax-inspect: the flag, the effective state and what they mean for a path and its children or subtree
 * (dax-modes.ts FsDaxInspectRequest / FsDaxInspectResult). The audit of requested vs effective DAX is the
 * mismatches_only form: every regular file of the subtree looked at, only the pending ones listed.
 */
import { isAvailable, loadError } from '@daxfleet/dax-native';
import type { DaxFilesystem, FsDaxEntry, FsDaxInspectRequest, FsDaxInspectResult } from '@daxfleet/shared';
import { readEntry, toFsDaxEntry, type RawEntry } from './entry.js';
import { holdersByInode } from './holders.js';
import { filesystemOfPath, hostPaths, normalisePath, type FsDaxHost } from './host.js';
import { walkSubtree } from './walk.js';

/**
 * dax-modes.ts FS_DAX_INSPECT_DEFAULT_LIMIT (a test keeps them equal): the fsdax modules import @daxfleet/shared for
 * types only, so they load without typebox's ~700 modules (the lab guest reads every module over 9p under TCG)
 */
export const INSPECT_DEFAULT_LIMIT = 1000;
/** mismatches_only looks at every entry of a subtree up to this many, then says truncated */
export const INSPECT_MAX_SCANNED = 100_000;
/** holders are looked up (in one /proc pass) for at most this many not-evicted entries of one inspection */
export const INSPECT_MAX_HOLDER_LOOKUPS = 100;

function emptyCounts(): FsDaxInspectResult['counts'] {
  return { dax: 0, 'not-dax': 0, pending: 0, 'n/a': 0 };
}

function failed(error: string, now: Date): FsDaxInspectResult {
  return { entries: [], scanned: 0, truncated: false, counts: emptyCounts(), inspected_at: now.toISOString(), error };
}

/**
 * The listed not-evicted entries with their holders in the detail: one /proc pass (holdersByInode) per st_dev for
 * all of them, where a pass per entry made an inspection of a busy subtree read every process's fds up to 100 times.
 */
async function withHolders(fs: DaxFilesystem, procRoot: string, entries: FsDaxEntry[],
  notEvicted: ReadonlyMap<number, RawEntry>): Promise<void> {
  const byDev = new Map<bigint, Set<bigint>>();
  for (const raw of notEvicted.values()) {
    const inodes = byDev.get(raw.dev) ?? new Set<bigint>();
    inodes.add(BigInt(raw.inode));
    byDev.set(raw.dev, inodes);
  }
  const held = new Map<bigint, Awaited<ReturnType<typeof holdersByInode>>>();
  for (const [dev, inodes] of byDev) held.set(dev, await holdersByInode(procRoot, dev, inodes));
  for (const [index, raw] of notEvicted) {
    entries[index] = toFsDaxEntry(fs, raw, held.get(raw.dev)?.get(BigInt(raw.inode)) ?? []);
  }
}

export async function inspectFsDax(req: FsDaxInspectRequest, host: FsDaxHost = {}): Promise<FsDaxInspectResult> {
  const now = new Date();
  const root = normalisePath(req.path);
  if (root === undefined) return failed(`path must be absolute (starting with /): got ${JSON.stringify(req.path)}`, now);
  if (!isAvailable()) {
    return failed(`flags cannot be read on this host: ${loadError()?.message ?? 'the dax-native addon is not loaded'}`, now);
  }
  const lookup = await filesystemOfPath(root, host);
  if (!lookup.ok) return failed(lookup.error, now);
  const { fs } = lookup;
  const { procRoot } = hostPaths(host);
  const mismatchesOnly = req.mismatches_only === true;
  const limit = Math.min(Math.max(req.limit ?? INSPECT_DEFAULT_LIMIT, 1), 10_000);
  const counts = emptyCounts();
  const entries: FsDaxEntry[] = [];
  let scanned = 0;
  let truncated = false;
  /** index in `entries` → the raw entry, for the not-evicted ones whose holders are looked up */
  const notEvicted = new Map<number, RawEntry>();
  for await (const walked of walkSubtree(root, { recursive: req.recursive === true || mismatchesOnly })) {
    if ((!mismatchesOnly && entries.length >= limit) || scanned >= INSPECT_MAX_SCANNED) {
      truncated = true;
      break;
    }
    const raw = walked.stats !== undefined
      ? await readEntry(walked.path, walked.stats)
      : { path: walked.path, kind: 'other' as const, inode: 0, dev: -1n, flag: false, error: `${walked.error?.code ?? 'error'}: ${walked.error?.message ?? ''}` };
    scanned++;
    const entry = toFsDaxEntry(fs, raw);
    counts[entry.state]++;
    if (mismatchesOnly && entry.state !== 'pending') continue;
    if (mismatchesOnly && entries.length >= limit) {
      truncated = true;
      break;
    }
    // holders change the reason (not-evicted or file-excluded) and the detail, never the state or the counts:
    // looked up for all of them after the walk
    if (entry.reason === 'not-evicted' && notEvicted.size < INSPECT_MAX_HOLDER_LOOKUPS) notEvicted.set(entries.length, raw);
    entries.push(entry);
  }
  await withHolders(fs, procRoot, entries, notEvicted);
  return { filesystem: fs, entries, scanned, truncated, counts, inspected_at: now.toISOString() };
}
