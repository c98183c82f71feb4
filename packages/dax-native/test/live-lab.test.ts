/**
 * The reader on a LIVE kernel: inside the pmem lab (Linux 6.1 under QEMU, lab/lab run) with the
 * two-dimm-all-modes layout applied, scanInventory('/sys') must print what ndctl and daxctl print at
 * the same moment. This covers what a recorded tree cannot: real kernfs readdir, ENXIO from idle
 * devices, and the native addon's health on real DIMMs.
 *
 * Runs only where the lab is set up (qemu + lab/.cache, `lab/lab setup`); a few minutes under TCG.
 * The guest runs this host's node on the built dist/ (vitest's global setup builds it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LAB = join(REPO, 'lab/lab');
const DIST = join(REPO, 'packages/dax-native/dist/index.js');
const MARKER = 'DAX-NATIVE-SCAN-RESULT ';

function labUnavailable(): string | undefined {
  if (!existsSync(LAB)) return `${LAB} missing`;
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' }).status !== 0) return 'no qemu-system-x86_64';
  for (const file of ['vmlinux', 'initramfs.cpio.gz']) {
    if (!existsSync(join(REPO, 'lab/.cache', file))) return `no lab/.cache/${file} (run lab/lab setup)`;
  }
  if (!existsSync(DIST)) return `${DIST} not built`;
  return undefined;
}

/** Runs in the guest after the layout: scans /sys and prints ours next to ndctl's and daxctl's text. */
const GUEST_SCRIPT = String.raw`
import { execFileSync } from 'node:child_process';
const [dist] = process.argv.slice(2);
const { scanInventory, toNdctlList, toDaxctlList, stringifyNdctl } = await import(dist);
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const inv = await scanInventory();
const idle = await scanInventory({ idle: true, health: false });
const result = {
  ndctl: sh('ndctl', 'list', '-BDRNMX', '-v'), ours: stringifyNdctl(toNdctlList(inv)),
  ndctlIdle: sh('ndctl', 'list', '-BDRNMX', '-v', '-i'), oursIdle: stringifyNdctl(toNdctlList(idle, { idle: true })),
  daxctl: sh('daxctl', 'list', '-DRM'), oursDaxctl: stringifyNdctl(toDaxctlList(inv)),
  inventory: inv,
};
console.log(${JSON.stringify(MARKER)} + JSON.stringify(result));
`;

interface LiveResult {
  ndctl: string;
  ours: string;
  ndctlIdle: string;
  oursIdle: string;
  daxctl: string;
  oursDaxctl: string;
  inventory: import('@daxfleet/shared').Inventory;
}

const unavailable = labUnavailable();

describe.skipIf(unavailable !== undefined)(`scanInventory on a live lab kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: LiveResult;
  let scratch: string | undefined;
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('runs in the guest', async () => {
    // the guest shares the host's root read-only but has its own /tmp: the script goes under /var/tmp
    scratch = await mkdtemp('/var/tmp/dax-native-scan-lab-');
    await writeFile(join(scratch, 'guest.mjs'), GUEST_SCRIPT);
    await writeFile(join(scratch, 'guest.sh'), `exec node ${join(scratch, 'guest.mjs')} ${DIST}\n`);
    const output = execFileSync(LAB, ['run', '--layout', 'two-dimm-all-modes', join(scratch, 'guest.sh')], {
      encoding: 'utf8',
      env: { ...process.env, LAB_TIMEOUT: '540', LAB_VERBOSE: '1' }, // verbose: the console (and the result line) on stdout
      maxBuffer: 64 << 20,
    });
    const line = output.split('\n').find((l) => l.startsWith(MARKER));
    expect(line, `no result line in the guest output:\n${output.slice(-3000)}`).toBeDefined();
    result = JSON.parse(line!.slice(MARKER.length)) as LiveResult;
  }, 600_000);

  it('prints exactly what `ndctl list -BDRNMX -v` prints', () => {
    expect(result.ndctl).toContain('"namespaces"');
    expect(result.ours).toBe(result.ndctl);
  });

  it('prints exactly what `ndctl list -BDRNMX -v -i` prints', () => {
    expect(result.oursIdle).toBe(result.ndctlIdle);
  });

  it('prints exactly what `daxctl list -DRM` prints', () => {
    expect(result.oursDaxctl).toBe(result.daxctl);
  });

  it('reads the live tree without warnings, with health from libndctl', () => {
    const inv = result.inventory;
    expect(inv.warnings).toEqual([]);
    expect(inv.health_source).toBe('libndctl');
    const dimms = inv.buses.flatMap((b) => b.dimms);
    expect(dimms).toHaveLength(2);
    // QEMU's NVDIMM has no SMART command
    for (const dimm of dimms) expect(dimm.health).toEqual({ supported: false });
  });
});
