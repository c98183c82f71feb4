/**
 * The addon inside the pmem lab: a real Linux kernel under QEMU with two emulated NVDIMMs (lab/lab run).
 * It checks what this host cannot show: libndctl enumerating real DIMMs, agreeing with `ndctl list -DH`
 * on which DIMMs report SMART health (QEMU's report none), and statx seeing DAX on a DAX-mounted ext4.
 *
 * Runs only where the lab is set up (qemu-system-x86_64 and lab/.cache with a guest kernel: `lab/lab setup`,
 * done by scripts/test.sh); about 30 s under TCG. The guest runs this host's node on the built addon.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonPath } from '../src/addon.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LAB = join(REPO, 'lab/lab');
const MARKER = 'DAX-NATIVE-LAB-RESULT ';

function labUnavailable(): string | undefined {
  if (!existsSync(LAB)) return `${LAB} missing`;
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64'], { stdio: 'ignore' }).status !== 0) return 'no qemu-system-x86_64';
  for (const file of ['vmlinux', 'initramfs.cpio.gz']) {
    if (!existsSync(join(REPO, 'lab/.cache', file))) return `no lab/.cache/${file} (run lab/lab setup)`;
  }
  return undefined;
}

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
  let scratch: string | undefined;
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('runs in the guest', async () => {
    // The guest sees the host's root read-only, but its /tmp is its own: put the script under /var/tmp.
    scratch = await mkdtemp('/var/tmp/dax-native-lab-');
    await writeFile(join(scratch, 'guest.cjs'), GUEST_SCRIPT);
    await writeFile(join(scratch, 'guest.sh'), `exec node ${join(scratch, 'guest.cjs')} ${addonPath()} /mnt/dax-native\n`);
    const output = execFileSync(LAB, ['run', join(scratch, 'guest.sh')], {
      encoding: 'utf8',
      env: { ...process.env, NDIMM: '2', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
      maxBuffer: 64 << 20,
    });
    const line = output.split('\n').find((l) => l.startsWith(MARKER));
    expect(line, `no result line in the guest output:\n${output.slice(-3000)}`).toBeDefined();
    result = JSON.parse(line!.slice(MARKER.length)) as LabResult;
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
