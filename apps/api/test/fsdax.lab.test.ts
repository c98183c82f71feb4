/**
 * Filesystem DAX against the real kernel in the pmem lab: ONE QEMU guest (one emulated NVDIMM, two fsdax
 * namespaces), ext4 (4 KiB blocks) on one and xfs (reflink=0; mkfs.xfs wants >= 300 MB) on the other, each mounted
 * dax=inode, then dax=always, then dax=never (ext4 then once with the legacy -o dax). The guest runs the BUILT
 * agent code (apps/api/dist agent/fsdax, dax-native dist) and prints one marker line of JSON; every assertion is
 * made here on the host.
 *
 * - dax=inode: the kernel doc's Examples A, B and C (mkdir / xfs_io -c 'chattr +x', exactly as documented) give the
 *   documented "dax: / no dax:" flags; a file created in a flagged directory has S_DAX, one in an unflagged one has
 *   not; the pending state: the policy sets the flag on a file a process (`sleep 600 < file`) holds open -> the plan
 *   says not-evicted, inspect says pending / not-evicted and names the holder; after the holder ends and the inode
 *   is evicted (drop_caches only if the last close did not already evict it) the file is dax.
 * - dax=always: every regular file is S_DAX whatever its flag (a flag-clear file: requested true, state pending,
 *   reason mount-always, the mirror of mount-never);
 *   clearing a flag there is planned with pending_reason mount-always.
 * - dax=never: a flagged file is pending mount-never.
 * - readDaxFilesystems on the guest's live mount table and sysfs in each mode (xfs shows no option under inode).
 *
 * Runs only where the lab is set up (`lab/lab setup`) and the packages are built (dist/; the api's global setup
 * builds apps/api). Guest time on 2 idle cores under TCG: printed by the guest (`ms`).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaxChangeAgentPlan, DaxFilesystem, FsDaxEntry, FsDaxInspectResult } from '@daxfleet/shared';
import type { DaxExecutionParts } from '../src/agent/dax/contract.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from '../../../packages/dax-native/test/lab-guest.js';

const MARKER = 'FSDAX-LAB-RESULT ';
const FSDAX = fileURLToPath(new URL('../dist/agent/fsdax/index.js', import.meta.url));
const DAX_NATIVE = fileURLToPath(new URL('../../../packages/dax-native/dist/index.js', import.meta.url));

/** The guest side: plain ESM, given the built modules' paths. */
const GUEST_SCRIPT = String.raw`
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
const [fsdaxPath, nativePath] = process.argv.slice(2);
const tImport = Date.now();
const fsdax = await import(fsdaxPath);
const native = await import(nativePath);
const t0 = Date.now();
const importMs = t0 - tImport;
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const inspect = (p, more = {}) => fsdax.inspectFsDax({ path: p, ...more });
const entry = async (p) => (await inspect(p)).entries[0];
const agentPlan = (parts) => ({ ...parts, executable: parts.checks.every((c) => c.ok), digest: '0'.repeat(64), planned_at: new Date().toISOString() });
const liveFs = async (mnt) => (await fsdax.readDaxFilesystems({ mountinfo: '/proc/self/mountinfo', sysfsRoot: '/sys' })).find((f) => f.mountpoint === mnt);
const mountLine = (mnt) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mnt);

/** the documented outcome: which directories under base have the flag */
async function outcome(base) {
  const r = await inspect(base, { recursive: true });
  const names = (flag) => r.entries.filter((e) => e.path !== base && e.flag === flag).map((e) => path.basename(e.path)).sort();
  return { dax: names(true), noDax: names(false), error: r.error };
}
function example(mnt, name, steps) {
  const base = path.join(mnt, name);
  mkdirSync(base);
  for (const [cmd, ...args] of steps) {
    if (cmd === 'mkdir-p') mkdirSync(path.join(base, args[0]), { recursive: true });
    else if (cmd === 'mkdir') mkdirSync(path.join(base, args[0]));
    else sh('xfs_io', ['-c', 'chattr +x', args[0]], { cwd: base });
  }
  return outcome(base);
}

sh('ndctl', ['disable-region', 'all']); sh('ndctl', ['init-labels', '-f', 'all']); sh('ndctl', ['enable-region', 'all']);
const out = { ms: { setup: Date.now() - t0 } };
for (const [fstype, size] of [['ext4', '256M'], ['xfs', '512M']]) {
  const t = Date.now();
  let tp = t;
  const ns = JSON.parse(sh('ndctl', ['create-namespace', '-m', 'fsdax', '-s', size]));
  const dev = '/dev/' + ns.blockdev;
  const mnt = '/mnt/fsdax-lab-' + fstype;
  mkdirSync(mnt, { recursive: true });
  if (fstype === 'ext4') sh('mkfs.ext4', ['-q', '-F', '-b', '4096', dev]);
  else sh('mkfs.xfs', ['-q', '-f', '-m', 'reflink=0', dev]);
  const mount = (opts) => {
    if (mountLine(mnt) !== undefined) sh('umount', [mnt]);
    sh('mount', ['-o', opts, dev, mnt]);
  };
  const r = { namespace: ns.dev, blockdev: ns.blockdev, phases: {} };
  const phase = (name) => { r.phases[name] = Date.now() - tp; tp = Date.now(); };
  phase('mkfs');

  // dax=inode: the documented examples, S_DAX of new files, the pending state
  mount('dax=inode');
  r.inode = { fs: await liveFs(mnt), mountinfo: mountLine(mnt) };
  r.examples = {
    A: await example(mnt, 'exA', [['mkdir-p', 'a/b/c'], ['chattr', 'a'], ['mkdir', 'a/b/c/d'], ['mkdir', 'a/e']]),
    B: await example(mnt, 'exB', [['mkdir', 'a'], ['chattr', 'a'], ['mkdir-p', 'a/b/c/d']]),
    C: await example(mnt, 'exC', [['mkdir-p', 'a/b/c'], ['chattr', 'a/b/c'], ['mkdir', 'a/b/c/d']]),
  };
  const flaggedFile = path.join(mnt, 'exA/a/e/new.bin');
  const plainFile = path.join(mnt, 'exA/a/b/new.bin');
  writeFileSync(flaggedFile, Buffer.alloc(65536, 1));
  writeFileSync(plainFile, Buffer.alloc(65536, 2));
  r.inode.flagged = await entry(flaggedFile);
  r.inode.plain = await entry(plainFile);
  phase('examples');

  const held = path.join(mnt, 'held.bin');
  writeFileSync(held, Buffer.alloc(65536, 3));
  const before = await entry(held);
  const holder = spawn('sh', ['-c', 'exec sleep 600 < "$0"', held], { stdio: 'ignore' });
  const exited = new Promise((resolve) => holder.once('exit', resolve));
  for (let i = 0; i < 200; i++) {
    try { if (readlinkSync('/proc/' + holder.pid + '/fd/0') === held) break; } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const request = { kind: 'fs-dax-policy', path: held, dax: true, existing: 'none' };
  const plan = await fsdax.fsDaxPolicyHandler.plan(request);
  const result = await fsdax.fsDaxPolicyHandler.execute(request, agentPlan(plan));
  const whileHeld = await entry(held);
  const audit = await inspect(mnt, { mismatches_only: true });
  holder.kill('SIGKILL');
  await exited;
  const afterClose = await entry(held);
  let afterDrop;
  if (afterClose.state !== 'dax') {
    writeFileSync('/proc/sys/vm/drop_caches', '2');
    afterDrop = await entry(held);
  }
  phase('pending');
  r.pending = { holderPid: holder.pid, before, plan, result, whileHeld, audit, afterClose, afterDrop };

  // dax=always: S_DAX whatever the flag; clearing a flag is overridden by the mount
  mount('dax=always');
  r.always = {
    fs: await liveFs(mnt), plain: await entry(plainFile), flagged: await entry(flaggedFile),
    planClear: await fsdax.fsDaxPolicyHandler.plan({ kind: 'fs-dax-policy', path: flaggedFile, dax: false }),
  };
  phase('always');
  // dax=never: a flagged file is pending mount-never
  mount('dax=never');
  r.never = { fs: await liveFs(mnt), plain: await entry(plainFile), flagged: await entry(flaggedFile) };
  phase('never');
  // the legacy -o dax (= always), once: on ext4
  if (fstype === 'ext4') {
    mount('dax');
    r.legacy = { fs: await liveFs(mnt), mountinfo: mountLine(mnt), plain: await entry(plainFile) };
    phase('legacy');
  }
  sh('umount', [mnt]);
  out[fstype] = r;
  out.ms[fstype] = Date.now() - t;
}
out.ms.total = Date.now() - t0;
out.ms.import = importMs;
console.log(${JSON.stringify(MARKER)} + JSON.stringify(out));
`;

interface ModeEntries { fs?: DaxFilesystem; plain: FsDaxEntry; flagged: FsDaxEntry; mountinfo?: string }
interface FsResult {
  /** guest milliseconds per phase */
  phases: Record<string, number>;
  namespace: string;
  blockdev: string;
  inode: ModeEntries;
  examples: Record<'A' | 'B' | 'C', { dax: string[]; noDax: string[]; error?: string }>;
  pending: {
    holderPid: number; before: FsDaxEntry; plan: DaxChangeAgentPlan; result: DaxExecutionParts; whileHeld: FsDaxEntry;
    audit: FsDaxInspectResult; afterClose: FsDaxEntry; afterDrop?: FsDaxEntry;
  };
  always: ModeEntries & { planClear: DaxChangeAgentPlan };
  never: ModeEntries;
  /** ext4 only */
  legacy?: { fs?: DaxFilesystem; mountinfo?: string; plain: FsDaxEntry };
}
type LabResult = Record<'ext4' | 'xfs', FsResult> & { ms: Record<string, number> };

const unavailable = labUnavailable({ commands: ['mkfs.xfs', 'mkfs.ext4', 'xfs_io'], files: [FSDAX, DAX_NATIVE] });

describe.skipIf(unavailable !== undefined)(`filesystem DAX in the pmem lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: LabResult;

  beforeAll(async () => {
    const run = await runInGuest({
      prefix: 'daxfleet-fsdax-lab-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${FSDAX} ${DAX_NATIVE}\n`,
      env: { NDIMM: '1', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter(run.output, MARKER);
    console.log(`fsdax lab guest: ext4 ${result.ms.ext4} ms ${JSON.stringify(result.ext4.phases)}, xfs ${result.ms.xfs} ms ` +
      `${JSON.stringify(result.xfs.phases)}, total ${result.ms.total} ms (setup ${result.ms.setup}, imports ${result.ms.import}); ` +
      `drop_caches needed after the holder ended: ext4 ${result.ext4.pending.afterDrop !== undefined}, xfs ${result.xfs.pending.afterDrop !== undefined}`);
  }, 420_000);

  for (const fstype of ['ext4', 'xfs'] as const) {
    describe(fstype, () => {
      it('the documented Examples A, B and C under dax=inode', () => {
        const { examples } = result[fstype];
        expect(examples.A).toEqual({ dax: ['a', 'e'], noDax: ['b', 'c', 'd'] });
        expect(examples.B).toEqual({ dax: ['a', 'b', 'c', 'd'], noDax: [] });
        expect(examples.C).toEqual({ dax: ['c', 'd'], noDax: ['a', 'b'] });
      });

      it('readDaxFilesystems in each mode: the mount option as shown, the fsdax device, its namespace', () => {
        const r = result[fstype];
        const common = { fstype, source: `/dev/${r.blockdev}`, blockdev: r.blockdev, namespace: r.namespace, device_dax: true, read_only: false };
        expect(r.inode.fs).toMatchObject({ ...common, dax: 'inode', dax_option: fstype === 'xfs' ? 'default' : 'dax=inode', per_inode: true });
        expect(r.always.fs).toMatchObject({ ...common, dax: 'always', dax_option: 'dax=always', per_inode: false });
        expect(r.never.fs).toMatchObject({ ...common, dax: 'never', dax_option: 'dax=never', per_inode: false });
        if (fstype === 'ext4') {
          // the legacy -o dax: always; ext4 shows it as dax=always (only ext2 shows a bare dax)
          expect(r.legacy?.fs).toMatchObject({ ...common, dax: 'always', dax_option: 'dax=always', per_inode: false });
          expect(r.legacy?.mountinfo).toMatch(/[ ,]dax=always(,| |$)/);
          expect(r.legacy?.mountinfo).not.toMatch(/[ ,]dax(,| |$)/);
        }
      });

      it('dax=inode: a file created in a flagged directory is DAX, one in an unflagged directory is not', () => {
        const { inode } = result[fstype];
        expect(inode.flagged).toMatchObject({ kind: 'file', flag: true, effective: true, requested: true, state: 'dax' });
        expect(inode.plain).toMatchObject({ kind: 'file', flag: false, effective: false, requested: false, state: 'not-dax' });
      });

      it('dax=inode: the flag set on a file held open is pending not-evicted with the holder named, then dax once it is closed and evicted', () => {
        const p = result[fstype].pending;
        expect(p.before).toMatchObject({ flag: false, effective: false, state: 'not-dax' });
        expect(p.plan.checks.every((c) => c.ok)).toBe(true);
        expect(p.plan.changes).toEqual([expect.objectContaining({
          kind: 'file', flag_before: false, flag_after: true, effective_before: false, effective_after: true, pending_reason: 'not-evicted',
        })]);
        expect(p.result.verification.map((c) => `${c.id}:${c.ok}`)).toEqual(['flags-set:true', 'effective-state:true']);
        expect(p.result).toMatchObject({ changed: 1, pending: 1 });
        expect(p.whileHeld).toMatchObject({ flag: true, effective: false, requested: true, state: 'pending', reason: 'not-evicted' });
        expect(p.whileHeld.holders).toEqual([{ pid: p.holderPid, command: 'sleep' }]);
        expect(p.whileHeld.detail).toContain(`pid ${p.holderPid} (sleep)`);
        expect(p.audit.entries.map((e) => e.path)).toEqual([p.whileHeld.path]);
        const final = p.afterDrop ?? p.afterClose;
        expect(final).toMatchObject({ flag: true, effective: true, requested: true, state: 'dax' });
        expect(final).not.toHaveProperty('holders');
      });

      it('dax=always: every regular file is DAX whatever its flag; a clear flag is pending mount-always, as clearing one is planned', () => {
        const { always } = result[fstype];
        expect(always.plain).toMatchObject({ flag: false, effective: true, requested: true, state: 'pending', reason: 'mount-always' });
        expect(always.flagged).toMatchObject({ flag: true, effective: true, requested: true, state: 'dax' });
        expect(always.planClear.changes).toEqual([expect.objectContaining({
          flag_before: true, flag_after: false, effective_before: true, effective_after: true, pending_reason: 'mount-always',
        })]);
        if (fstype === 'ext4') expect(result.ext4.legacy?.plain).toMatchObject({ flag: false, effective: true, state: 'pending', reason: 'mount-always' });
      });

      it('dax=never: a flagged file is pending mount-never; an unflagged one is not-dax', () => {
        const { never } = result[fstype];
        expect(never.flagged).toMatchObject({ flag: true, effective: false, requested: false, state: 'pending', reason: 'mount-never' });
        expect(never.flagged.detail).toContain('dax=never');
        expect(never.plain).toMatchObject({ flag: false, effective: false, requested: false, state: 'not-dax' });
      });
    });
  }
});
