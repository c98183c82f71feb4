/**
 * The addon inside the pmem lab: a real Linux kernel under QEMU with two emulated NVDIMMs (lab/lab run).
 * It checks what this host cannot show: libndctl enumerating real DIMMs, agreeing with `ndctl list -DH`
 * on which DIMMs report SMART health (QEMU's report none), and statx seeing DAX on a DAX-mounted ext4.
 *
 * Runs only where the lab is set up (qemu-system-x86_64 and lab/.cache with a guest kernel: `lab/lab setup`,
 * done by scripts/test.sh); about 30 s under TCG. The guest runs this host's node on the built addon.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/addon.js';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const MARKER = 'DAX-NATIVE-LAB-RESULT ';

/**
 * Runs in the guest (CommonJS, the raw binding): makes an fsdax namespace with ext4 mounted dax=inode,
 * then prints one MARKER line of JSON with what the addon and ndctl saw.
 */
const GUEST_SCRIPT = String.raw`
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const [addon, mnt] = process.argv.slice(2);
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const native = require(addon);
(async () => {
  const ndctlDimms = JSON.parse(sh('ndctl', 'list', '-D', '-H') || '[]');
  const health = await native.dimmHealth();
  sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
  const ns = JSON.parse(sh('ndctl', 'create-namespace', '-m', 'fsdax', '-s', '256M'));
  sh('mkfs.ext4', '-q', '-F', '-b', '4096', '/dev/' + ns.blockdev);
  fs.mkdirSync(mnt, { recursive: true });
  sh('mount', '-o', 'dax=inode', '/dev/' + ns.blockdev, mnt);
  fs.writeFileSync(mnt + '/plain', 'x');
  fs.mkdirSync(mnt + '/flagged');
  const dirFlags = await native.updateFsxattrFlags(mnt + '/flagged', 0x8000, 0);
  fs.writeFileSync(mnt + '/flagged/inherited', 'x');
  const result = {
    ndctlDimms, health, dirFlags,
    plain: await native.statxDax(mnt + '/plain'),
    inherited: await native.statxDax(mnt + '/flagged/inherited'),
    inheritedFlags: await native.getFsxattr(mnt + '/flagged/inherited'),
  };
  console.log(${JSON.stringify(MARKER)} + JSON.stringify(result));
})().catch((err) => { console.error(err); process.exit(1); });
`;

interface LabResult {
  ndctlDimms: { dev: string; health?: object }[];
  health: { bus: string; dev: string; supported: boolean }[];
  dirFlags: { xflags: number };
  plain: { dax: boolean; reported: boolean };
  inherited: { dax: boolean; reported: boolean };
  inheritedFlags: { xflags: number };
}

const unavailable = labUnavailable();

describe.skipIf(unavailable !== undefined)(`addon in the pmem lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: LabResult;

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-native-lab-',
      files: { 'guest.cjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.cjs')} ${addonPath()} /mnt/dax-native\n`,
      env: { NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter<LabResult>(run.output, MARKER);
  }, 420_000);

  it('enumerates the same DIMMs as ndctl, with SMART support exactly where ndctl prints health', () => {
    expect(result.health.map((d) => d.dev).sort()).toEqual(result.ndctlDimms.map((d) => d.dev).sort());
    expect(result.health).toHaveLength(2);
    for (const dimm of result.health) {
      expect(dimm.bus).toMatch(/^ndbus\d+$/);
      const ndctl = result.ndctlDimms.find((d) => d.dev === dimm.dev)!;
      expect(dimm.supported).toBe(ndctl.health !== undefined);
    }
    // QEMU's NVDIMM has no SMART command: the honest answer is { supported: false } and nothing else.
    expect(result.health.map(({ bus: _bus, dev: _dev, ...rest }) => rest)).toEqual([{ supported: false }, { supported: false }]);
  });

  it('statx sees DAX on a file that inherited FS_XFLAG_DAX on ext4 dax=inode, and not on an unflagged one', () => {
    expect(result.dirFlags.xflags & 0x8000).toBe(0x8000);
    expect(result.inheritedFlags.xflags & 0x8000).toBe(0x8000);
    expect(result.inherited).toEqual({ dax: true, reported: true });
    expect(result.plain).toEqual({ dax: false, reported: true });
  });
});
