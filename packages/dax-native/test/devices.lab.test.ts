/**
 * Namespace and device-DAX changes through the addon on QEMU's emulated NVDIMM (lab/lab run, two DIMMs of 1 GiB):
 * one guest, one node script running the built package (dist/), each step read back independently with
 * `ndctl list -N -v -X` / `daxctl list -D` and /sys. The sequence: refusals on the label-less DIMMs, then
 * init-labels; create raw → reconfigure sector 4096 → fsdax map=dev align 2M → devdax align 2M → system-ram
 * (online, movable; destroy/reconfigure refused while it is) → devdax → system-ram → offline → online
 * {movable:false} → back to devdax (converted, or EBUSY with every block restored: ZONE_NORMAL memory takes kernel
 * allocations) → destroy; fsdax map=mem on the other region, ext4 -o dax mounted on it: destroy and reconfigure
 * refused EBUSY, the namespace unchanged. Guest script ~70 s at load 18 on 2 cores (TCG).
 *
 * The guest's results are one marker line of JSON; every assertion is made here, on the host.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const MARKER = 'DEVICES-LAB-RESULT ';
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const MiB = 1 << 20;
/** the namespace taken through every mode: three 128 MiB memory blocks' worth, less the info block */
const SIZE = 384 * MiB;

const GUEST_SCRIPT = String.raw`
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
const [dist, mnt] = process.argv.slice(2);
const m = await import(dist);
const t0 = Date.now();
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const list = (text) => { const v = JSON.parse(text || '[]'); return Array.isArray(v) ? v : [v]; };
const settle = async (p) => p.then((value) => ({ value }), (e) => ({ error: { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, detail: e.detail, message: e.message } }));
/** a call that must succeed: its value, or the error as the step's result (the host assertions then fail) */
const call = async (f) => { try { return await f(); } catch (e) { return { failed: { name: e.name, code: e.code, syscall: e.syscall, message: e.message } }; } };
/** what ndctl says about one namespace, independently of the addon */
const ndctl = (dev, ...more) => list(sh('ndctl', 'list', '-N', '-v', ...more, '-n', dev)).find((n) => n.dev === dev) ?? null;
const daxctl = (dev) => list(sh('daxctl', 'list', '-D', '-d', dev))[0] ?? null;
const rd = (p) => fs.readFileSync(p, 'utf8').trim();
/** a region's sizes straight from sysfs (cheaper than another ndctl process under TCG) */
const region = (r) => ({ size: Number(rd('/sys/bus/nd/devices/' + r + '/size')), available_size: Number(rd('/sys/bus/nd/devices/' + r + '/available_size')) });
/** every namespace with its size and personality, from sysfs */
const nsNames = () => fs.readdirSync('/sys/bus/nd/devices').filter((d) => d.startsWith('namespace')).map((d) => {
  const dir = '/sys/bus/nd/devices/' + d;
  const holder = fs.existsSync(dir + '/holder') ? rd(dir + '/holder') : '';
  let size; try { size = rd(dir + '/size'); } catch (e) { size = e.code; }
  return d + ':' + size + ':' + holder;
}).sort();
/** the memory blocks of a system-ram dax device, by phys range, with state and zone */
const blocks = (chardev) => {
  const dir = '/sys/bus/dax/devices/' + chardev;
  const start = BigInt(rd(dir + '/resource')), size = BigInt(rd(dir + '/size'));
  const bs = BigInt('0x' + rd('/sys/devices/system/memory/block_size_bytes'));
  const out = [];
  for (let i = (start + bs - 1n) / bs; i <= (start + size - 1n) / bs; i++) {
    const b = '/sys/devices/system/memory/memory' + i;
    if (fs.existsSync(b)) out.push({ block: Number(i), state: rd(b + '/state'), zones: rd(b + '/valid_zones') });
  }
  return out;
};
const out = { steps: {} };
const step = (name, value) => { out.steps[name] = { ...value, at: Date.now() - t0 }; };
try {

// --- label-less DIMMs (fresh QEMU NVDIMMs): the one raw namespace spans each region
const regions = fs.readdirSync('/sys/bus/nd/devices').filter((d) => /^region\d+$/.test(d)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
const [r0, r1] = regions;
out.regions = regions;
out.labelLess = await settle(m.createNamespace(r0, { mode: 'fsdax', size: 256 << 20 }));

sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
const free0 = region(r0);
out.free0 = { available_size: free0.available_size, size: free0.size, align: Number(rd('/sys/bus/nd/devices/' + r0 + '/align')) };

// --- bad params: nothing changes
const before = nsNames();
out.bad = {
  unaligned: await settle(m.createNamespace(r0, { mode: 'raw', size: 20 << 20 })),
  sector1000: await settle(m.createNamespace(r0, { mode: 'sector', sectorSize: 1000 })),
  unknownRegion: await settle(m.createNamespace('region77', { mode: 'raw', size: 64 << 20 })),
  unknownNamespace: await settle(m.destroyNamespace('namespace77.0')),
  unknownDax: await settle(m.offlineDaxMemory('dax77.0')),
  tooBig: await settle(m.createNamespace(r0, { mode: 'raw', size: 4096 * 1024 * 1024 })),
};
out.badUnchanged = { before, after: nsNames(), available: region(r0).available_size };

// --- one namespace through every mode
const SIZE = ${SIZE};
const raw = await call(() => m.createNamespace(r0, { mode: 'raw', size: SIZE, name: 'walk' }));
step('raw', { result: raw, ndctl: ndctl(raw.namespace) });
const ns = raw.namespace;
const sector = await call(() => m.reconfigureNamespace(ns, { mode: 'sector', sectorSize: 4096 }));
step('sector', { result: sector, ndctl: ndctl(ns) });
const fsdax = await call(() => m.reconfigureNamespace(ns, { mode: 'fsdax', map: 'dev', align: 2 << 20 }));
step('fsdax', { result: fsdax, ndctl: ndctl(ns) });
const devdax = await call(() => m.reconfigureNamespace(ns, { mode: 'devdax', align: 2 << 20 }));
step('devdax', { result: devdax, ndctl: ndctl(ns, '-X') });
const dax = devdax.chardev;
step('devdaxDaxctl', { daxctl: daxctl(dax) });

const ram = await call(() => m.reconfigureDaxDevice(dax, { mode: 'system-ram' }));
step('systemRam', { result: ram, daxctl: daxctl(dax), blocks: blocks(dax) });
// a namespace whose memory is online as system-ram is in use
out.busyRam = {
  destroy: await settle(m.destroyNamespace(ns)),
  reconfigure: await settle(m.reconfigureNamespace(ns, { mode: 'raw' })),
  ndctl: ndctl(ns),
};
// ZONE_MOVABLE memory holds no unmovable kernel pages: back to devdax always works from here
const movableBack = await call(() => m.reconfigureDaxDevice(dax, { mode: 'devdax' }));
step('movableToDevdax', { result: movableBack, daxctl: daxctl(dax) });
await call(() => m.reconfigureDaxDevice(dax, { mode: 'system-ram' }));
const off = await call(() => m.offlineDaxMemory(dax));
step('offline', { result: off, daxctl: daxctl(dax), blocks: blocks(dax) });
const on = await call(() => m.onlineDaxMemory(dax, { movable: false }));
step('onlineNormal', { result: on, daxctl: daxctl(dax), blocks: blocks(dax) });
// ZONE_NORMAL memory may have received kernel allocations since: either outcome is checked on the host
const back = await settle(m.reconfigureDaxDevice(dax, { mode: 'devdax' }));
step('backToDevdax', { result: back, daxctl: daxctl(dax), blocks: back.error ? blocks(dax) : [] });

const destroyed = await settle(m.destroyNamespace(ns));
const free1 = region(r0);
step('destroy', { result: destroyed, ndctl: ndctl(ns), available_size: free1.available_size });

// --- fsdax map=mem on the other region, ext4 -o dax mounted: refusals, nothing changed
const mem = await call(() => m.createNamespace(r1, { mode: 'fsdax', map: 'mem', size: 128 << 20 }));
step('fsdaxMem', { result: mem, ndctl: ndctl(mem.namespace) });
sh('mkfs.ext4', '-q', '-F', '-b', '4096', '/dev/' + mem.blockdev);
fs.mkdirSync(mnt, { recursive: true });
sh('mount', '-o', 'dax', '/dev/' + mem.blockdev, mnt);
out.mounted = {
  destroy: await settle(m.destroyNamespace(mem.namespace)),
  reconfigure: await settle(m.reconfigureNamespace(mem.namespace, { mode: 'devdax' })),
  ndctl: ndctl(mem.namespace),
  stillMounted: fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(' ' + mnt + ' '),
};
sh('umount', mnt);
const memGone = await call(() => m.destroyNamespace(mem.namespace));
step('destroyMem', { result: memGone, available_size: region(r1).available_size, size: region(r1).size });
} catch (e) {
  out.aborted = String(e.stack);  // the host fails on it, with the steps so far
}
out.seconds = (Date.now() - t0) / 1000;
console.log(${JSON.stringify(MARKER)} + JSON.stringify(out));
`;

type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: Record<string, unknown> };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Block { block: number; state: string; zones: string }
interface LabResult {
  regions: string[];
  labelLess: Settled<unknown>;
  free0: { available_size: number; size: number; align: number };
  bad: Record<'unaligned' | 'sector1000' | 'unknownRegion' | 'unknownNamespace' | 'unknownDax' | 'tooBig', Settled<unknown>>;
  badUnchanged: { before: string[]; after: string[]; available: number };
  steps: Record<string, Json & { result?: Json; ndctl?: Json; daxctl?: Json; blocks?: Block[] }>;
  busyRam: { destroy: Settled<unknown>; reconfigure: Settled<unknown>; ndctl: Json };
  mounted: { destroy: Settled<unknown>; reconfigure: Settled<unknown>; ndctl: Json; stillMounted: boolean };
  seconds: number;
  aborted?: string;
}

const unavailable = labUnavailable({ files: [DIST] });

describe.skipIf(unavailable !== undefined)(`namespace and device-DAX changes on QEMU's emulated NVDIMM${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let r: LabResult;
  const s = (name: string): Json => {
    const value = r.steps[name];
    if (value === undefined) throw new Error(`no step ${name} in the guest's results`);
    return value;
  };

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-native-devices-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${DIST} /mnt/devices\n`,
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '500' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    r = jsonAfter<LabResult>(run.output, MARKER);
    expect(r.aborted, JSON.stringify(r.steps, null, 1)).toBeUndefined();
  }, 540_000);

  it('a label-less region is refused with advice to initialise labels', () => {
    expect(r.labelLess.error).toMatchObject({ code: 'EINVAL', path: r.regions[0] });
    expect(String(r.labelLess.error?.detail)).toMatch(/label-less.*ndctl init-labels/);
  });

  it('bad params are refused before anything changes', () => {
    expect(r.free0.align).toBe(16 * MiB);
    expect(r.bad.unaligned.error).toMatchObject({ name: 'TypeError', message: `size must be a multiple of the region align (${16 * MiB})` });
    expect(r.bad.sector1000.error).toMatchObject({ name: 'TypeError' });
    expect(String(r.bad.sector1000.error?.message)).toMatch(/sectorSize of a sector namespace must be one of 512, 520/);
    expect(r.bad.unknownRegion.error).toMatchObject({ code: 'ENODEV', path: 'region77' });
    expect(String(r.bad.unknownRegion.error?.detail)).toContain(r.regions[0]);
    expect(r.bad.unknownNamespace.error).toMatchObject({ code: 'ENODEV', path: 'namespace77.0' });
    expect(r.bad.unknownDax.error).toMatchObject({ code: 'ENODEV', path: 'dax77.0' });
    expect(r.bad.tooBig.error).toMatchObject({ code: 'ENOSPC' });
    expect(r.badUnchanged.after).toEqual(r.badUnchanged.before);
    expect(r.badUnchanged.available).toBe(r.free0.available_size);
  });

  it('create raw: what ndctl lists', () => {
    const { result, ndctl } = s('raw');
    expect(result).toMatchObject({ mode: 'raw', size: SIZE });
    expect(result?.namespace).toMatch(/^namespace\d+\.\d+$/);
    expect(ndctl).toMatchObject({ dev: result?.namespace, mode: 'raw', size: SIZE, uuid: result?.uuid, blockdev: result?.blockdev, name: 'walk' });
  });

  it('reconfigure to sector 4096: same namespace, a btt block device', () => {
    const { result, ndctl } = s('sector');
    expect(result).toMatchObject({ namespace: s('raw').result?.namespace, mode: 'sector', holder: expect.stringMatching(/^btt/) });
    expect(ndctl).toMatchObject({ mode: 'sector', sector_size: 4096, raw_uuid: result?.uuid, blockdev: result?.blockdev, name: 'walk' });
    expect(result?.blockdev).toMatch(/^pmem\d+s$/);
    expect(result?.uuid).not.toBe(s('raw').result?.uuid);
  });

  it('reconfigure to fsdax map=dev align 2M', () => {
    const { result, ndctl } = s('fsdax');
    expect(result).toMatchObject({ mode: 'fsdax', holder: expect.stringMatching(/^pfn/), blockdev: expect.stringMatching(/^pmem\d+$/) });
    expect(ndctl).toMatchObject({ mode: 'fsdax', map: 'dev', align: 2 * MiB, raw_uuid: result?.uuid, blockdev: result?.blockdev });
  });

  it('reconfigure to devdax align 2M: a dax character device', () => {
    const { result, ndctl } = s('devdax');
    expect(result).toMatchObject({ mode: 'devdax', holder: expect.stringMatching(/^dax/), chardev: expect.stringMatching(/^dax\d+\.\d+$/) });
    expect(ndctl).toMatchObject({ mode: 'devdax', align: 2 * MiB, raw_uuid: result?.uuid });
    expect(ndctl?.daxregion?.devices?.[0]?.chardev).toBe(result?.chardev);
    expect(s('devdaxDaxctl').daxctl).toMatchObject({ chardev: result?.chardev, mode: 'devdax' });
  });

  it('system-ram: online and movable, as daxctl and /sys see it', () => {
    const { result, daxctl, blocks } = s('systemRam');
    expect(blocks?.length).toBeGreaterThan(0);
    expect(result).toEqual({ device: s('devdax').result?.chardev, mode: 'system-ram', onlineMemblocks: blocks?.length, totalMemblocks: blocks?.length, movable: true });
    expect(daxctl).toMatchObject({ mode: 'system-ram', online_memblocks: blocks?.length, total_memblocks: blocks?.length, movable: true });
    for (const b of blocks ?? []) expect(b).toMatchObject({ state: 'online', zones: 'Movable' });
  });

  it('a namespace with memory online as system-ram is in use: destroy and reconfigure refused, unchanged', () => {
    for (const refused of [r.busyRam.destroy, r.busyRam.reconfigure]) {
      expect(refused.error).toMatchObject({ code: 'EBUSY', syscall: 'ndctl_namespace_disable_safe' });
      expect(String(refused.error?.detail)).toContain(`${s('devdax').result?.chardev} has memory in system-ram mode`);
    }
    expect(r.busyRam.ndctl).toMatchObject({ mode: 'devdax', raw_uuid: s('devdax').result?.uuid });
  });

  it('system-ram → devdax from ZONE_MOVABLE: every block offlined, device_dax back', () => {
    const { result, daxctl } = s('movableToDevdax');
    expect(result).toEqual({ device: s('devdax').result?.chardev, mode: 'devdax' });
    expect(daxctl).toMatchObject({ chardev: s('devdax').result?.chardev, mode: 'devdax' });
    expect(daxctl?.online_memblocks).toBeUndefined();
  });

  it('offlineDaxMemory: every block offline', () => {
    const { result, daxctl, blocks } = s('offline');
    expect(blocks?.length).toBeGreaterThan(0);
    expect(result).toEqual({ device: s('devdax').result?.chardev, mode: 'system-ram', onlineMemblocks: 0, totalMemblocks: blocks?.length, offlined: blocks?.length });
    expect(daxctl).toMatchObject({ mode: 'system-ram', online_memblocks: 0, total_memblocks: blocks?.length });
    for (const b of blocks ?? []) expect(b.state).toBe('offline');
  });

  it('onlineDaxMemory {movable: false}: every block online in ZONE_NORMAL', () => {
    const { result, daxctl, blocks } = s('onlineNormal');
    expect(result).toMatchObject({ mode: 'system-ram', onlineMemblocks: blocks?.length, movable: false, onlined: blocks?.length });
    expect(daxctl).toMatchObject({ online_memblocks: blocks?.length, movable: false });
    for (const b of blocks ?? []) expect(b).toMatchObject({ state: 'online', zones: 'Normal' });
  });

  it('back to devdax from ZONE_NORMAL: converted, or refused EBUSY naming the block with every block back online', () => {
    const { result, daxctl, blocks } = s('backToDevdax');
    if (result?.error === undefined) {
      expect(result?.value).toEqual({ device: s('devdax').result?.chardev, mode: 'devdax' });
      expect(daxctl).toMatchObject({ mode: 'devdax' });
    } else {
      expect(result.error).toMatchObject({ code: 'EBUSY', syscall: 'write' });
      const [, block, device] = /^memory block (\d+) of (dax\d+\.\d+) cannot go offline \(in use by the kernel\); \d+ block\(s\) offlined before it were put back online, so dax\d+\.\d+ is unchanged/.exec(String(result.error.detail)) ?? [];
      expect(device).toBe(s('devdax').result?.chardev);
      expect(result.error.path).toBe(`/sys/devices/system/memory/memory${block}/state`);
      expect(daxctl).toMatchObject({ mode: 'system-ram', online_memblocks: blocks?.length, movable: false });
      for (const b of blocks ?? []) expect(b).toMatchObject({ state: 'online', zones: 'Normal' });
    }
  });

  it('destroy gives the region its capacity back (or, with memory still online, is refused EBUSY)', () => {
    const { result, ndctl, available_size: available } = s('destroy');
    if (s('backToDevdax').result?.error === undefined) {
      expect(result).toEqual({ value: { namespace: s('raw').result?.namespace, freed: SIZE } });
      expect(ndctl).toBeNull();
      expect(available).toBe(r.free0.available_size);
    } else {
      expect(result?.error).toMatchObject({ code: 'EBUSY', syscall: 'ndctl_namespace_disable_safe' });
      expect(available).toBe(r.free0.available_size - SIZE);
    }
  });

  it('create fsdax map=mem on the other region', () => {
    const { result, ndctl } = s('fsdaxMem');
    expect(result).toMatchObject({ mode: 'fsdax', size: 128 * MiB });
    expect(ndctl).toMatchObject({ mode: 'fsdax', map: 'mem', raw_uuid: result?.uuid, blockdev: result?.blockdev });
    expect(ndctl?.dev).toMatch(new RegExp(`^namespace${r.regions[1]?.replace('region', '')}\\.`));
  });

  it('a mounted fsdax namespace is in use: destroy and reconfigure refused EBUSY, nothing changed', () => {
    const blockdev = String(s('fsdaxMem').result?.blockdev);
    for (const refused of [r.mounted.destroy, r.mounted.reconfigure]) {
      expect(refused.error).toMatchObject({ code: 'EBUSY', syscall: 'ndctl_namespace_disable_safe' });
      expect(String(refused.error?.detail)).toContain(`/dev/${blockdev} is mounted or held`);
    }
    expect(r.mounted.ndctl).toMatchObject({ mode: 'fsdax', map: 'mem', raw_uuid: s('fsdaxMem').result?.uuid, blockdev });
    expect(r.mounted.stillMounted).toBe(true);
    expect(s('destroyMem').result).toEqual({ namespace: s('fsdaxMem').result?.namespace, freed: 128 * MiB });
    expect(s('destroyMem').available_size).toBe(s('destroyMem').size);
  });
});
