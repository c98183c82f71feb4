/**
 * The agent's DAX change dispatcher against the real kernel in the pmem lab: ONE QEMU guest (two DIMMs of 1 GiB,
 * labels initialised) runs the BUILT dispatcher (apps/api/dist agent/dax over @daxfleet/dax-native's dist) through
 * every transition, each planned and then executed with the plan's digest, as the hub's command would:
 * create raw → sector → fsdax (map dev) → devdax → system-ram (online, movable) → offline → online → devdax →
 * destroy, and create fsdax map=mem on the other region. After each change the guest reads `ndctl list -N -v` /
 * `daxctl list -D` independently of the agent. Refusals: reconfiguring the fsdax namespace while an ext4 on it is
 * mounted (nothing changes), a devdax device held open by `sleep 600 < /dev/daxX.Y` (named by pid), and a digest
 * that no longer matches because the memory went offline (daxctl) between plan and execute.
 *
 * The guest prints one marker line of JSON (with how long each plan and execute took); every assertion is made here,
 * on the host. Measured: 90 s of guest node time at a host load average of ~22 on 2 cores (each `ndctl list` 3 s
 * there), 105 s at ~16; the QEMU boot adds ~20-30 s.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { DaxChangeAgentPlan, DaxChangeExecuteCommandAck } from '@daxfleet/shared';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from '../../../packages/dax-native/test/lab-guest.js';

const MARKER = 'DAX-DEVICE-LAB-RESULT ';
const DAX_MODULE = fileURLToPath(new URL('../dist/agent/dax/index.js', import.meta.url));
const DAX_NATIVE = fileURLToPath(new URL('../../../packages/dax-native/dist/index.js', import.meta.url));
const MiB = 1 << 20;

const GUEST_SCRIPT = String.raw`
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
const [daxModule, nativeModule, mnt] = process.argv.slice(2);
const dax = await import(daxModule);
const native = await import(nativeModule);
const t0 = Date.now();
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const list = (text) => { const v = JSON.parse(text || '[]'); return Array.isArray(v) ? v : [v]; };
const ndctl = (dev) => list(sh('ndctl', 'list', '-N', '-v', '-X', '-i', '-n', dev)).find((n) => n.dev === dev) ?? null;
const daxctl = (dev) => list(sh('daxctl', 'list', '-D', '-d', dev))[0] ?? null;
const region = (r) => list(sh('ndctl', 'list', '-R', '-r', r))[0];
let reports = 0;
const service = dax.createDaxChangeService({
  device: { host: dax.liveDeviceHost(() => native.scanInventory({ sysfsRoot: '/sys', health: false })), native },
  rescan: async () => { reports++; },
});
let seq = 0;
const executeCmd = (request, digest) => ({ type: 'dax-change-execute', id: 'c' + (++seq), change_id: 'dc_lab' + seq, request, digest, executed_by: 'lab' });
/** plan, then execute with the plan's digest; what ndctl/daxctl say afterwards is added by the caller */
const change = async (request) => {
  const t = Date.now();
  const plan = await service.plan(request);
  const planned = Date.now();
  const reportsBefore = reports;
  const ack = await service.execute(executeCmd(request, plan.digest));
  return { plan, ack, reported: reports - reportsBefore, ms: { plan: planned - t, execute: Date.now() - planned } };
};
const out = { steps: {}, timings: {} };
const step = (name, value) => { out.steps[name] = value; out.timings[name] = Date.now() - t0; };
try {
  const regions = list(sh('ndctl', 'list', '-R')).map((r) => r.dev).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const [r0, r1] = regions;
  out.regions = regions;
  sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
  out.free0 = region(r0).available_size;
  out.timings.setup = Date.now() - t0;

  const raw = await change({ kind: 'namespace-create', region: r0, mode: 'raw', size: 512 << 20, name: 'walk' });
  const ns = raw.ack.result?.after?.dev;
  step('raw', { ...raw, ndctl: ndctl(ns) });
  const sector = await change({ kind: 'namespace-reconfigure', namespace: ns, mode: 'sector' });
  step('sector', { ...sector, ndctl: ndctl(ns) });
  const fsdax = await change({ kind: 'namespace-reconfigure', namespace: ns, mode: 'fsdax', map: 'dev' });
  step('fsdax', { ...fsdax, ndctl: ndctl(ns) });

  // refused: the fsdax namespace with ext4 mounted on it; nothing changes
  const blockdev = fsdax.ack.result?.after?.blockdev;
  sh('mkfs.ext4', '-q', '-F', '-b', '4096', '/dev/' + blockdev);
  fs.mkdirSync(mnt, { recursive: true });
  sh('mount', '-o', 'dax', '/dev/' + blockdev, mnt);
  const mountedReq = { kind: 'namespace-reconfigure', namespace: ns, mode: 'devdax' };
  const mountedPlan = await service.plan(mountedReq);
  const mountedAck = await service.execute(executeCmd(mountedReq, mountedPlan.digest));
  step('mounted', { plan: mountedPlan, ack: mountedAck, ndctl: ndctl(ns), stillMounted: fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' ' + mnt + ' ') });
  sh('umount', mnt);

  const devdax = await change({ kind: 'namespace-reconfigure', namespace: ns, mode: 'devdax', align: 2 << 20 });
  const chardev = devdax.ack.result?.after?.daxregion?.devices?.[0]?.chardev;
  step('devdax', { ...devdax, ndctl: ndctl(ns), daxctl: daxctl(chardev) });

  // refused: the dax device held open by a process
  const holder = spawn('sh', ['-c', 'exec sleep 600 < /dev/' + chardev], { stdio: 'ignore' });
  for (let i = 0; i < 200 && fs.readFileSync('/proc/' + holder.pid + '/comm', 'utf8').trim() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
  const heldReq = { kind: 'daxdev-reconfigure', device: chardev, mode: 'system-ram' };
  const heldPlan = await service.plan(heldReq);
  const heldAck = await service.execute(executeCmd(heldReq, heldPlan.digest));
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  step('held', { plan: heldPlan, ack: heldAck, pid: holder.pid, daxctl: daxctl(chardev) });

  const ram = await change({ kind: 'daxdev-reconfigure', device: chardev, mode: 'system-ram' });
  step('systemRam', { ...ram, daxctl: daxctl(chardev) });
  const offline = await change({ kind: 'daxdev-offline', device: chardev });
  step('offline', { ...offline, daxctl: daxctl(chardev) });
  const online = await change({ kind: 'daxdev-online', device: chardev });
  step('online', { ...online, daxctl: daxctl(chardev) });

  // refused: the memory went offline (daxctl, behind the agent's back) between plan and execute
  const backReq = { kind: 'daxdev-reconfigure', device: chardev, mode: 'devdax' };
  const reviewed = await service.plan(backReq);
  sh('daxctl', 'offline-memory', chardev);
  const staleAck = await service.execute(executeCmd(backReq, reviewed.digest));
  step('stale', { reviewed, ack: staleAck, daxctl: daxctl(chardev) });

  const back = await change(backReq);
  step('backToDevdax', { ...back, daxctl: daxctl(chardev) });
  const destroy = await change({ kind: 'namespace-destroy', namespace: ns });
  step('destroy', { ...destroy, ndctl: ndctl(ns), available_size: region(r0).available_size });

  const mem = await change({ kind: 'namespace-create', region: r1, mode: 'fsdax', map: 'mem', size: 256 << 20 });
  step('fsdaxMem', { ...mem, ndctl: ndctl(mem.ack.result?.after?.dev) });
} catch (e) {
  out.aborted = String(e.stack);
}
out.seconds = (Date.now() - t0) / 1000;
console.log(${JSON.stringify(MARKER)} + JSON.stringify(out));
`;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Change { plan: DaxChangeAgentPlan; ack: DaxChangeExecuteCommandAck; reported?: number; ndctl?: Json; daxctl?: Json }
interface LabResult {
  regions: string[];
  free0: number;
  steps: Record<string, Change & Json>;
  timings: Record<string, number>;
  seconds: number;
  aborted?: string;
}

const unavailable = labUnavailable({ files: [DAX_MODULE, DAX_NATIVE] });

describe.skipIf(unavailable !== undefined)(`DAX changes through the agent's dispatcher on QEMU's emulated NVDIMM${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let r: LabResult;
  const s = (name: string): Change & Json => {
    const value = r.steps[name];
    if (value === undefined) throw new Error(`no step ${name} in the guest's results (aborted: ${r.aborted ?? 'no'})`);
    return value;
  };
  /** planned executable, executed, verified (every step done, every check ok), and reported to the hub */
  const expectVerified = (name: string): Change & Json => {
    const c = s(name);
    expect(c.plan.executable, `${name}: ${c.plan.refusal}`).toBe(true);
    expect(c.ack.executed, `${name}: ${c.ack.refusal}`).toBe(true);
    expect(c.ack.result?.outcome, `${name}: ${c.ack.result?.error} ${JSON.stringify(c.ack.result?.verification)}`).toBe('verified');
    expect(c.ack.result?.steps.map((x) => x.status)).toEqual(c.plan.steps.map(() => 'done'));
    expect(c.ack.result?.verification.length).toBeGreaterThan(0);
    expect(c.reported).toBe(1);
    return c;
  };

  beforeAll(async () => {
    const run = await runInGuest({
      prefix: 'daxfleet-dax-device-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${DAX_MODULE} ${DAX_NATIVE} /mnt/dax-device\n`,
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    r = jsonAfter<LabResult>(run.output, MARKER);
    console.log(`dax-device guest: ${r.seconds} s in node; timings (ms): ${JSON.stringify(r.timings)}; ` +
      `plan/execute (ms): ${JSON.stringify(Object.fromEntries(Object.entries(r.steps).map(([k, v]) => [k, v.ms])))}`);
    expect(r.aborted, JSON.stringify(Object.keys(r.steps))).toBeUndefined();
  }, 420_000);

  it('create raw: verified, and ndctl lists what the plan expected', () => {
    const c = expectVerified('raw');
    expect(c.plan.expected).toMatchObject({ mode: 'raw', size: 512 * MiB, name: 'walk' });
    expect(c.plan.data_loss).toEqual([]);
    expect(c.ndctl).toMatchObject({ dev: c.ack.result?.after && (c.ack.result.after as Json).dev, mode: 'raw', size: 512 * MiB, name: 'walk' });
  });

  it('raw → sector (4096-byte BTT): the data loss named, ndctl agrees', () => {
    const c = expectVerified('sector');
    expect(c.plan.data_loss[0]?.description).toMatch(/^all data on namespace\d+\.\d+ \(512\.00 MiB, raw/);
    expect(c.ndctl).toMatchObject({ mode: 'sector', sector_size: 4096, name: 'walk' });
    expect(c.ndctl?.blockdev).toMatch(/^pmem\d+\.?\d*s$/);
  });

  it('sector → fsdax map=dev align 2 MiB', () => {
    const c = expectVerified('fsdax');
    expect(c.plan.expected).toMatchObject({ mode: 'fsdax', map: 'dev', align: 2 * MiB });
    expect(c.ndctl).toMatchObject({ mode: 'fsdax', map: 'dev', align: 2 * MiB });
  });

  it('refused: the fsdax namespace while ext4 is mounted on it; nothing changed', () => {
    const c = s('mounted');
    expect(c.plan.executable).toBe(false);
    expect(c.plan.checks.find((x) => x.id === 'namespace-not-mounted')).toMatchObject({ ok: false });
    expect(c.plan.refusal).toContain('/mnt/dax-device');
    expect(c.ack).toMatchObject({ executed: false, refused_because: 'not-executable' });
    expect(c.ack.result).toBeUndefined();
    expect(c.ndctl).toMatchObject({ mode: 'fsdax', uuid: s('fsdax').ndctl?.uuid });
    expect(c.stillMounted).toBe(true);
  });

  it('fsdax → devdax: a dax device, as daxctl lists it', () => {
    const c = expectVerified('devdax');
    expect(c.ndctl).toMatchObject({ mode: 'devdax', align: 2 * MiB });
    expect(c.daxctl).toMatchObject({ mode: 'devdax' });
  });

  it('refused: the dax device held open by sleep, named by pid; nothing changed', () => {
    const c = s('held');
    expect(c.plan.executable).toBe(false);
    expect(c.plan.checks.find((x) => x.id === 'device-not-open')).toMatchObject({ ok: false });
    expect(c.plan.refusal).toContain(`pid ${String(c.pid)} (sleep, open fd)`);
    expect(c.ack).toMatchObject({ executed: false, refused_because: 'not-executable' });
    expect(c.daxctl).toMatchObject({ mode: 'devdax' });
  });

  it('devdax → system-ram: online and movable, as daxctl sees it', () => {
    const c = expectVerified('systemRam');
    expect(c.ack.result?.verification.map((x) => x.id)).toEqual(['device-mode', 'memory-online', 'memory-movable']);
    expect(c.daxctl).toMatchObject({ mode: 'system-ram', movable: true });
    expect(c.daxctl?.online_memblocks).toBe(c.daxctl?.total_memblocks);
    expect(c.daxctl?.total_memblocks).toBeGreaterThan(0);
  });

  it('offline, then online again (movable)', () => {
    expect(expectVerified('offline').daxctl).toMatchObject({ mode: 'system-ram', online_memblocks: 0 });
    const on = expectVerified('online');
    expect(on.daxctl).toMatchObject({ mode: 'system-ram', movable: true });
    expect(on.daxctl?.online_memblocks).toBe(on.daxctl?.total_memblocks);
  });

  it('refused: the memory went offline between plan and execute (digest mismatch), with the fresh plan', () => {
    const c = s('stale');
    expect(c.reviewed.executable, c.reviewed.refusal).toBe(true);
    expect(c.reviewed.steps[0]?.op).toBe('daxctl_memory_offline');
    expect(c.ack).toMatchObject({ executed: false, refused_because: 'host-changed' });
    expect(c.ack.dax_plan?.digest).not.toBe(c.reviewed.digest);
    expect((c.ack.dax_plan?.before as Json | undefined)?.online_memblocks).toBe(0);
    expect(c.daxctl).toMatchObject({ mode: 'system-ram', online_memblocks: 0 });
  });

  it('system-ram → devdax (re-planned: nothing left to offline), then destroy gives the region its space back', () => {
    const back = expectVerified('backToDevdax');
    expect(back.plan.steps.map((x) => x.op)).toEqual(['daxctl_dev_disable', 'daxctl_dev_enable_devdax']);
    expect(back.daxctl).toMatchObject({ mode: 'devdax' });
    const d = expectVerified('destroy');
    expect(d.ack.result?.verification.map((x) => x.id)).toEqual(['namespace-gone', 'region-free-space']);
    expect(d.ndctl?.size ?? 0).toBe(0);
    expect(d.available_size).toBe(r.free0);
  });

  it('create fsdax map=mem on the other region', () => {
    const c = expectVerified('fsdaxMem');
    expect(c.ndctl).toMatchObject({ mode: 'fsdax', map: 'mem', size: expect.any(Number) });
    expect(c.ndctl?.dev).toMatch(new RegExp(`^namespace${r.regions[1]?.replace('region', '') ?? ''}\\.`));
  });
});
