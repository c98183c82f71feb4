/**
 * The sysfs watcher on the attributes it exists for, in the pmem lab (a real 6.1 kernel under QEMU with
 * emulated NVDIMMs, lab/lab run). Fresh DIMMs are label-less: each region holds one raw namespace with
 * a pmem block device. The guest watches regionN/badblocks and /sys/block/pmemX/badblocks, injects
 * region poison with a software machine check (lab/guest/lib.sh `mce_poison`), whose handler
 * revalidates poison and calls sysfs_notify on both (nd_region_notify, nd_pmem_notify), then disables
 * the namespace so that the block device's attribute disappears.
 *
 * Prints (does not assert) the time from injection to callback. Runs only where the lab is set up
 * (`lab/lab setup`); about 35 s under TCG. The guest runs this host's node on the built dist/.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const DIST = join(REPO, 'packages/dax-native/dist/index.js');
const LIB = join(REPO, 'lab/guest/lib.sh');
const MARKER = 'DAX-NATIVE-WATCH-RESULT ';
/** Region offset of the injected poison; mce_poison's default length is 2^12 bytes. */
const OFFSET = 1 << 20;
const LENGTH = 1 << 12;

/**
 * Runs in the guest: watches both attributes, runs mce_poison (in bash, asynchronously, so the event
 * loop delivers callbacks meanwhile), then disables the namespace, and prints one MARKER line. The
 * waits are bounds against a hang, after which the result is printed as it is and the test judges.
 */
const GUEST_SCRIPT = String.raw`
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
const [dist, lib, offset] = process.argv.slice(2);
const { watchSysfsAttributes } = await import(dist);
const ND = '/sys/bus/nd/devices';
const read = (p) => readFileSync(p, 'utf8');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const region = readdirSync(ND).filter((n) => /^region\d+$/.test(n)).sort()[0];
const ns = readdirSync(ND + '/' + region).find((n) => /^namespace\d+\.\d+$/.test(n) && existsSync(ND + '/' + region + '/' + n + '/block'));
const [blockdev] = readdirSync(ND + '/' + region + '/' + ns + '/block');
const regionPath = ND + '/' + region + '/badblocks';
const blockPath = '/sys/block/' + blockdev + '/badblocks';
const nsStart = BigInt(read(ND + '/' + region + '/' + ns + '/resource').trim()) - BigInt(read(ND + '/' + region + '/resource').trim());

const changes = [];
const errors = [];
const watch = watchSysfsAttributes([regionPath, blockPath],
  (c) => changes.push({ ...c, at: performance.now() }),
  (e) => errors.push({ code: e.code, syscall: e.syscall, path: e.path, at: performance.now() }));

const spawnedAt = performance.now();
let announcedAt;
let log = '';
const child = spawn('bash', ['-c', 'source "$0"; mce_poison "$1" "$2"', lib, region, offset], { stdio: ['ignore', 'pipe', 'pipe'] });
child.stdout.on('data', (d) => (log += d));
child.stderr.on('data', (d) => {
  // mce_poison prints this line right before it writes the injection's registers
  if (announcedAt === undefined && String(d).includes('+ mce-inject:')) announcedAt = performance.now();
  log += d;
});
const status = await new Promise((resolve) => child.once('close', resolve));
const seen = () => [regionPath, blockPath].every((p) => changes.some((c) => c.path === p));
for (let i = 0; i < 100 && !seen(); i++) await sleep(100);
const afterInjection = { region: read(regionPath), block: read(blockPath) };
const changesBeforeDisable = changes.length;

log += execFileSync('ndctl', ['disable-namespace', ns], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
for (let i = 0; i < 100 && errors.length === 0; i++) await sleep(100);
await sleep(2500); // more than two of the watcher's 1 s rounds: a repeated report would show here
watch.close();

console.log(${JSON.stringify(MARKER)} + JSON.stringify({
  region, ns, blockdev, regionPath, blockPath, nsStart: Number(nsStart), status, log,
  initial: Object.fromEntries(watch.initial), changes, changesBeforeDisable, errors, spawnedAt, announcedAt, afterInjection,
}));
`;

interface WatchLabResult {
  region: string;
  ns: string;
  blockdev: string;
  regionPath: string;
  blockPath: string;
  /** namespace start relative to the region, bytes */
  nsStart: number;
  /** mce_poison's exit status */
  status: number | null;
  log: string;
  initial: Record<string, string>;
  changes: { path: string; text: string; at: number }[];
  changesBeforeDisable: number;
  errors: { code: string; syscall: string; path: string; at: number }[];
  spawnedAt: number;
  announcedAt?: number;
  afterInjection: { region: string; block: string };
}

const unavailable = labUnavailable({ files: [DIST] });

describe.skipIf(unavailable !== undefined)(`sysfs watcher in the pmem lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: WatchLabResult;

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-native-watch-lab-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${DIST} ${LIB} ${OFFSET}\n`,
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter<WatchLabResult>(run.output, MARKER);
    expect(result.status, `mce_poison failed:\n${result.log}`).toBe(0);

    // Figures, not assertions: TCG makes them slow and the machine is shared.
    const first = (path: string) => result.changes.find((c) => c.path === path)?.at;
    for (const [name, path] of [['region', result.regionPath], ['block device', result.blockPath]] as const) {
      const at = first(path);
      if (at === undefined) continue;
      const fromAnnounce = result.announcedAt === undefined ? 'n/a' : `${(at - result.announcedAt).toFixed(1)} ms`;
      console.log(
        `sysfs watch (lab, TCG): ${name} badblocks callback ${fromAnnounce} after mce_poison announced the injection, ` +
          `${(at - result.spawnedAt).toFixed(1)} ms after mce_poison was started`,
      );
    }
  }, 420_000);

  it('notifies regionN/badblocks with the new, region-relative list', () => {
    const expected = `${OFFSET / 512} ${LENGTH / 512}\n`;
    expect(result.initial[result.regionPath]).toBe('');
    const region = result.changes.filter((c) => c.path === result.regionPath);
    expect(region.length).toBeGreaterThan(0);
    for (const change of region) expect(change.text).toBe(expected);
    expect(result.afterInjection.region).toBe(expected);
  });

  it("notifies the pmem block device's badblocks with the new, namespace-relative list", () => {
    const expected = `${(OFFSET - result.nsStart) / 512} ${LENGTH / 512}\n`;
    expect(result.initial[result.blockPath]).toBe('');
    const block = result.changes.slice(0, result.changesBeforeDisable).filter((c) => c.path === result.blockPath);
    expect(block.length).toBeGreaterThan(0);
    for (const change of block) expect(change.text).toBe(expected);
    expect(result.afterInjection.block).toBe(expected);
  });

  it("reports the block device's attribute once when the namespace is disabled, and nothing else", () => {
    expect(result.errors.map(({ at: _at, ...e }) => e)).toEqual([{ code: 'ENODEV', syscall: 'read', path: result.blockPath }]);
    expect(result.changes.slice(result.changesBeforeDisable).filter((c) => c.path === result.blockPath)).toEqual([]);
  });
});
