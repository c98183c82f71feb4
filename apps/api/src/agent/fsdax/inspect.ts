/**
 * fs-dax-inspect: the flag, the effective state and what they mean for a path and its children or subtree
 * (dax-modes.ts FsDaxInspectRequest / FsDaxInspectResult). The audit of requested vs effective DAX is the
 * mismatches_only form: every regular file of the subtree looked at, only the pending ones listed.
 */
import { isAvailable, loadError } from '@daxfleet/dax-native';
import type { FsDaxEntry, FsDaxInspectRequest, FsDaxInspectResult } from '@daxfleet/shared';
import { openersOf } from '../recovery/openers.js';
import { readEntry, toFsDaxEntry, type Holder } from './entry.js';
import { filesystemOfPath, hostPaths, normalisePath, type FsDaxHost } from './host.js';
import { walkSubtree } from './walk.js';

/**
 * dax-modes.ts FS_DAX_INSPECT_DEFAULT_LIMIT (a test keeps them equal): the fsdax modules import @daxfleet/shared for
 * types only, so they load without typebox's ~700 modules (the lab guest reads every module over 9p under TCG)
 */
export const INSPECT_DEFAULT_LIMIT = 1000;
/** mismatches_only looks at every entry of a subtree up to this many, then says truncated */
export const INSPECT_MAX_SCANNED = 100_000;
/** holders are looked up (one /proc pass each) for at most this many not-evicted entries of one inspection */
export const INSPECT_MAX_HOLDER_LOOKUPS = 100;

function emptyCounts(): FsDaxInspectResult['counts'] {
  return { dax: 0, 'not-dax': 0, pending: 0, 'n/a': 0 };
}

function failed(error: string, now: Date): FsDaxInspectResult {
  return { entries: [], scanned: 0, truncated: false, counts: emptyCounts(), inspected_at: now.toISOString(), error };
}

/** The processes holding a file open or mapped (openersOf), each pid once. */
async function holdersOf(procRoot: string, dev: bigint, inode: number): Promise<Holder[]> {
  const seen = new Map<number, Holder>();
  for (const o of await openersOf(procRoot, { dev: Number(dev), ino: inode })) {
    if (!seen.has(o.pid)) seen.set(o.pid, { pid: o.pid, command: o.comm });
  }
  return [...seen.values()];
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
  let holderLookups = 0;
  for await (const walked of walkSubtree(root, { recursive: req.recursive === true || mismatchesOnly })) {
    if ((!mismatchesOnly && entries.length >= limit) || scanned >= INSPECT_MAX_SCANNED) {
      truncated = true;
      break;
    }
    const raw = walked.stats !== undefined
      ? await readEntry(walked.path, walked.stats)
      : { path: walked.path, kind: 'other' as const, inode: 0, dev: -1n, flag: false, error: `${walked.error?.code ?? 'error'}: ${walked.error?.message ?? ''}` };
    scanned++;
    let entry = toFsDaxEntry(fs, raw);
    if (entry.reason === 'not-evicted' && holderLookups < INSPECT_MAX_HOLDER_LOOKUPS) {
      holderLookups++;
      entry = toFsDaxEntry(fs, raw, await holdersOf(procRoot, raw.dev, raw.inode));
    }
    counts[entry.state]++;
    if (mismatchesOnly && entry.state !== 'pending') continue;
    if (mismatchesOnly && entries.length >= limit) {
      truncated = true;
      break;
    }
    entries.push(entry);
  }
  return { filesystem: fs, entries, scanned, truncated, counts, inspected_at: now.toISOString() };
}
