/**
 * The recovery calls in the pmem lab on QEMU's own emulated NVDIMM (lab/lab run, two DIMMs): a raw namespace
 * whose block device gets a bad sector through /sys/block/pmemX/badblocks, and an fsdax namespace with ext4
 * mounted with DAX. QEMU's NFIT cannot clear poison (its bus has no clear-error command), so the pmem driver fails
 * a write over the bad sector with EIO and the sector stays listed: writeZeros must report exactly that sector in
 * `failed`, zero its neighbours, and clearErrorsOnBus must answer "not supported" without sending anything.
 *
 * One guest boot, about 40 s under TCG. The guest runs this host's node on the built package (dist/, built by
 * the global setup).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const MARKER = 'RECOVER-LAB-RESULT ';
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** the injected bad sector of the raw namespace's block device, and the range writeZeros covers around it */
const BAD = 1000;
const FROM = 996;
const COUNT = 8;

const GUEST_SCRIPT = String.raw`
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
const [dist, mnt, BAD, FROM, COUNT] = [process.argv[2], process.argv[3], ...process.argv.slice(4).map(Number)];
const m = await import(dist);
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const list = (text) => { const v = JSON.parse(text || '[]'); return Array.isArray(v) ? v : [v]; };
const settle = async (p) => p.then((value) => ({ value }), (e) => ({ error: { name: e.name, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, detail: e.detail, message: e.message } }));
/** one 512-byte sector read with O_DIRECT (dd), so no page-sized read spills onto a bad neighbour */
const sector = (dev, s) => {
  const r = spawnSync('dd', ['if=' + dev, 'iflag=direct', 'bs=512', 'skip=' + s, 'count=1', 'status=none'], { maxBuffer: 1 << 20 });
  if (r.status !== 0) return r.stderr.toString().includes('Input/output error') ? 'EIO' : 'error: ' + r.stderr;
  return r.stdout.every((b) => b === 0) ? 'zeros' : r.stdout.equals(fill(s)) ? 'pattern' : 'other';
};
const fill = (s) => Buffer.alloc(512, 1 + (s % 251));

sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
const regions = list(sh('ndctl', 'list', '-R')).sort((a, b) => a.dev.localeCompare(b.dev, 'en', { numeric: true }));
const raw = JSON.parse(sh('ndctl', 'create-namespace', '-r', regions[0].dev, '-m', 'raw', '-s', '64M'));
const fsdax = JSON.parse(sh('ndctl', 'create-namespace', '-r', regions[1].dev, '-m', 'fsdax', '-s', '256M'));
const out = {};

// --- raw namespace: a known pattern in sectors 0..2047 and 32760..36872, then one bad sector
const dev = '/dev/' + raw.blockdev;
{
  const fd = fs.openSync(dev, 'r+');
  for (const [from, to] of [[0, 2048], [32760, 36873]]) for (let s = from; s < to; s++) fs.writeSync(fd, fill(s), 0, 512, s * 512);
  fs.fsyncSync(fd); fs.closeSync(fd);
}
sh('blockdev', '--flushbufs', dev);
fs.writeFileSync('/sys/block/' + raw.blockdev + '/badblocks', BAD + ' 1\n');
const around = () => Object.fromEntries(Array.from({ length: COUNT + 4 }, (_, i) => FROM - 2 + i).map((s) => [s, sector(dev, s)]));
out.before = around();
out.overBad = await settle(m.writeZeros(dev, FROM * 512, COUNT * 512));
out.after = around();
out.badblocksAfter = fs.readFileSync('/sys/block/' + raw.blockdev + '/badblocks', 'utf8');
// far from the bad sector, across chunk boundaries: everything written
out.clean = await settle(m.writeZeros(dev, 16 << 20, (2 << 20) + 512));
out.cleanRead = [32767, 32768, 36864, 36865].map((s) => sector(dev, s));
out.rawInUse = await settle(m.deviceInUse(dev));

// --- the bus: QEMU's NFIT has no clear-error command
const regionDir = fs.realpathSync('/sys/bus/nd/devices/' + regions[0].dev);
out.bus = regionDir.split('/').at(-2);
out.busCommands = fs.readFileSync('/sys/bus/nd/devices/' + out.bus + '/commands', 'utf8').trim();
const spa = BigInt(fs.readFileSync(regionDir + '/resource', 'utf8').trim()) + 4096n;
out.busClear = await settle(m.clearErrorsOnBus({ bus: out.bus, address: spa, length: 512 }));
out.unknownBus = await settle(m.clearErrorsOnBus({ bus: 'ndbus77', address: spa, length: 512 }));
out.buses = fs.readdirSync('/sys/bus/nd/devices').filter((d) => /^ndbus\d+$/.test(d)).sort();

// --- fsdax + ext4 -o dax: the mounted device is held; a DAX file's hole is punched
const pmem = '/dev/' + fsdax.blockdev;
sh('mkfs.ext4', '-q', '-F', '-b', '4096', pmem);
fs.mkdirSync(mnt, { recursive: true });
sh('mount', '-o', 'dax', pmem, mnt);
out.mountedInUse = await settle(m.deviceInUse(pmem));
out.mountedWrite = await settle(m.writeZeros(pmem, 0, 4096));
const file = mnt + '/data';
fs.writeFileSync(file, Buffer.alloc(1 << 20, 0x5a));
sh('sync', file);
out.statx = await m.statxDax(file);
const blocksBefore = fs.statSync(file).blocks;
out.punch = await settle(m.punchHole(file, 64 << 10, 128 << 10));
const content = fs.readFileSync(file);
out.punched = {
  blocksFreed: blocksBefore - fs.statSync(file).blocks,
  size: fs.statSync(file).size,
  zeroed: content.subarray(64 << 10, 192 << 10).every((b) => b === 0),
  restKept: content.subarray(0, 64 << 10).every((b) => b === 0x5a) && content.subarray(192 << 10).every((b) => b === 0x5a),
};
sh('umount', mnt);
out.unmountedInUse = await settle(m.deviceInUse(pmem));
console.log(${JSON.stringify(MARKER)} + JSON.stringify(out));
`;

type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: Record<string, unknown> };
interface LabResult {
  before: Record<string, string>;
  overBad: Settled<{ written: number; failed: unknown[]; sectorSize: number }>;
  after: Record<string, string>;
  badblocksAfter: string;
  clean: Settled<{ written: number; failed: unknown[] }>;
  cleanRead: string[];
  rawInUse: Settled<boolean>;
  bus: string;
  busCommands: string;
  busClear: Settled<{ supported: boolean; cleared: number; detail: string; range?: unknown }>;
  unknownBus: Settled<unknown>;
  buses: string[];
  mountedInUse: Settled<boolean>;
  mountedWrite: Settled<unknown>;
  statx: { dax: boolean };
  punch: Settled<undefined>;
  punched: { blocksFreed: number; size: number; zeroed: boolean; restKept: boolean };
  unmountedInUse: Settled<boolean>;
}

const unavailable = labUnavailable({ files: [DIST] });

describe.skipIf(unavailable !== undefined)(`recovery calls on QEMU's emulated NVDIMM${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let r: LabResult;

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-native-recover-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${DIST} /mnt/recover ${BAD} ${FROM} ${COUNT}\n`,
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '500' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    r = jsonAfter<LabResult>(run.output, MARKER);
  }, 540_000);

  it('the injected sector reads EIO, its neighbours the pattern', () => {
    for (const [s, state] of Object.entries(r.before)) expect({ s, state }).toEqual({ s, state: Number(s) === BAD ? 'EIO' : 'pattern' });
  });

  it('writeZeros over the bad sector: exactly that sector fails EIO, every other one is zeroed, nothing outside changes', () => {
    expect(r.overBad.error).toBeUndefined();
    expect(r.overBad.value).toEqual({
      written: (COUNT - 1) * 512,
      sectorSize: 512,
      failed: [{ offset: BAD * 512, length: 512, code: 'EIO', errno: -5 }],
    });
    for (const [s, state] of Object.entries(r.after)) {
      const n = Number(s);
      const expected = n === BAD ? 'EIO' : n >= FROM && n < FROM + COUNT ? 'zeros' : 'pattern';
      expect({ s, state }).toEqual({ s, state: expected });
    }
  });

  it('the platform did not clear the poison: the sector stays listed', () => {
    expect(r.badblocksAfter).toBe(`${BAD} 1\n`);
  });

  it('a range without bad sectors is written whole, across 1 MiB chunks', () => {
    expect(r.clean.value).toEqual({ written: (2 << 20) + 512, failed: [], sectorSize: 512 });
    expect(r.cleanRead).toEqual(['pattern', 'zeros', 'zeros', 'pattern']);
    expect(r.rawInUse.value).toBe(false);
  });

  it("clearErrorsOnBus on QEMU's bus: not supported, nothing sent", () => {
    expect(r.busCommands).not.toMatch(/\bclear_error\b/);
    expect(r.busClear.value).toEqual({ supported: false, cleared: 0, widenRequired: false, detail: `bus ${r.bus} does not support clear_error` });
  });

  it('an unknown bus rejects ENODEV, listing the buses there are', () => {
    expect(r.unknownBus.error).toMatchObject({ code: 'ENODEV', path: 'ndbus77', detail: `no such bus; buses: ${r.buses.join(', ')}` });
  });

  it('a device with a mounted filesystem is in use and refuses writeZeros (EBUSY); unmounted it is free', () => {
    expect(r.mountedInUse.value).toBe(true);
    expect(r.mountedWrite.error).toMatchObject({ code: 'EBUSY', syscall: 'open' });
    expect(r.unmountedInUse.value).toBe(false);
  });

  it('punchHole on a DAX file: the range reads zeros, the blocks are freed, the size and the rest stay', () => {
    expect(r.statx.dax).toBe(true);
    expect(r.punch.error).toBeUndefined();
    expect(r.punched).toEqual({ blocksFreed: (128 << 10) / 512, size: 1 << 20, zeroed: true, restKept: true });
  });
});
