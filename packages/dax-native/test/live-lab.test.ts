/**
 * The reader on a LIVE kernel: inside the pmem lab (Linux 6.1 under QEMU, lab/lab run) with the
 * two-dimm-all-modes layout applied, scanInventory('/sys') must print what ndctl and daxctl print at
 * the same moment. This covers what a recorded tree cannot: real kernfs readdir, ENXIO from idle
 * devices, and the native addon's health on real DIMMs.
 *
 * Runs only where the lab is set up (qemu + lab/.cache, `lab/lab setup`); a few minutes under TCG.
 * The guest runs this host's node on the built dist/ (vitest's global setup builds it).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const DIST = join(REPO, 'packages/dax-native/dist/index.js');
const MARKER = 'DAX-NATIVE-SCAN-RESULT ';

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

const unavailable = labUnavailable({ files: [DIST] });

describe.skipIf(unavailable !== undefined)(`scanInventory on a live lab kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: LiveResult;

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-native-scan-lab-',
      files: { 'guest.mjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.mjs')} ${DIST}\n`,
      layout: 'two-dimm-all-modes',
      env: { LAB_TIMEOUT: '540', LAB_VERBOSE: '1' }, // verbose: the console (and the result line) on stdout
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter<LiveResult>(run.output, MARKER);
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
