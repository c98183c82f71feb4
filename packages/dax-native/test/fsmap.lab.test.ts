/**
 * mapDeviceRange in the pmem lab: ext4 and xfs (rmapbt=1, reflink=0, 4 KiB blocks, the page size DAX needs) on
 * fsdax namespaces of emulated NVDIMMs, mounted with -o dax. A bad block is injected into /sys/block/pmemX/badblocks
 * under a known file (its place from filefrag / xfs_bmap, the independent oracles) and mapped back to that file and
 * offset; a read of the file through DAX at that offset fails with EIO (the pmem driver checks its bad-block list
 * on every DAX access), a read elsewhere in the file still works.
 *
 * Runs only where the lab is set up (`lab/lab setup`) and the package is built (dist/, the addon); the guest runs
 * this host's node on them.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addonPath } from '../src/addon.js';
import { jsonAfter, labUnavailable, outputTail, runInGuest } from './lab-guest.js';

const MARKER = 'DAX-FSMAP-LAB-RESULT ';
const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Block of the known file (4 KiB blocks) the bad sector goes under. */
const BAD_BLOCK = 5;

/**
 * Runs in the guest: one fsdax namespace per filesystem, mkfs, mount -o dax, a known 1 MiB file, its first extent
 * from the oracle, a bad sector injected BAD_BLOCK blocks into it, then mapDeviceRange and a DAX read there and
 * elsewhere. Prints one MARKER line of JSON.
 */
const GUEST_SCRIPT = String.raw`
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const [dist, addon, base] = process.argv.slice(2);
const sh = (cmd, ...args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
const native = require(addon);
const BAD_BLOCK = ${BAD_BLOCK};
(async () => {
  const { mapDeviceRange } = await import(dist);
  sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
  const out = {};
  for (const [fstype, size] of [['ext4', '256M'], ['xfs', '512M']]) {
    const ns = JSON.parse(sh('ndctl', 'create-namespace', '-m', 'fsdax', '-s', size));
    const dev = '/dev/' + ns.blockdev;
    if (fstype === 'ext4') sh('mkfs.ext4', '-q', '-F', '-b', '4096', dev);
    else sh('mkfs.xfs', '-q', '-f', '-b', 'size=4096', '-m', 'rmapbt=1,reflink=0', dev);
    const mnt = base + '/' + fstype;
    fs.mkdirSync(mnt, { recursive: true });
    sh('mount', '-o', 'dax', dev, mnt);
    fs.mkdirSync(mnt + '/dir');
    const file = mnt + '/dir/known.bin';
    const content = Buffer.alloc(1 << 20);
    for (let off = 0; off < content.length; off += 4096) content.write('block ' + off / 4096 + ' ', off);
    fs.writeFileSync(file, content);
    sh('sync');
    // The oracle: the file's first extent, in bytes on the block device.
    let extent;
    if (fstype === 'ext4') {
      const m = /^\s*0:\s*(\d+)\.\.\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+):/m.exec(sh('filefrag', '-v', file));
      extent = { logical: Number(m[1]) * 4096, physical: Number(m[2]) * 4096, length: Number(m[3]) * 4096 };
    } else {
      const m = /^\s*0: \[(\d+)\.\.(\d+)\]:\s+(\d+)\.\./m.exec(sh('xfs_bmap', '-v', file));
      extent = { logical: Number(m[1]) * 512, physical: Number(m[3]) * 512, length: (Number(m[2]) - Number(m[1]) + 1) * 512 };
    }
    const badByte = extent.physical + BAD_BLOCK * 4096;
    const sector = badByte / 512;
    fs.writeFileSync('/sys/block/' + ns.blockdev + '/badblocks', sector + ' 8\n');
    const badblocks = fs.readFileSync('/sys/block/' + ns.blockdev + '/badblocks', 'utf8');
    const mapped = await mapDeviceRange({ mountpoint: mnt, deviceOffset: sector * 512, length: 8 * 512 });
    const readAt = (offset) => {
      const fd = fs.openSync(file, 'r');
      try { const b = Buffer.alloc(4096); fs.readSync(fd, b, 0, 4096, offset); return 'ok:' + b.toString('latin1', 0, b.indexOf(0)); }
      catch (err) { return err.code; }
      finally { fs.closeSync(fd); }
    };
    out[fstype] = {
      blockdev: ns.blockdev, file, ino: fs.statSync(file).ino, extent, sector, badblocks, mapped,
      statx: await native.statxDax(file),
      readBad: readAt(extent.logical + BAD_BLOCK * 4096),
      readGood: readAt(extent.logical),
      mountinfo: fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mnt),
    };
  }
  console.log(${JSON.stringify(MARKER)} + JSON.stringify(out));
})().catch((err) => { console.error(err); process.exit(1); });
`;

interface FsResult {
  blockdev: string;
  file: string;
  ino: number;
  extent: { logical: number; physical: number; length: number };
  sector: number;
  badblocks: string;
  mapped: { method: string; hits: Record<string, unknown>[]; error?: string };
  statx: { dax: boolean; reported: boolean };
  readBad: string;
  readGood: string;
  mountinfo?: string;
}

const unavailable = labUnavailable({ commands: ['mkfs.xfs', 'xfs_bmap', 'filefrag'], files: [DIST] });

describe.skipIf(unavailable !== undefined)(`mapDeviceRange in the pmem lab${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let result: Record<'ext4' | 'xfs', FsResult>;

  it('runs in the guest', async () => {
    const run = await runInGuest({
      prefix: 'dax-fsmap-lab-',
      files: { 'guest.cjs': GUEST_SCRIPT },
      script: (dir) => `exec node ${join(dir, 'guest.cjs')} ${DIST} ${addonPath()} /mnt/dax-fsmap\n`,
      env: { NDIMM: '1', REGION_MB: '1024', MEM: '2G', LAB_TIMEOUT: '400' },
    });
    expect(run.status, `guest failed:\n${outputTail(run.output)}`).toBe(0);
    result = jsonAfter(run.output, MARKER);
  }, 420_000);

  for (const fstype of ['ext4', 'xfs'] as const) {
    it(`${fstype} mounted with DAX: the injected bad block maps to the known file and offset`, () => {
      const r = result[fstype];
      expect(r.mountinfo).toMatch(/\bdax(=always)?\b/);
      expect(r.statx).toEqual({ dax: true, reported: true });
      expect(r.badblocks).toBe(`${r.sector} 8\n`);
      expect(r.mapped).toEqual({
        // ext4 has no reverse map for data (GETFSMAP says unknown, the FIEMAP walk names the file); xfs rmapbt does
        method: fstype === 'ext4' ? 'fiemap' : 'getfsmap',
        hits: [
          {
            kind: 'file', device_offset: r.sector * 512, length: 4096, inode: r.ino, path: r.file,
            file_offset: r.extent.logical + BAD_BLOCK * 4096, file_size: 1 << 20, unwritten: false,
          },
        ],
      });
    });

    it(`${fstype} mounted with DAX: reading the file at the bad block fails with EIO, elsewhere it works`, () => {
      const r = result[fstype];
      expect(r.readBad).toBe('EIO');
      expect(r.readGood).toBe(`ok:block ${r.extent.logical / 4096} `);
    });
  }
});
