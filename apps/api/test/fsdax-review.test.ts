/**
 * The reviewer's findings on the fs-dax-policy kind, on this machine's own ext4 (an image loop-mounted dax=inode
 * under a temp dir): bind mounts inside the subtree are skipped and listed, a symlink in the middle of the path is
 * refused, a flagged file nobody holds that is not DAX is file-excluded (and verifies), the plan carries the hash of
 * the full change list, and the digested form leaves out what depends on who holds a file.
 * Needs root (mount) and the native addon: skipped with the reason otherwise.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAvailable, loadError, setFsxattr } from '@daxfleet/dax-native';
import type { DaxChangeAgentPlan } from '@daxfleet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DaxPlanParts, FsDaxPolicyRequest } from '../src/agent/dax/contract.js';
import { daxPlanDigest } from '../src/agent/dax/dispatcher.js';
import { makeFsDaxPolicyHandler } from '../src/agent/fsdax/index.js';
import { holdOpen, stop } from './recovery-fixtures.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('daxfleet-fsdax-review-');
let mnt = '';
/** decided when the file is collected (it.skipIf reads it then); a root host that cannot loop-mount fails instead */
const skipReason: string | undefined = process.getuid?.() !== 0 ? 'needs root to mount a loop device'
  : !isAvailable() ? `the native addon is not loaded: ${loadError()?.message}` : undefined;
const mounted: string[] = [];
const children: ChildProcess[] = [];
// a sysfs without the loop device: device DAX unknown, so the flag and S_DAX alone decide (as on a DAX device)
const noSysfs = path.join(tmp.dir, 'no-sysfs');
const handler = makeFsDaxPolicyHandler({ sysfsRoot: noSysfs });

beforeAll(() => {
  if (skipReason !== undefined) return;
  const image = path.join(tmp.dir, 'ext4.img');
  const target = path.join(tmp.dir, 'mnt');
  mkdirSync(target);
  mkdirSync(noSysfs);
  execFileSync('truncate', ['-s', '32M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', image]);
  execFileSync('mount', ['-o', 'loop,dax=inode', image, target]);
  mounted.push(target);
  mnt = target;
});
afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
});
afterAll(() => {
  // bind mounts first (last mounted, first unmounted)
  for (const m of mounted.reverse()) {
    if (!readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${m} `)) continue;
    try {
      execFileSync('umount', [m]);
    } catch {
      execFileSync('umount', ['-l', m]);
    }
  }
  tmp.remove();
});

function workDir(name: string): string {
  // never a path outside the loop mount: mnt is empty until the mount succeeded
  if (mnt === '') throw new Error('the loop-mounted ext4 is not there (see the beforeAll error)');
  const dir = path.join(mnt, name);
  mkdirSync(dir);
  return dir;
}

function files(dir: string, names: string[]): void {
  for (const n of names) writeFileSync(path.join(dir, n), Buffer.alloc(4096, 1));
}

function asAgentPlan(parts: DaxPlanParts): DaxChangeAgentPlan {
  const executable = parts.checks.every((c) => c.ok);
  return { ...parts, executable, digest: daxPlanDigest(parts), planned_at: new Date().toISOString() };
}

describe('fs-dax-policy review fixes on a loop-mounted ext4', () => {
  it.skipIf(skipReason !== undefined)('a bind mount inside the subtree is skipped and listed as skipped, also a parent bound into its child', async () => {
    const base = workDir('bind');
    mkdirSync(path.join(base, 'other'));
    mkdirSync(path.join(base, 'db', 'sub'), { recursive: true });
    mkdirSync(path.join(base, 'db', 'loop'));
    files(path.join(base, 'other'), ['o1', 'o2']);
    files(path.join(base, 'db'), ['d1']);
    execFileSync('mount', ['--bind', path.join(base, 'other'), path.join(base, 'db', 'sub')]);
    mounted.push(path.join(base, 'db', 'sub'));
    // the parent bound into its child: a walk that follows it loops to the subtree cap
    execFileSync('mount', ['--bind', path.join(base, 'db'), path.join(base, 'db', 'loop')]);
    mounted.push(path.join(base, 'db', 'loop'));
    const request: FsDaxPolicyRequest = { kind: 'fs-dax-policy', path: path.join(base, 'db'), dax: true, existing: 'all' };
    const plan = await handler.plan(request);
    expect(plan.checks.every((c) => c.ok)).toBe(true);
    const listed = (plan.changes ?? []).map((c) => path.relative(base, c.path)).sort();
    expect(listed).toEqual(['db', 'db/d1']);
    const skipped = plan.checks.find((c) => c.id === 'mount-points');
    expect(skipped?.detail).toContain(`${path.join(base, 'db', 'sub')}`);
    expect(skipped?.detail).toContain(`${path.join(base, 'db', 'loop')}`);
    expect(skipped?.detail).toMatch(/mount point/);
  });

  it.skipIf(skipReason !== undefined)('a symlink in the middle of the path is refused, naming the real path', async () => {
    const base = workDir('symlinked');
    mkdirSync(path.join(base, 'real', 'db'), { recursive: true });
    symlinkSync('real', path.join(base, 'link'));
    const plan = await handler.plan({ kind: 'fs-dax-policy', path: path.join(base, 'link', 'db'), dax: true, existing: 'none' });
    const failed = plan.checks.find((c) => !c.ok);
    expect(failed?.id).toBe('path-exists');
    expect(failed?.detail).toContain(`give ${path.join(base, 'real', 'db')} instead`);
    expect(plan.changes).toBeUndefined();
  });

  it.skipIf(skipReason !== undefined)('a flagged file nobody holds that is not DAX verifies as pending file-excluded; held, it is not-evicted', async () => {
    const dir = workDir('excluded');
    files(dir, ['free.bin', 'held.bin']);
    // a flagged file the kernel keeps out of DAX (no DAX device under the loop mount): flag set, no S_DAX
    const holder = await holdOpen(path.join(dir, 'held.bin'));
    children.push(holder);
    const request: FsDaxPolicyRequest = { kind: 'fs-dax-policy', path: dir, dax: true, existing: 'all' };
    const plan = await handler.plan(request);
    const result = await handler.execute(request, asAgentPlan(plan));
    expect(result.error).toBeUndefined();
    const effective = result.verification.find((c) => c.id === 'effective-state');
    expect(effective).toMatchObject({ ok: true });
    expect(effective?.detail).toContain('2 pending (1 file-excluded, 1 not-evicted)');
    expect(result.pending).toBe(2);
  });

  it.skipIf(skipReason !== undefined)('the plan carries a sha256 of the full change list; execute refuses (nothing changed) when its walk hashes differently', async () => {
    const dir = workDir('hash');
    files(dir, ['a', 'b']);
    const request: FsDaxPolicyRequest = { kind: 'fs-dax-policy', path: dir, dax: true, existing: 'all' };
    const plan = await handler.plan(request);
    const hash = plan.expected?.changes_sha256;
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    // the same host plans to the same hash; another file changes it
    expect((await handler.plan(request)).expected?.changes_sha256).toBe(hash);
    // a plan cut at its listed changes (changes_total larger) makes execute walk again: a file added since differs
    const cut = asAgentPlan({ ...plan, changes: plan.changes?.slice(0, 1), changes_total: (plan.changes?.length ?? 0) });
    files(dir, ['c']);
    const result = await handler.execute(request, cut);
    expect(result.error).toMatch(/changed since the plan/);
    expect(result.changed).toBe(0);
    expect(result.steps.every((s) => s.status === 'skipped')).toBe(true);
    const { getFsxattr } = await import('@daxfleet/dax-native');
    for (const n of ['a', 'b', 'c']) expect((await getFsxattr(path.join(dir, n))).dax).toBe(false);
    expect((await getFsxattr(dir)).dax).toBe(false);
  });

  it.skipIf(skipReason !== undefined)('the digest does not depend on who holds a file: held and not held plan to the same digest, shown pending either way', async () => {
    const dir = workDir('busy');
    files(dir, ['busy.bin', 'idle.bin']);
    const request: FsDaxPolicyRequest = { kind: 'fs-dax-policy', path: dir, dax: true, existing: 'all' };
    const idle = await handler.plan(request);
    const holder = await holdOpen(path.join(dir, 'busy.bin'));
    children.push(holder);
    const busy = await handler.plan(request);
    expect(busy.changes?.find((c) => c.path.endsWith('busy.bin'))?.pending_reason).toBe('not-evicted');
    expect(idle.changes?.find((c) => c.path.endsWith('busy.bin'))?.pending_reason).toBeUndefined();
    expect(daxPlanDigest(busy)).toBe(daxPlanDigest(idle));
    await setFsxattr(path.join(dir, 'idle.bin'), { dax: true });
    expect(daxPlanDigest(await handler.plan(request))).not.toBe(daxPlanDigest(idle));
  });
});
