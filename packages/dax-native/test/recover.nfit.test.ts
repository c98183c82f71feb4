/**
 * Clearing poison for real: the pmem lab guest with its libnvdimm stack swapped for the kernel's nfit_test build
 * (lab-guest.ts NFIT_TEST_SWAP), whose bus nfit_test.0 emulates ARS, error injection and the clear-error command,
 * as ndctl's own test/clear.sh and test/dax-errors use it. A devdax namespace and a raw namespace each get an
 * error through `ndctl inject-error` and a scrub that lists it in regionN/badblocks; then clearErrorsOnBus sends
 * the bus's clear-error for the devdax range (first a request inside one clear unit, widened, which clears too
 * little to unlist a whole sector; then the whole range), and writeZeros rewrites the raw namespace's bad sectors
 * through the pmem driver, which clears the poison on this platform. The lists must be empty afterwards.
 *
 * Runs where the lab is set up; builds nfit_test for the guest kernel first unless it is built (prepareNfitTest, under
 * a lock shared with native.nfit.test.ts). One guest boot, about 60 s under TCG.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  NFIT_TEST_BUILD_NEEDS, NFIT_TEST_MODULES, NFIT_TEST_SWAP, jsonAfter, labUnavailable, outputTail, prepareNfitTest, runInGuest,
} from './lab-guest.js';

const MARKER = 'RECOVER-NFIT-RESULT ';
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
/** namespace-relative 512 B block of each injected error, and how many */
const INJECT_BLOCK = 1024;
const INJECT_COUNT = 8;

const GUEST_DRIVER = String.raw`
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, realpathSync } from 'node:fs';
const [dist, BLOCK, COUNT] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const m = await import(dist);
const BUS = 'nfit_test.0';
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const settle = async (p) => p.then((value) => ({ value }), (e) => ({ error: { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path, detail: e.detail, message: e.message } }));
const json = (v) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x));
const badblocks = (path) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ').map(Number)).map(([offset, length]) => ({ offset, length }));
const sectorState = (dev, s) => {
  const r = spawnSync('dd', ['if=' + dev, 'iflag=direct', 'bs=512', 'skip=' + s, 'count=1', 'status=none']);
  if (r.status !== 0) return r.stderr.toString().includes('Input/output error') ? 'EIO' : 'error';
  return r.stdout.every((b) => b === 0) ? 'zeros' : 'data';
};

const busDir = readdirSync('/sys/bus/nd/devices').filter((d) => /^ndbus\d+$/.test(d)).map((d) => '/sys/bus/nd/devices/' + d)
  .find((d) => readFileSync(d + '/provider', 'utf8').trim() === BUS);
const bus = busDir.split('/').pop();
sh('ndctl', 'wait-scrub', BUS);
sh('ndctl', 'disable-region', '-b', BUS, 'all');
sh('ndctl', 'init-labels', '-f', '-b', BUS, 'all');
sh('ndctl', 'enable-region', '-b', BUS, 'all');
// the larger region for device DAX (its info block and alignment take room)
const regions = JSON.parse(sh('ndctl', 'list', '-R', '-b', BUS)).sort((a, b) => b.size - a.size);
const daxNs = JSON.parse(sh('ndctl', 'create-namespace', '-b', BUS, '-r', regions[0].dev, '-m', 'devdax', '-a', '4K'));
const rawNs = JSON.parse(sh('ndctl', 'create-namespace', '-b', BUS, '-r', regions[1].dev, '-m', 'raw'));
for (const ns of [daxNs, rawNs]) sh('ndctl', 'inject-error', '--block=' + BLOCK, '--count=' + COUNT, ns.dev);
sh('ndctl', 'start-scrub', BUS);
sh('ndctl', 'wait-scrub', BUS);

const regionOf = (ns) => realpathSync('/sys/bus/nd/devices/' + ns).split('/').at(-2);
const out = { bus, busCommands: readFileSync(busDir + '/commands', 'utf8').trim() };

// --- device DAX: the bus's clear-error at the SPA the region lists
{
  const region = regionOf(daxNs.dev);
  const regionBadblocks = () => badblocks('/sys/bus/nd/devices/' + region + '/badblocks');
  const before = regionBadblocks();
  const base = BigInt(readFileSync('/sys/bus/nd/devices/' + region + '/resource', 'utf8').trim());
  const spa = base + BigInt(before[0].offset) * 512n;
  const length = before[0].length * 512;
  // the same 100 bytes with exact: nothing is sent, the answer says the range would have to be widened
  const exact = await settle(m.clearErrorsOnBus({ bus, address: spa + 100n, length: 100, exact: true }));
  const afterExact = regionBadblocks();
  // 100 bytes inside the first clear unit: widened to one whole unit, which is less than a 512-byte sector
  const partial = await settle(m.clearErrorsOnBus({ bus, address: spa + 100n, length: 100 }));
  const afterPartial = regionBadblocks();
  const whole = await settle(m.clearErrorsOnBus({ bus, address: spa, length }));
  out.dax = { region, chardev: daxNs.daxregion.devices[0].chardev, spa, length, before, exact, afterExact, partial, afterPartial, whole, after: regionBadblocks() };
}

// --- raw namespace: zeros written through the pmem driver, which sends clear-error for the poisoned sectors
{
  const region = regionOf(rawNs.dev);
  const dev = '/dev/' + rawNs.blockdev;
  const before = badblocks('/sys/block/' + rawNs.blockdev + '/badblocks');
  const readBefore = sectorState(dev, BLOCK);
  const inUse = await settle(m.deviceInUse(dev));
  const write = await settle(m.writeZeros(dev, before[0].offset * 512, before[0].length * 512));
  out.raw = {
    region, blockdev: rawNs.blockdev, before, readBefore, inUse, write,
    after: badblocks('/sys/block/' + rawNs.blockdev + '/badblocks'),
    regionAfter: badblocks('/sys/bus/nd/devices/' + region + '/badblocks'),
    readAfter: Array.from({ length: COUNT }, (_, i) => sectorState(dev, BLOCK + i)),
  };
}
console.log(${JSON.stringify(MARKER)} + json(out));
`;

const GUEST_SCRIPT = (dir: string): string => String.raw`
set -u
modules=$1
${NFIT_TEST_SWAP}
exec node ${join(dir, 'driver.mjs')} "$2" "$3" "$4"
`;

type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: Record<string, unknown> };
interface Range { offset: number; length: number }
interface ClearResult { supported: boolean; cleared: number; detail: string; range?: { address: string; length: number; clearUnit: number } }
interface NfitResult {
  bus: string;
  busCommands: string;
  dax: {
    region: string; chardev: string; spa: string; length: number; before: Range[];
    exact: Settled<ClearResult>; afterExact: Range[]; partial: Settled<ClearResult>; afterPartial: Range[]; whole: Settled<ClearResult>; after: Range[];
  };
  raw: {
    blockdev: string; before: Range[]; readBefore: string; inUse: Settled<boolean>;
    write: Settled<{ written: number; failed: unknown[]; sectorSize: number }>;
    after: Range[]; regionAfter: Range[]; readAfter: string[];
  };
}

const unavailable = labUnavailable({ ...NFIT_TEST_BUILD_NEEDS, files: [DIST] });

describe.skipIf(unavailable !== undefined)(`clearing injected errors on nfit_test${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let r: NfitResult;

  it('runs in the guest', async () => {
    // builds nfit_test, or waits for native.nfit.test.ts building it in parallel
    expect(prepareNfitTest(), 'preparing nfit_test').toBeUndefined();
    const run = await runInGuest({
      prefix: 'dax-native-recover-nfit-',
      files: { 'driver.mjs': GUEST_DRIVER },
      script: GUEST_SCRIPT,
      args: [NFIT_TEST_MODULES, DIST, String(INJECT_BLOCK), String(INJECT_COUNT)],
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '500' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    r = jsonAfter<NfitResult>(run.output, MARKER);
  }, 540_000);

  it("the bus offers clear_error and the injected errors are listed", () => {
    expect(r.busCommands.split(' ')).toEqual(expect.arrayContaining(['ars_cap', 'ars_status', 'clear_error']));
    expect(r.dax.before).toHaveLength(1);
    expect(r.dax.before[0]!.length).toBe(INJECT_COUNT);
    expect(r.raw.before).toEqual([{ offset: INJECT_BLOCK, length: INJECT_COUNT }]);
    expect(r.raw.readBefore).toBe('EIO');
  });

  it('with exact, a request inside one clear unit sends nothing and says the range would have to be widened', () => {
    expect(r.dax.exact.error).toBeUndefined();
    expect(r.dax.exact.value).toMatchObject({ supported: true, cleared: 0, widenRequired: true });
    expect(r.dax.exact.value!.detail).toMatch(/^the platform clears in units of \d+ B: .*nothing was cleared$/);
    expect(r.dax.afterExact).toEqual(r.dax.before);
  });

  it('a request inside one clear unit is widened to that unit, and says so', () => {
    const spa = BigInt(r.dax.spa);
    expect(r.dax.partial.error).toBeUndefined();
    const partial = r.dax.partial.value!;
    expect(partial.supported).toBe(true);
    const unit = partial.range!.clearUnit;
    expect(unit & (unit - 1)).toBe(0);
    const u = BigInt(unit);
    const start = ((spa + 100n) / u) * u;
    const end = ((spa + 200n + u - 1n) / u) * u;
    expect(BigInt(partial.range!.address)).toBe(start);
    expect(partial.range!.length).toBe(Number(end - start));
    expect(partial.cleared).toBe(partial.range!.length);
    expect(partial.detail).toContain(`widened to whole ${unit}-byte clear units`);
    // less than a whole 512-byte sector cleared (nfit_test's unit is 256): the kernel keeps the sector listed
    if (unit < 512) expect(r.dax.afterPartial).toEqual(r.dax.before);
  });

  it('clearErrorsOnBus over the listed range clears it: regionN/badblocks no longer lists it', () => {
    expect(r.dax.whole.error).toBeUndefined();
    expect(r.dax.whole.value).toEqual({
      supported: true,
      cleared: r.dax.length,
      // a request aligned to the clear unit is never widened
      widenRequired: false,
      detail: `bus ${r.bus} cleared ${r.dax.length} of ${r.dax.length} bytes at SPA ${r.dax.spa}`,
      range: { address: r.dax.spa, length: r.dax.length, clearUnit: r.dax.partial.value!.range!.clearUnit },
    });
    expect(r.dax.after).toEqual([]);
  });

  it('writeZeros over the raw namespace\'s bad sectors clears them: every write succeeds, the lists are empty, the sectors read zeros', () => {
    expect(r.raw.inUse.value).toBe(false);
    expect(r.raw.write.value).toEqual({ written: INJECT_COUNT * 512, failed: [], sectorSize: 512 });
    expect(r.raw.after).toEqual([]);
    expect(r.raw.regionAfter).toEqual([]);
    expect(r.raw.readAfter).toEqual(Array(INJECT_COUNT).fill('zeros'));
  });
});
