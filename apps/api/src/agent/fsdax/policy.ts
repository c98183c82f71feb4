/**
 * The fs-dax-policy change kind: set or clear FS_XFLAG_DAX on a path and, with `existing`, on the existing
 * subdirectories ("directories") or subdirectories and regular files ("all") of its subtree on the same filesystem.
 *
 * plan (changes nothing): the preconditions, and the dry-run list of every flag that would change, with, for a
 * file, its S_DAX now, what it will be once the change takes effect, and why the change will be pending (held
 * open or mapped: not-evicted; the mount or the device overriding the flag: mount-never / mount-always /
 * device-no-dax; virtiofs: the server decides).
 * execute: FS_IOC_FSSETXATTR on each planned inode, through an O_NOFOLLOW descriptor checked against the planned
 * inode first (a path that is another inode now is skipped and said so); then verification by reading the flags
 * and S_DAX again (flags-set, effective-state), and the path as inspectFsDax sees it now.
 */
import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import type { DaxChangeAgentPlan, DaxCheck, DaxFilesystem, DaxStep, DaxStepResult, FsDaxFlagChange, FsDaxPendingReason } from '@daxfleet/shared';
import type { DaxChangeHandler, DaxExecutionParts, DaxPlanParts, FsDaxPolicyRequest } from '../dax/contract.js';
import {
  readEntry, requestedDax, setFlagVerified, toFsDaxEntry, type EntryKind, type Holder, type RawEntry,
} from './entry.js';
import { PER_INODE_FS_TYPES } from './filesystems.js';
import { holdersByInode } from './holders.js';
import { filesystemOfPath, hostPaths, normalisePath, type FsDaxHost } from './host.js';
import { inspectFsDax } from './inspect.js';
import { walkSubtree } from './walk.js';

/** a policy refuses subtrees larger than this (entries, the path included) */
export const POLICY_MAX_SUBTREE = 100_000;
/** the plan lists at most this many changes (changes_total counts them all) */
export const POLICY_MAX_LISTED_CHANGES = 10_000;

type Existing = NonNullable<FsDaxPolicyRequest['existing']>;

/** A change with what execute needs to find the same inode again. */
interface PlannedChange extends FsDaxFlagChange {
  dev: bigint;
}

/**
 * What a file's change will lead to: S_DAX once it takes effect, and why it will be pending (or differ from the
 * flag) if it will.
 */
export function changeOutcome(fs: DaxFilesystem, flagAfter: boolean, effectiveBefore: boolean | undefined, held: boolean):
  { effective_after: boolean; pending_reason?: FsDaxPendingReason } {
  const effectiveAfter = requestedDax(fs, flagAfter);
  let reason: FsDaxPendingReason | undefined;
  if (fs.fstype === 'virtiofs' && fs.dax === 'inode') reason = 'virtiofs-server';
  else if (fs.device_dax === false) reason = flagAfter ? 'device-no-dax' : undefined;
  else if (fs.dax === 'never') reason = flagAfter ? 'mount-never' : undefined;
  else if (fs.dax === 'always') reason = flagAfter ? undefined : 'mount-always';
  else if (held && effectiveBefore !== effectiveAfter) reason = 'not-evicted';
  return { effective_after: effectiveAfter, ...(reason !== undefined ? { pending_reason: reason } : {}) };
}

function wanted(kind: EntryKind, depth: number, existing: Existing): boolean {
  if (depth === 0) return kind === 'dir' || kind === 'file';
  if (existing === 'directories') return kind === 'dir';
  if (existing === 'all') return kind === 'dir' || kind === 'file';
  return false;
}

function check(id: string, ok: boolean, detail: string): DaxCheck {
  return { id, ok, detail };
}

function fsWords(fs: DaxFilesystem): string {
  const device = fs.device_dax === true ? 'a device with DAX' : fs.device_dax === false ? 'a device without DAX' : 'a device of unknown DAX support';
  return `${fs.fstype} at ${fs.mountpoint} (${fs.dax_option === 'default' ? `dax=${fs.dax} by default` : fs.dax_option}) on ${device}`;
}

interface Collected {
  root: RawEntry;
  fs: DaxFilesystem;
  checks: DaxCheck[];
  /** every flag change (uncut), when the checks passed */
  changes: PlannedChange[];
  /** entries of the subtree looked at (existing none: the path only) */
  subtree: number;
}

/**
 * sha256 hex of the full change list as it depends only on the tree (path, kind, inode, flag before and after; not
 * who holds a file): the plan's `expected.changes_sha256`, so the digest covers every change, also past the
 * POLICY_MAX_LISTED_CHANGES listed, and execute can tell that its walk finds the same list.
 */
export function changesHash(changes: readonly FsDaxFlagChange[]): string {
  const hash = createHash('sha256');
  for (const c of changes) hash.update(`${JSON.stringify([c.path, c.kind, c.inode, c.flag_before, c.flag_after])}\n`);
  return hash.digest('hex');
}

/** The checks, and the changes when they pass. `cap`: stop walking after this many entries (subtree-size fails). */
async function collect(request: FsDaxPolicyRequest, host: FsDaxHost): Promise<Collected | { checks: DaxCheck[]; root?: RawEntry; fs?: DaxFilesystem }> {
  const checks: DaxCheck[] = [];
  const p = normalisePath(request.path);
  if (p === undefined) {
    checks.push(check('path-exists', false, `path must be absolute (starting with /): got ${JSON.stringify(request.path)}`));
    return { checks };
  }
  const existing: Existing = request.existing ?? 'none';
  const lookup = await filesystemOfPath(p, host);
  if (!lookup.ok && lookup.missing === true) {
    checks.push(check('path-exists', false, lookup.error));
    return { checks };
  }
  let st: BigIntStats;
  try {
    st = await lstat(p, { bigint: true });
  } catch (err) {
    checks.push(check('path-exists', false, `${p} cannot be looked at: ${(err as Error).message}`));
    return { checks };
  }
  checks.push(check('path-exists', true, `${p} exists (inode ${st.ino})`));
  if (!st.isDirectory() && !st.isFile()) {
    checks.push(check('path-kind', false, `${p} is neither a directory nor a regular file` +
      (st.isSymbolicLink() ? ' but a symbolic link (links are never followed: give the path of what it points to)' : '')));
    return { checks };
  }
  if (st.isFile() && existing !== 'none') {
    checks.push(check('path-kind', false, `${p} is a regular file: existing: "${existing}" applies to a directory's subtree; ` +
      'use existing: "none" for a file'));
    return { checks };
  }
  checks.push(check('path-kind', true, st.isDirectory() ? `${p} is a directory` : `${p} is a regular file`));
  if (!lookup.ok) {
    checks.push(check('fs-dax-capable', false, lookup.error));
    return { checks };
  }
  const { fs } = lookup;
  if (!PER_INODE_FS_TYPES.has(fs.fstype)) {
    checks.push(check('fs-dax-capable', false, `${p} is on ${fsWords(fs)}: ${fs.fstype} has no per-file DAX flag ` +
      `(mount it with -o dax${fs.fstype === 'erofs' ? '=always' : ''} instead)`));
    return { checks, fs };
  }
  const root = await readEntry(p, st);
  if (root.error !== undefined) {
    checks.push(check('fs-dax-capable', false, `the flag of ${p} cannot be read: ${root.error}`));
    return { checks, fs };
  }
  const caveat = fs.device_dax === false
    ? ': the flags are kept, but no file there becomes DAX (pending: device-no-dax)'
    : fs.dax !== 'inode' ? `: the flags are kept, but dax=${fs.dax} overrides them until a remount with dax=inode` : '';
  checks.push(check('fs-dax-capable', true, `${p} is on ${fsWords(fs)}${caveat}`));
  if (fs.read_only) {
    checks.push(check('fs-writable', false, `${fs.mountpoint} is mounted read-only: remount it read-write to change flags`));
    return { checks, root, fs };
  }
  checks.push(check('fs-writable', true, `${fs.mountpoint} is mounted read-write`));

  const changes: PlannedChange[] = [];
  const files: PlannedChange[] = [];
  const skipped: string[] = [];
  let subtree = 0;
  const walk = walkSubtree(p, {
    recursive: existing !== 'none',
    mountpoints: new Set(lookup.mounts.map((m) => m.mountpoint)),
    onSkipped: (at, why) => { skipped.push(`${at} (${why})`); },
  });
  for await (const walked of walk) {
    if (existing === 'none' && walked.depth > 0) break;
    subtree++;
    if (subtree > POLICY_MAX_SUBTREE) break;
    const st: BigIntStats | undefined = walked.stats;
    if (st === undefined) continue;
    const kind: EntryKind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
    if (!wanted(kind, walked.depth, existing)) continue;
    const raw = walked.depth === 0 ? root : await readEntry(walked.path, st);
    if (raw.error !== undefined || raw.flag === request.dax) continue;
    const change: PlannedChange = {
      path: raw.path, kind: kind as 'file' | 'dir', inode: raw.inode, flag_before: raw.flag, flag_after: request.dax, dev: raw.dev,
      ...(kind === 'file' && raw.effective !== undefined ? { effective_before: raw.effective } : {}),
    };
    changes.push(change);
    if (kind === 'file') files.push(change);
  }
  if (subtree > POLICY_MAX_SUBTREE) {
    checks.push(check('subtree-size', false, `${p} has more than ${POLICY_MAX_SUBTREE} entries on this filesystem: ` +
      'apply the policy to smaller subtrees, or with existing: "none"'));
    return { checks, root, fs };
  }
  checks.push(check('subtree-size', true, existing === 'none' ? `only ${p} itself (existing: none)` : `${subtree} entries in the subtree`));
  if (existing !== 'none') {
    checks.push(check('mount-points', true, skipped.length === 0
      ? `no mount point under ${p}`
      : `skipped, with everything under ${skipped.length === 1 ? 'it' : 'them'}, ${skipped.length} mount point${skipped.length === 1 ? '' : 's'} ` +
        `(a policy stays on the mount it is given): ${skipped.slice(0, 20).join('; ')}${skipped.length > 20 ? ` and ${skipped.length - 20} more` : ''}`));
  }

  // who holds the files whose S_DAX would change: one /proc pass for all of them
  const held = fs.dax === 'inode' && files.length > 0
    ? await holdersByInode(hostPaths(host).procRoot, root.dev, new Set(files.map((f) => BigInt(f.inode))))
    : new Map<bigint, Holder[]>();
  for (const f of files) {
    Object.assign(f, changeOutcome(fs, f.flag_after, f.effective_before, held.has(BigInt(f.inode))));
  }
  // how many will be pending depends on who holds the files now: said in a check, which the digest leaves out
  if (files.length > 0) {
    const pending = files.filter((f) => f.pending_reason !== undefined).length;
    const held = files.filter((f) => f.pending_reason === 'not-evicted').length;
    checks.push(check('pending-files', true, `${pending} of the ${files.length} file${files.length === 1 ? '' : 's'} changed will be pending now` +
      `${held > 0 ? ` (${held} held open or mapped: not-evicted)` : ''}: see the changes' pending_reason`));
  }
  return { root, fs, checks, changes, subtree };
}

function stepsOf(request: FsDaxPolicyRequest, changes: readonly PlannedChange[]): DaxStep[] {
  const verb = request.dax ? 'set' : 'clear';
  const p = normalisePath(request.path) ?? request.path;
  const steps: DaxStep[] = [];
  const self = changes.filter((c) => c.path === p);
  const dirs = changes.filter((c) => c.path !== p && c.kind === 'dir');
  const files = changes.filter((c) => c.path !== p && c.kind === 'file');
  const add = (description: string): void => {
    steps.push({ n: steps.length + 1, op: 'FS_IOC_FSSETXATTR', description });
  };
  if (self.length > 0) {
    add(`${verb} FS_XFLAG_DAX on ${p}${self[0]?.kind === 'dir' ? ' (files and directories created in it from now on inherit it)' : ''}`);
  }
  if (dirs.length > 0) add(`${verb} FS_XFLAG_DAX on ${dirs.length} existing subdirector${dirs.length === 1 ? 'y' : 'ies'} of ${p}`);
  if (files.length > 0) {
    // only what the mount or the device decides: the digest covers the steps, and who holds a file (not-evicted)
    // changes from one moment to the next (the pending-files check says that count)
    const pending = files.filter((f) => f.pending_reason !== undefined && f.pending_reason !== 'not-evicted').length;
    add(`${verb} FS_XFLAG_DAX on ${files.length} existing regular file${files.length === 1 ? '' : 's'} under ${p}` +
      (pending > 0 ? ` (${pending} will be pending: see the changes' pending_reason)` : ''));
  }
  return steps;
}

/** The group (step) a change belongs to, by the same rules as stepsOf. */
function groupOf(change: FsDaxFlagChange, root: string): 'self' | 'dirs' | 'files' {
  return change.path === root ? 'self' : change.kind === 'dir' ? 'dirs' : 'files';
}

function publicChange(c: PlannedChange): FsDaxFlagChange {
  const { dev: _dev, ...rest } = c;
  return rest;
}

export function makeFsDaxPolicyHandler(host: FsDaxHost = {}): DaxChangeHandler<FsDaxPolicyRequest> {
  return {
    async plan(request): Promise<DaxPlanParts> {
      const collected = await collect(request, host);
      const before = collected.root !== undefined && collected.fs !== undefined
        ? toFsDaxEntry(collected.fs, collected.root)
        : undefined;
      const base: DaxPlanParts = {
        kind: 'fs-dax-policy', request, steps: [], data_loss: [], checks: collected.checks,
        ...(before !== undefined ? { before } : {}),
      };
      if (!('changes' in collected)) return base;
      return {
        ...base,
        expected: {
          path: collected.root.path, flag: request.dax, existing: request.existing ?? 'none',
          changes_sha256: changesHash(collected.changes),
        },
        steps: stepsOf(request, collected.changes),
        changes: collected.changes.slice(0, POLICY_MAX_LISTED_CHANGES).map(publicChange),
        changes_total: collected.changes.length,
      };
    },

    async execute(request, plan: DaxChangeAgentPlan): Promise<DaxExecutionParts> {
      const root = normalisePath(request.path) ?? request.path;
      const lookup = await filesystemOfPath(root, host);
      if (!lookup.ok) {
        return { steps: plan.steps.map((s) => ({ n: s.n, op: s.op, status: 'skipped', detail: lookup.error })), verification: [], error: lookup.error };
      }
      const { fs, dev } = lookup;
      // a list cut at POLICY_MAX_LISTED_CHANGES: walk again for them all, and run only the list the plan's hash
      // (in the digest the operator reviewed) names; the tree may have changed since the dispatcher re-planned
      let changes: FsDaxFlagChange[] = plan.changes ?? [];
      if ((plan.changes_total ?? changes.length) > changes.length) {
        const again = await collect(request, host);
        const full = 'changes' in again ? again.changes.map(publicChange) : undefined;
        if (full === undefined || changesHash(full) !== plan.expected?.changes_sha256) {
          const error = `the subtree of ${root} changed since the plan (its full list of ${plan.changes_total ?? '?'} flag changes ` +
            'hashes differently now): nothing was changed; plan again';
          return { steps: plan.steps.map((s) => ({ n: s.n, op: s.op, status: 'skipped', detail: error })), verification: [], changed: 0, error };
        }
        changes = full;
      }
      const tally = (): { done: number; failed: string[]; skipped: string[] } => ({ done: 0, failed: [], skipped: [] });
      const groups = { self: tally(), dirs: tally(), files: tally() };
      const applied: FsDaxFlagChange[] = [];
      let changed = 0;
      for (const c of changes) {
        const g = groups[groupOf(c, root)];
        const result = await setFlagVerified(c.path, { dev, ino: BigInt(c.inode), kind: c.kind }, c.flag_after);
        if ('error' in result) {
          (result.changed === true ? g.skipped : g.failed).push(`${c.path}: ${result.error}`);
          continue;
        }
        if (result.after !== c.flag_after) {
          g.failed.push(`${c.path}: the filesystem kept the flag ${result.after ? 'set' : 'clear'}`);
          continue;
        }
        g.done++;
        if (result.before !== result.after) changed++;
        applied.push(c);
      }
      const finished = new Date().toISOString();
      // the plan's steps are the groups that have changes, in this order (stepsOf)
      const stepGroups = (['self', 'dirs', 'files'] as const).filter((k) => changes.some((c) => groupOf(c, root) === k));
      const stepResults: DaxStepResult[] = plan.steps.map((s, i) => {
        const g = groups[stepGroups[i] ?? 'self'];
        const total = g.done + g.failed.length + g.skipped.length;
        const parts = [`${g.done} of ${total} done`];
        if (g.skipped.length > 0) parts.push(`skipped (changed since the plan): ${g.skipped.slice(0, 5).join('; ')}${g.skipped.length > 5 ? ` and ${g.skipped.length - 5} more` : ''}`);
        if (g.failed.length > 0) parts.push(`failed: ${g.failed.slice(0, 5).join('; ')}${g.failed.length > 5 ? ` and ${g.failed.length - 5} more` : ''}`);
        return {
          n: s.n, op: s.op, status: g.failed.length > 0 ? 'failed' : g.done === 0 && g.skipped.length > 0 ? 'skipped' : 'done',
          detail: parts.join('; '), finished_at: finished,
        };
      });

      const verification = await verify(fs, dev, request.dax, changes, applied, host);
      const after = await inspectFsDax({ path: root, recursive: false }, host);
      const pending = verification.pending;
      const failedCount = Object.values(groups).reduce((n, g) => n + g.failed.length, 0);
      const skippedCount = Object.values(groups).reduce((n, g) => n + g.skipped.length, 0);
      const error = failedCount > 0
        ? `${failedCount} of ${changes.length} flag changes failed (${Object.values(groups).flatMap((g) => g.failed)[0] ?? ''}); the other ${changed} were made and stay`
        : skippedCount > 0
          ? `${skippedCount} of ${changes.length} paths were skipped: they are gone or other inodes than when planned; the other ${changed} flags were changed`
          : verification.checks.some((c) => !c.ok) ? 'verification failed: see the checks' : undefined;
      return {
        steps: stepResults, verification: verification.checks, after, changed, pending,
        ...(error !== undefined ? { error } : {}),
      };
    },
  };
}

/**
 * Reads back every planned change: the flag (flags-set: each as planned; a path skipped or failed fails it) and, for
 * files, S_DAX (effective-state: counts DAX / not DAX / pending by reason, file-excluded included; fails only for a
 * file whose S_DAX is neither what the plan said nor explained: a cleared flag still DAX with no process holding it).
 */
async function verify(fs: DaxFilesystem, dev: bigint, flagAfter: boolean, changes: readonly FsDaxFlagChange[], applied: readonly FsDaxFlagChange[], host: FsDaxHost):
  Promise<{ checks: DaxCheck[]; pending: number }> {
  const wrong: string[] = [];
  const fileEntries: { change: FsDaxFlagChange; raw: RawEntry }[] = [];
  for (const c of changes) {
    const raw = await readEntry(c.path);
    if (raw.error !== undefined || raw.inode !== c.inode || raw.dev !== dev) {
      wrong.push(`${c.path}: ${raw.error ?? 'another inode now'}`);
      continue;
    }
    if (raw.flag !== c.flag_after) wrong.push(`${c.path}: flag ${raw.flag ? 'set' : 'clear'}`);
    if (c.kind === 'file') fileEntries.push({ change: c, raw });
  }
  const flagsOk = wrong.length === 0 && applied.length === changes.length;
  const flagsSet: DaxCheck = {
    id: 'flags-set', ok: flagsOk,
    detail: flagsOk
      ? `all ${changes.length} flag${changes.length === 1 ? '' : 's'} read back as planned (FS_XFLAG_DAX ${flagAfter ? 'set' : 'clear'})`
      : `${changes.length - wrong.length} of ${changes.length} read back as planned; not as planned: ${wrong.slice(0, 5).join('; ')}${wrong.length > 5 ? ` and ${wrong.length - 5} more` : ''}`,
  };
  const held = fs.dax === 'inode' && fileEntries.length > 0
    ? await holdersByInode(hostPaths(host).procRoot, dev, new Set(fileEntries.map((f) => BigInt(f.raw.inode))))
    : new Map<bigint, Holder[]>();
  const byReason = new Map<string, number>();
  let dax = 0;
  let notDax = 0;
  let pending = 0;
  const unexplained: string[] = [];
  for (const { change, raw } of fileEntries) {
    // looked up (dax=inode): nobody holding it is an empty list, which tells file-excluded from not-evicted
    const holders = fs.dax === 'inode' ? held.get(BigInt(raw.inode)) ?? [] : undefined;
    const entry = toFsDaxEntry(fs, raw, holders);
    if (entry.state === 'pending') {
      pending++;
      byReason.set(entry.reason ?? '?', (byReason.get(entry.reason ?? '?') ?? 0) + 1);
      if (entry.reason === 'not-evicted' && (holders === undefined || holders.length === 0)) unexplained.push(change.path);
    } else if (entry.state === 'dax') dax++;
    else notDax++;
  }
  const reasons = [...byReason].map(([r, n]) => `${n} ${r}`).join(', ');
  const files = fileEntries.length;
  const effectiveState: DaxCheck = {
    id: 'effective-state', ok: unexplained.length === 0,
    detail: files === 0
      ? 'no regular file changed'
      : `${files} file${files === 1 ? '' : 's'} changed: ${dax} DAX, ${notDax} not DAX, ${pending} pending${pending > 0 ? ` (${reasons})` : ''}` +
        (unexplained.length > 0 ? `; not DAX as planned although no process holds ${unexplained.length === 1 ? 'it' : 'them'}: ${unexplained.slice(0, 5).join(', ')}` : ''),
  };
  return { checks: [flagsSet, effectiveState], pending };
}

/** The fs-dax-policy kind on the live host (DEVICE's dispatcher registers it). */
export const fsDaxPolicyHandler: DaxChangeHandler<FsDaxPolicyRequest> = makeFsDaxPolicyHandler();
