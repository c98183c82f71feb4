/**
 * Filesystem DAX on this machine's own ext4 (an image loop-mounted dax=inode under a temp dir; a loop device has
 * no DAX, so flags are kept but no file ever gets S_DAX):
 * - the kernel documentation's inheritance Examples A, B and C (Documentation/filesystems/dax.rst), run with the
 *   same mkdir / `xfs_io -c 'chattr +x'` sequence, and again with the fs-dax-policy handler in place of xfs_io,
 *   then read back with inspectFsDax: exactly the documented "dax: ... / no dax: ..." outcome on the flag;
 * - the inheritance rules: new files and directories inherit, existing ones do not change with their parent;
 * - inspect: state, reason (device-no-dax: the flag persists across a remount, S_DAX stays false), order, limit,
 *   mismatches_only, symlinks never followed, paths not on a DAX-capable filesystem;
 * - the policy: the dry run lists exactly what changes (existing none / directories / all) and changes nothing;
 *   execute sets the flags and verifies by reading them back; a path replaced since the plan is skipped; refusals;
 * - holders of many inodes in one /proc pass agree with openersOf.
 * Needs root (mount) and the native addon: skipped with the reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { isAvailable, loadError, setFsxattr, getFsxattr, statxDax } from '@daxfleet/dax-native';
import type { DaxChangeAgentPlan, DaxChangeRequest, FsDaxEntry } from '@daxfleet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaxPlanParts, FsDaxPolicyRequest } from '../src/agent/dax/contract.js';
import { fsDaxPolicyHandler, inspectFsDax } from '../src/agent/fsdax/index.js';
import { readEntry, toFsDaxEntry } from '../src/agent/fsdax/entry.js';
import { holdersByInode } from '../src/agent/fsdax/holders.js';
import { openersOf } from '../src/agent/recovery/openers.js';
import { holdMapped, holdOpen, stop } from './recovery-fixtures.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('daxfleet-fsdax-ext4-');
let mnt = '';
let image = '';
/**
 * Decided when the file is collected: it.skipIf reads it then, before any hook runs. A host that should run these
 * tests (root, addon built) but cannot make the loop mount fails them instead of skipping.
 */
const skipReason: string | undefined = process.getuid?.() !== 0 ? 'needs root to mount a loop device'
  : !isAvailable() ? `the native addon is not loaded: ${loadError()?.message}` : undefined;
const children: ChildProcess[] = [];

beforeAll(() => {
  if (skipReason !== undefined) return;
  image = path.join(tmp.dir, 'ext4.img');
  const target = path.join(tmp.dir, 'mnt');
  mkdirSync(target);
  execFileSync('truncate', ['-s', '64M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', image]);
  execFileSync('mount', ['-o', 'loop,dax=inode', image, target]);
  mnt = target;
});
afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
});
afterAll(() => {
  if (mnt !== '' && readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${mnt} `)) {
    try {
      execFileSync('umount', [mnt]);
    } catch {
      execFileSync('umount', ['-l', mnt]);
    }
  }
  tmp.remove();
});

/** a fresh directory on the loop ext4 for one test */
function workDir(name: string): string {
  // never a path relative to the working directory: mnt is empty until the loop mount succeeded
  if (mnt === '') throw new Error('the loop-mounted ext4 is not there (see the beforeAll error)');
  const dir = path.join(mnt, name);
  mkdirSync(dir);
  return dir;
}

/** "dax: a,e" / "no dax: b,c,d" of the kernel doc, from inspectFsDax's flags (paths relative to `base`) */
async function outcome(base: string): Promise<{ dax: string[]; noDax: string[] }> {
  const result = await inspectFsDax({ path: base, recursive: true });
  expect(result.error).toBeUndefined();
  const names = (entries: FsDaxEntry[], flag: boolean) => entries.filter((e) => e.path !== base && e.flag === flag)
    .map((e) => path.basename(e.path)).sort();
  return { dax: names(result.entries, true), noDax: names(result.entries, false) };
}

const xfsIo = (cwd: string, ...args: string[]) => execFileSync('xfs_io', args, { cwd, encoding: 'utf8' });
const mkdirP = (cwd: string, rel: string) => mkdirSync(path.join(cwd, rel), { recursive: true });
const mkdir = (cwd: string, rel: string) => mkdirSync(path.join(cwd, rel));

async function planFor(request: FsDaxPolicyRequest): Promise<DaxPlanParts> {
  return fsDaxPolicyHandler.plan(request);
}
function asAgentPlan(parts: DaxPlanParts): DaxChangeAgentPlan {
  return { ...parts, executable: parts.checks.every((c) => c.ok), digest: '0'.repeat(64), planned_at: new Date().toISOString() };
}
/** chattr +x through the policy handler: plan, then execute that plan */
async function policySet(p: string, dax = true, existing: 'none' | 'directories' | 'all' = 'none') {
  const request = { kind: 'fs-dax-policy', path: p, dax, existing } as const;
  const plan = await planFor(request);
  expect(plan.checks.every((c) => c.ok), JSON.stringify(plan.checks)).toBe(true);
  return { plan, result: await fsDaxPolicyHandler.execute(request, asAgentPlan(plan)) };
}

describe('filesystem DAX on a loop-mounted ext4 (no DAX device)', () => {
  describe('the kernel documentation\'s inheritance examples', () => {
    it.skipIf(skipReason !== undefined)('Example A with xfs_io: mkdir -p a/b/c; chattr +x a; mkdir a/b/c/d; mkdir a/e -> dax: a,e; no dax: b,c,d', async () => {
      const cwd = workDir('example-a');
      mkdirP(cwd, 'a/b/c');
      xfsIo(cwd, '-c', 'chattr +x', 'a');
      mkdir(cwd, 'a/b/c/d');
      mkdir(cwd, 'a/e');
      expect(await outcome(cwd)).toEqual({ dax: ['a', 'e'], noDax: ['b', 'c', 'd'] });
      // the independent reader agrees on the flag (x in lsattr's column)
      expect(xfsIo(cwd, '-c', 'lsattr', 'a/e')).toMatch(/^-*x-* a\/e/);
      expect(xfsIo(cwd, '-c', 'lsattr', 'a/b/c/d')).toMatch(/^-+ a\/b\/c\/d/);
    });

    it.skipIf(skipReason !== undefined)('Example B with xfs_io: mkdir a; chattr +x a; mkdir -p a/b/c/d -> dax: a,b,c,d; no dax: (none)', async () => {
      const cwd = workDir('example-b');
      mkdir(cwd, 'a');
      xfsIo(cwd, '-c', 'chattr +x', 'a');
      mkdirP(cwd, 'a/b/c/d');
      expect(await outcome(cwd)).toEqual({ dax: ['a', 'b', 'c', 'd'], noDax: [] });
    });

    it.skipIf(skipReason !== undefined)('Example C with xfs_io: mkdir -p a/b/c; chattr +x c; mkdir a/b/c/d -> dax: c,d; no dax: a,b', async () => {
      const cwd = workDir('example-c');
      mkdirP(cwd, 'a/b/c');
      xfsIo(cwd, '-c', 'chattr +x', 'a/b/c');
      mkdir(cwd, 'a/b/c/d');
      expect(await outcome(cwd)).toEqual({ dax: ['c', 'd'], noDax: ['a', 'b'] });
    });

    it.skipIf(skipReason !== undefined)('Examples A, B and C with the fs-dax-policy handler as chattr +x: the same outcomes', async () => {
      const a = workDir('policy-example-a');
      mkdirP(a, 'a/b/c');
      await policySet(path.join(a, 'a'));
      mkdir(a, 'a/b/c/d');
      mkdir(a, 'a/e');
      expect(await outcome(a)).toEqual({ dax: ['a', 'e'], noDax: ['b', 'c', 'd'] });

      const b = workDir('policy-example-b');
      mkdir(b, 'a');
      await policySet(path.join(b, 'a'));
      mkdirP(b, 'a/b/c/d');
      expect(await outcome(b)).toEqual({ dax: ['a', 'b', 'c', 'd'], noDax: [] });

      const c = workDir('policy-example-c');
      mkdirP(c, 'a/b/c');
      await policySet(path.join(c, 'a/b/c'));
      mkdir(c, 'a/b/c/d');
      expect(await outcome(c)).toEqual({ dax: ['c', 'd'], noDax: ['a', 'b'] });
    });
  });

  it.skipIf(skipReason !== undefined)('inheritance: new files and directories inherit; existing ones do not change with the parent', async () => {
    const dir = workDir('inherit');
    writeFileSync(path.join(dir, 'before.bin'), 'x');
    mkdir(dir, 'before-dir');
    await setFsxattr(dir, { dax: true });
    writeFileSync(path.join(dir, 'after.bin'), 'x');
    mkdir(dir, 'after-dir');
    const flag = async (rel: string) => (await getFsxattr(path.join(dir, rel))).dax;
    expect([await flag('before.bin'), await flag('before-dir'), await flag('after.bin'), await flag('after-dir')])
      .toEqual([false, false, true, true]);
    // clearing the parent leaves the flagged children flagged; only what is created next comes out clear
    await setFsxattr(dir, { dax: false });
    writeFileSync(path.join(dir, 'later.bin'), 'x');
    expect([await flag('after.bin'), await flag('after-dir'), await flag('later.bin')]).toEqual([true, true, false]);
  });

  it.skipIf(skipReason !== undefined)('inspect: a flagged file on a device without DAX is pending device-no-dax; the flag survives a remount, S_DAX stays false', async () => {
    const dir = workDir('no-dax-device');
    const file = path.join(dir, 'flagged.bin');
    writeFileSync(file, Buffer.alloc(8192, 1));
    await setFsxattr(file, { dax: true });
    const check = async () => {
      const r = await inspectFsDax({ path: file });
      expect(r.filesystem).toMatchObject({ fstype: 'ext4', dax: 'inode', dax_option: 'dax=inode', device_dax: false, per_inode: false });
      expect(r.filesystem?.blockdev).toMatch(/^loop\d+$/);
      expect(r.entries).toHaveLength(1);
      const [e] = r.entries;
      expect(e).toMatchObject({
        path: file, kind: 'file', inode: statSync(file).ino, flag: true, effective: false, requested: false, state: 'pending',
        reason: 'device-no-dax',
      });
      expect(e?.detail).toContain('no DAX support');
      expect(e).not.toHaveProperty('holders');
      expect(r.counts).toEqual({ dax: 0, 'not-dax': 0, pending: 1, 'n/a': 0 });
    };
    await check();
    execFileSync('umount', [mnt]);
    execFileSync('mount', ['-o', 'loop,dax=inode', image, mnt]);
    await check();
    expect(await statxDax(file)).toEqual({ dax: false, reported: true });
  });

  it.skipIf(skipReason !== undefined)('inspect: the path then its children (recursive: the subtree depth first, names sorted), limit and truncated, mismatches only', async () => {
    const dir = workDir('listing');
    mkdirP(dir, 'b/inner');
    writeFileSync(path.join(dir, 'b/inner/z.bin'), 'z');
    writeFileSync(path.join(dir, 'a.bin'), 'a');
    writeFileSync(path.join(dir, 'c.bin'), 'c');
    symlinkSync('b', path.join(dir, 'link-to-b'));
    await setFsxattr(path.join(dir, 'c.bin'), { dax: true });
    await setFsxattr(path.join(dir, 'b/inner/z.bin'), { dax: true });
    const rel = (entries: FsDaxEntry[]) => entries.map((e) => path.relative(dir, e.path) || '.');

    const flat = await inspectFsDax({ path: dir });
    expect(rel(flat.entries)).toEqual(['.', 'a.bin', 'b', 'c.bin', 'link-to-b']);
    expect(flat.entries.map((e) => `${e.kind}:${e.state}`)).toEqual(['dir:n/a', 'file:not-dax', 'dir:n/a', 'file:pending', 'other:n/a']);
    expect(flat.counts).toEqual({ dax: 0, 'not-dax': 1, pending: 1, 'n/a': 3 });

    const deep = await inspectFsDax({ path: dir, recursive: true });
    expect(rel(deep.entries)).toEqual(['.', 'a.bin', 'b', 'b/inner', 'b/inner/z.bin', 'c.bin', 'link-to-b']);
    expect(deep).toMatchObject({ scanned: 7, truncated: false });

    const cut = await inspectFsDax({ path: dir, recursive: true, limit: 3 });
    expect(rel(cut.entries)).toEqual(['.', 'a.bin', 'b']);
    expect(cut).toMatchObject({ scanned: 3, truncated: true });

    const audit = await inspectFsDax({ path: dir, mismatches_only: true });
    expect(rel(audit.entries)).toEqual(['b/inner/z.bin', 'c.bin']);
    expect(audit.entries.every((e) => e.state === 'pending' && e.reason === 'device-no-dax')).toBe(true);
    expect(audit).toMatchObject({ scanned: 7, truncated: false, counts: { dax: 0, 'not-dax': 1, pending: 2, 'n/a': 4 } });
  });

  it.skipIf(skipReason !== undefined)('inspect never follows a symlink: a link to a flagged directory is kind other, flag false', async () => {
    const dir = workDir('links');
    mkdir(dir, 'flagged');
    await setFsxattr(path.join(dir, 'flagged'), { dax: true });
    symlinkSync('flagged', path.join(dir, 'link'));
    const r = await inspectFsDax({ path: path.join(dir, 'link') });
    expect(r.entries).toEqual([{ path: path.join(dir, 'link'), kind: 'other', inode: lstatSync(path.join(dir, 'link')).ino, flag: false, state: 'n/a' }]);
    // the trailing slash would make lstat follow the link: the path is normalised first
    const slash = await inspectFsDax({ path: `${path.join(dir, 'link')}/` });
    expect(slash.entries[0]).toMatchObject({ kind: 'other', flag: false });
  });

  it.skipIf(skipReason !== undefined)('inspect: a path not on a DAX-capable filesystem, and one that does not exist, get an error saying so', async () => {
    const proc = await inspectFsDax({ path: '/proc/version' });
    expect(proc.entries).toEqual([]);
    expect(proc.error).toMatch(/^\/proc\/version is on a proc filesystem \(\/proc\), which cannot do DAX: only ext2, ext4, xfs, virtiofs and erofs can/);
    const missing = await inspectFsDax({ path: path.join(mnt, 'no-such') });
    expect(missing.error).toBe(`${path.join(mnt, 'no-such')} does not exist on this host`);
    expect((await inspectFsDax({ path: 'relative/path' })).error).toMatch(/must be absolute/);
  });

  it.skipIf(skipReason !== undefined)('an entry on a filesystem without the flags ioctl (erofs; here /proc: ENOTTY) reads as flag false, not as an error', async () => {
    expect(await readEntry('/proc/version')).toMatchObject({ kind: 'file', flag: false, effective: false });
    expect(await readEntry('/proc/version')).not.toHaveProperty('error');
    expect(await readEntry(path.join(mnt, 'no-such'))).toMatchObject({ kind: 'other', error: expect.stringMatching(/^ENOENT/) });
  });

  describe('the fs-dax-policy kind', () => {
    /** t/{d1/{f3.bin}, d2 (flag already set), f1.bin, f2.bin} */
    function tree(name: string): string {
      const dir = workDir(name);
      mkdirP(dir, 'd1');
      mkdir(dir, 'd2');
      writeFileSync(path.join(dir, 'd1/f3.bin'), '3');
      writeFileSync(path.join(dir, 'f1.bin'), '1');
      writeFileSync(path.join(dir, 'f2.bin'), '2');
      return dir;
    }
    const rel = (dir: string, paths: { path: string }[]) => paths.map((c) => path.relative(dir, c.path) || '.');

    it.skipIf(skipReason !== undefined)('the dry run lists exactly what changes (existing none / directories / all) and changes nothing', async () => {
      const dir = tree('plan');
      await setFsxattr(path.join(dir, 'd2'), { dax: true });
      const request = (existing: 'none' | 'directories' | 'all'): FsDaxPolicyRequest => ({ kind: 'fs-dax-policy', path: dir, dax: true, existing });

      const none = await planFor(request('none'));
      expect(none.checks.map((c) => `${c.id}:${c.ok}`)).toEqual([
        'path-exists:true', 'path-kind:true', 'fs-dax-capable:true', 'fs-writable:true', 'subtree-size:true',
      ]);
      expect(none.checks.find((c) => c.id === 'fs-dax-capable')?.detail).toMatch(/ext4 at .* \(dax=inode\) on a device without DAX: the flags are kept, but no file there becomes DAX/);
      expect(rel(dir, none.changes ?? [])).toEqual(['.']);
      expect(none).toMatchObject({ changes_total: 1, data_loss: [], before: { path: dir, kind: 'dir', flag: false, state: 'n/a' } });
      expect(none.steps).toEqual([{ n: 1, op: 'FS_IOC_FSSETXATTR', description: `set FS_XFLAG_DAX on ${dir} (files and directories created in it from now on inherit it)` }]);

      const dirs = await planFor(request('directories'));
      expect(rel(dir, dirs.changes ?? [])).toEqual(['.', 'd1']);
      expect(dirs.steps.map((s) => s.description)).toEqual([
        `set FS_XFLAG_DAX on ${dir} (files and directories created in it from now on inherit it)`,
        `set FS_XFLAG_DAX on 1 existing subdirectory of ${dir}`,
      ]);

      const all = await planFor(request('all'));
      expect(rel(dir, all.changes ?? [])).toEqual(['.', 'd1', 'd1/f3.bin', 'f1.bin', 'f2.bin']);
      expect(all.changes?.find((c) => c.path.endsWith('f1.bin'))).toEqual({
        path: path.join(dir, 'f1.bin'), kind: 'file', inode: statSync(path.join(dir, 'f1.bin')).ino, flag_before: false, flag_after: true,
        effective_before: false, effective_after: false, pending_reason: 'device-no-dax',
      });
      expect(all.changes?.find((c) => c.path.endsWith('d1'))).toEqual({
        path: path.join(dir, 'd1'), kind: 'dir', inode: statSync(path.join(dir, 'd1')).ino, flag_before: false, flag_after: true,
      });
      expect(all.steps.map((s) => s.description)[2]).toBe(`set FS_XFLAG_DAX on 3 existing regular files under ${dir} (3 will be pending: see the changes' pending_reason)`);
      expect(all.checks.find((c) => c.id === 'subtree-size')?.detail).toBe('6 entries in the subtree');
      // nothing was changed by planning
      for (const p of ['.', 'd1', 'd1/f3.bin', 'f1.bin', 'f2.bin']) expect((await getFsxattr(path.join(dir, p))).dax).toBe(false);

      // clearing: only what is set now; no pending reason for a file that stays not DAX
      await setFsxattr(path.join(dir, 'f1.bin'), { dax: true });
      const clear = await planFor({ kind: 'fs-dax-policy', path: dir, dax: false, existing: 'all' });
      expect(rel(dir, clear.changes ?? [])).toEqual(['d2', 'f1.bin']);
      expect(clear.changes?.[1]).toMatchObject({ flag_before: true, flag_after: false, effective_before: false, effective_after: false });
      expect(clear.changes?.[1]).not.toHaveProperty('pending_reason');
    });

    it.skipIf(skipReason !== undefined)('execute sets every planned flag and verifies by reading them back; files stay pending device-no-dax', async () => {
      const dir = tree('execute');
      const { plan, result } = await policySet(dir, true, 'all');
      expect(plan.changes).toHaveLength(6);
      expect(result.steps.map((s) => `${s.n} ${s.status} ${s.detail}`)).toEqual([
        '1 done 1 of 1 done', '2 done 2 of 2 done', '3 done 3 of 3 done',
      ]);
      expect(result.verification).toEqual([
        { id: 'flags-set', ok: true, detail: 'all 6 flags read back as planned (FS_XFLAG_DAX set)' },
        { id: 'effective-state', ok: true, detail: '3 files changed: 0 DAX, 0 not DAX, 3 pending (3 device-no-dax)' },
      ]);
      expect(result).toMatchObject({ changed: 6, pending: 3 });
      expect(result.error).toBeUndefined();
      const after = result.after as { entries: FsDaxEntry[] };
      expect(after.entries.map((e) => `${path.relative(dir, e.path) || '.'} ${e.flag} ${e.state}`)).toEqual([
        '. true n/a', 'd1 true n/a', 'd2 true n/a', 'f1.bin true pending', 'f2.bin true pending',
      ]);
      for (const p of ['d1/f3.bin', 'd2']) expect((await getFsxattr(path.join(dir, p))).dax).toBe(true);
    });

    it.skipIf(skipReason !== undefined)('execute skips a path that is gone or another inode than when planned, and says so', async () => {
      const dir = tree('replaced');
      const request = { kind: 'fs-dax-policy', path: dir, dax: true, existing: 'all' } as const;
      const plan = await planFor(request);
      rmSync(path.join(dir, 'f2.bin'));
      mkdir(dir, 'spacer'); // keeps the new file from reusing the freed inode number
      writeFileSync(path.join(dir, 'f2.bin'), 'new');
      rmSync(path.join(dir, 'd1/f3.bin'));
      const result = await fsDaxPolicyHandler.execute(request, asAgentPlan(plan));
      expect(result.steps[2]).toMatchObject({ status: 'done' });
      expect(result.steps[2]?.detail).toBe(`1 of 3 done; skipped (changed since the plan): ${path.join(dir, 'd1/f3.bin')}: ` +
        `it is gone or no longer that file (ENOENT); ${path.join(dir, 'f2.bin')}: another inode has this name now`);
      expect(result.verification[0]).toMatchObject({ id: 'flags-set', ok: false });
      expect(result.error).toBe('2 of 6 paths were skipped: they are gone or other inodes than when planned; the other 4 flags were changed');
      expect((await getFsxattr(path.join(dir, 'f2.bin'))).dax).toBe(false);
    });

    it.skipIf(skipReason !== undefined)('refusals: no such path, a file with existing "all", a symlink, a filesystem without DAX, a read-only mount', async () => {
      const dir = tree('refusals');
      const failed = async (request: DaxChangeRequest & { kind: 'fs-dax-policy' }) => {
        const plan = await planFor(request);
        const bad = plan.checks.filter((c) => !c.ok);
        expect(bad, JSON.stringify(plan.checks)).toHaveLength(1);
        expect(plan.changes).toBeUndefined();
        return bad[0];
      };
      expect(await failed({ kind: 'fs-dax-policy', path: path.join(dir, 'nope'), dax: true }))
        .toEqual({ id: 'path-exists', ok: false, detail: `${path.join(dir, 'nope')} does not exist on this host` });
      expect(await failed({ kind: 'fs-dax-policy', path: path.join(dir, 'f1.bin'), dax: true, existing: 'all' }))
        .toMatchObject({ id: 'path-kind', detail: expect.stringContaining('is a regular file: existing: "all" applies to a directory\'s subtree') });
      symlinkSync('d1', path.join(dir, 'link'));
      expect(await failed({ kind: 'fs-dax-policy', path: path.join(dir, 'link'), dax: true }))
        .toMatchObject({ id: 'path-kind', detail: expect.stringContaining('a symbolic link (links are never followed') });
      expect(await failed({ kind: 'fs-dax-policy', path: '/proc/version', dax: true }))
        .toMatchObject({ id: 'fs-dax-capable', detail: expect.stringContaining('proc filesystem (/proc), which cannot do DAX') });
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      try {
        expect(await failed({ kind: 'fs-dax-policy', path: dir, dax: true }))
          .toMatchObject({ id: 'fs-writable', detail: `${mnt} is mounted read-only: remount it read-write to change flags` });
      } finally {
        execFileSync('mount', ['-o', 'remount,rw', mnt]);
      }
    });
  });

  it.skipIf(skipReason !== undefined)('inspect names the holders of not-evicted files (one /proc pass for all): the detail openersOf gives for each', async () => {
    // a sysfs without the loop device: device DAX unknown, so a flagged file without S_DAX reads as not evicted
    const noSysfs = path.join(tmp.dir, 'no-sysfs');
    mkdirSync(noSysfs, { recursive: true });
    const dir = workDir('inspect-holders');
    const names = ['held.bin', 'mapped.bin', 'free.bin', 'plain.bin'];
    for (const n of names) writeFileSync(path.join(dir, n), Buffer.alloc(8192, 1));
    for (const n of names.slice(0, 3)) await setFsxattr(path.join(dir, n), { dax: true });
    const opener = await holdOpen(path.join(dir, 'held.bin'));
    children.push(opener);
    const mapper = await holdMapped(path.join(dir, 'mapped.bin'));
    children.push(mapper);
    const r = await inspectFsDax({ path: dir }, { sysfsRoot: noSysfs });
    expect(r.error).toBeUndefined();
    const fs = r.filesystem;
    if (fs === undefined) throw new Error('no filesystem');
    expect(fs.device_dax).toBeUndefined();
    const byName = new Map(r.entries.map((e) => [path.basename(e.path), e]));
    for (const n of ['held.bin', 'mapped.bin']) expect(byName.get(n)).toMatchObject({ state: 'pending', reason: 'not-evicted' });
    // flagged, held by nobody, still not DAX: the last close would have evicted it, so the filesystem keeps it out
    expect(byName.get('free.bin')).toMatchObject({ state: 'pending', reason: 'file-excluded' });
    expect(byName.get('plain.bin')).toMatchObject({ state: 'not-dax' });
    expect(byName.get('held.bin')?.detail).toContain(`pid ${opener.pid} (sleep)`);
    expect(byName.get('mapped.bin')?.detail).toContain(`pid ${mapper.pid} (python3`);
    // the same entries as a lookup per file with openersOf (the way it was done before)
    for (const n of names.slice(0, 3)) {
      const file = path.join(dir, n);
      const st = statSync(file, { bigint: true });
      const seen = new Map<number, { pid: number; command: string }>();
      for (const o of await openersOf('/proc', { dev: Number(st.dev), ino: Number(st.ino) })) {
        if (!seen.has(o.pid)) seen.set(o.pid, { pid: o.pid, command: o.comm });
      }
      expect(byName.get(n)).toEqual(toFsDaxEntry(fs, await readEntry(file, st), [...seen.values()]));
    }
    expect(r.counts).toEqual({ dax: 0, 'not-dax': 1, pending: 3, 'n/a': 1 });
  });

  it.skipIf(skipReason !== undefined)('holders of many inodes in one /proc pass: the same processes openersOf finds, each pid once', async () => {
    const dir = workDir('holders');
    const held = path.join(dir, 'held.bin');
    const mapped = path.join(dir, 'mapped.bin');
    const free = path.join(dir, 'free.bin');
    for (const f of [held, mapped, free]) writeFileSync(f, Buffer.alloc(8192, 1));
    const opener = await holdOpen(held);
    children.push(opener);
    const mapper = await holdMapped(mapped);
    children.push(mapper);
    const st = (f: string) => statSync(f, { bigint: true });
    const dev = st(held).dev;
    const found = await holdersByInode('/proc', dev, new Set([st(held).ino, st(mapped).ino, st(free).ino]));
    expect(found.get(st(held).ino)).toEqual([{ pid: opener.pid, command: 'sleep' }]);
    expect(found.get(st(mapped).ino)).toEqual([{ pid: mapper.pid, command: expect.stringMatching(/^python3/) }]);
    expect(found.has(st(free).ino)).toBe(false);
    for (const f of [held, mapped]) {
      const pids = (await openersOf('/proc', { dev: Number(dev), ino: Number(st(f).ino) })).map((o) => o.pid);
      expect([...new Set(pids)]).toEqual(found.get(st(f).ino)?.map((h) => h.pid));
    }
  });
});
