/**
 * The recovery calls on this host's kernel, on nothing but temporary files and loop devices over temporary
 * images: punchHole on ext4 (/var/tmp), tmpfs (/dev/shm) and a loop-mounted ext2 (no punch: EOPNOTSUPP);
 * writeZeros and deviceInUse on loop devices, mounted and not; clearErrorsOnBus's unknown-bus path (this host
 * has no NVDIMM bus, so every name is unknown). What only a pmem device shows (a write failing EIO on a bad
 * sector, the platform clearing poison) is in recover.lab.test.ts and recover.nfit.test.ts.
 *
 * The loop cases need root, losetup, mkfs.ext2/mkfs.ext4; they are skipped with the reason otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAvailable, loadError } from '../src/addon.js';
import { clearErrorsOnBus, deviceInUse, punchHole, writeZeros } from '../src/index.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const sh = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const noAddon = isAvailable() ? undefined : loadError()!.message.split('\n')[0];
function noLoop(): string | undefined {
  if (noAddon !== undefined) return noAddon;
  if (process.getuid?.() !== 0) return 'not root (loop devices need it)';
  for (const cmd of ['losetup', 'mount', 'umount', 'mkfs.ext4', 'mkfs.ext2']) if (!has(cmd)) return `no ${cmd}`;
  return undefined;
}
const skipLoop = noLoop();

const MiB = 1 << 20;
/** Every byte non-zero, and different per 512-byte sector, so a zeroed or misplaced sector shows. */
function pattern(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) buf[i] = 1 + (((i >> 9) * 7 + (i & 0xff)) % 255);
  return buf;
}
const isZero = (buf: Buffer): boolean => buf.every((b) => b === 0);

const work = mkdtempSync('/var/tmp/dax-recover-');
const loops: string[] = [];
const mountpoints: string[] = [];

afterAll(() => {
  for (const dir of mountpoints.reverse()) spawnSync('umount', [dir]);
  for (const loop of loops) spawnSync('losetup', ['-d', loop]);
  rmSync(work, { recursive: true, force: true });
});

/** A new loop device over an image file holding `content`. */
function loopOver(name: string, content: Buffer): { image: string; loop: string } {
  const image = join(work, `${name}.img`);
  writeFileSync(image, content);
  const loop = sh('losetup', '--find', '--show', image).trim();
  loops.push(loop);
  return { image, loop };
}

/** mkfs on a new image, a loop device over it, mounted on a new directory. */
function mountedFs(name: string, mkfs: string, sizeMb: number): { loop: string; dir: string } {
  const image = join(work, `${name}.img`);
  writeFileSync(image, '');
  sh('truncate', '-s', `${sizeMb}M`, image);
  sh(mkfs, '-q', '-F', image);
  const loop = sh('losetup', '--find', '--show', image).trim();
  loops.push(loop);
  const dir = join(work, name);
  mkdirSync(dir);
  sh('mount', loop, dir);
  mountpoints.push(dir);
  return { loop, dir };
}

async function rejection(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(noAddon !== undefined)(`punchHole${noAddon ? ` (skipped: ${noAddon})` : ''}`, () => {
  for (const [fs, dir] of [['ext4', work], ['tmpfs', '/dev/shm']] as const) {
    it(`on ${fs}: the range reads as zeros, the size stays, the blocks are freed, the rest is untouched`, async () => {
      if (!existsSync(dir)) return;
      const path = join(mkdtempSync(join(dir, 'dax-punch-')), 'data');
      const content = pattern(2 * MiB);
      writeFileSync(path, content);
      sh('sync', path);
      const before = statSync(path);

      await punchHole(path, 256 * 1024, 512 * 1024);

      const after = statSync(path);
      const read = readFileSync(path);
      expect(after.size).toBe(before.size);
      expect(before.blocks - after.blocks).toBe((512 * 1024) / 512);
      expect(isZero(read.subarray(256 * 1024, 768 * 1024))).toBe(true);
      expect(read.subarray(0, 256 * 1024).equals(content.subarray(0, 256 * 1024))).toBe(true);
      expect(read.subarray(768 * 1024).equals(content.subarray(768 * 1024))).toBe(true);
      rmSync(join(path, '..'), { recursive: true });
    });
  }

  it('zeroes partial blocks at the edges and frees only the whole blocks inside', async () => {
    const path = join(work, 'partial');
    const content = pattern(64 * 1024);
    writeFileSync(path, content);
    sh('sync', path);
    const before = statSync(path);
    // bytes 1000..13288: ext4's 4 KiB blocks 1 and 2 are freed, the rest of the range is written as zeros
    await punchHole(path, 1000, 12288);
    const read = readFileSync(path);
    expect(isZero(read.subarray(1000, 13288))).toBe(true);
    expect(read[999]).toBe(content[999]);
    expect(read[13288]).toBe(content[13288]);
    expect(before.blocks - statSync(path).blocks).toBe(2 * 8);
  });

  it('a range past the end of the file changes nothing and keeps the size', async () => {
    const path = join(work, 'short');
    const content = pattern(8192);
    writeFileSync(path, content);
    await punchHole(path, 8192, 4096);
    expect(readFileSync(path).equals(content)).toBe(true);
  });

  it('refuses a directory, a device and a missing path with the fs error shape, before writing anything', async () => {
    expect(await rejection(punchHole(work, 0, 4096))).toMatchObject({
      code: 'EINVAL', errno: -22, syscall: 'fallocate', path: work, detail: 'not a regular file: it is a directory',
    });
    expect(await rejection(punchHole('/dev/null', 0, 4096))).toMatchObject({
      code: 'EINVAL', syscall: 'fallocate', detail: 'not a regular file: it is a character device',
    });
    const missing = join(work, 'missing');
    expect(await rejection(punchHole(missing, 0, 4096))).toMatchObject({ code: 'ENOENT', syscall: 'lstat', path: missing });
    expect(existsSync(missing)).toBe(false); // no O_CREAT
  });

  it('refuses a symbolic link, even to a regular file, and leaves the target whole', async () => {
    const target = join(work, 'link-target');
    const link = join(work, 'link');
    const content = pattern(16 * 1024);
    writeFileSync(target, content);
    rmSync(link, { force: true });
    symlinkSync(target, link);
    expect(await rejection(punchHole(link, 0, 8192))).toMatchObject({
      code: 'EINVAL', syscall: 'fallocate', path: link, detail: 'not a regular file: it is a symbolic link',
    });
    expect(readFileSync(target).equals(content)).toBe(true);
  });

  it('with opts.ino punches only the file it names: the same inode is punched, a replaced one rejects ESTALE untouched', async () => {
    const path = join(work, 'by-inode');
    const content = pattern(64 * 1024);
    writeFileSync(path, content);
    sh('sync', path);
    const planned = statSync(path, { bigint: true }).ino;

    await punchHole(path, 8192, 8192, { ino: planned });
    expect(isZero(readFileSync(path).subarray(8192, 16384))).toBe(true);

    // the path replaced by another file (a restore, a rename over it): a new inode at the same name
    const replacement = join(work, 'by-inode.new');
    writeFileSync(replacement, content);
    renameSync(replacement, path);
    const found = statSync(path, { bigint: true }).ino;
    expect(found).not.toBe(planned);
    expect(await rejection(punchHole(path, 0, 8192, { ino: planned }))).toMatchObject({
      code: 'ESTALE', errno: -116, syscall: 'fstat', path, detail: `inode changed: expected ${planned}, found ${found}`,
      message: `ESTALE: stale file handle, fstat '${path}' (inode changed: expected ${planned}, found ${found})`,
    });
    expect(readFileSync(path).equals(content)).toBe(true);
    // a number works as well as a bigint
    await punchHole(path, 0, 4096, { ino: Number(found) });
    expect(isZero(readFileSync(path).subarray(0, 4096))).toBe(true);
    for (const ino of [-1, 1.5, 1n << 64n]) {
      expect(await rejection(punchHole(path, 0, 4096, { ino })), String(ino)).toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    }
  });

  it('checks its arguments before any system call (ERR_OUT_OF_RANGE, ERR_INVALID_ARG_TYPE)', async () => {
    const path = join(work, 'args');
    writeFileSync(path, pattern(4096));
    for (const [offset, length] of [[-1, 512], [0, 0], [0, -512], [0.5, 512], [0, Number.NaN], [Number.MAX_SAFE_INTEGER, 2]]) {
      expect(await rejection(punchHole(path, offset!, length!)), `${offset}, ${length}`).toMatchObject({
        name: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      });
    }
    expect(await rejection(punchHole('', 0, 512))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    expect(await rejection(punchHole('a\0b', 0, 512))).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    expect(readFileSync(path).equals(pattern(4096))).toBe(true);
  });

  it('a filesystem without fallocate rejects EOPNOTSUPP and the file is not written (procfs: /proc/self/comm)', async () => {
    const comm = readFileSync('/proc/self/comm', 'utf8');
    expect(await rejection(punchHole('/proc/self/comm', 0, 4096))).toMatchObject({
      code: 'EOPNOTSUPP', errno: -95, syscall: 'fallocate', path: '/proc/self/comm', detail: 'FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE',
      message: "EOPNOTSUPP: operation not supported, fallocate '/proc/self/comm' (FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE)",
    });
    expect(readFileSync('/proc/self/comm', 'utf8')).toBe(comm);
  });

  it.skipIf(skipLoop !== undefined)(`ext2: punches when the ext4 driver serves it (Debian's kernels), EOPNOTSUPP with ext2's own driver${skipLoop ? ` (skipped: ${skipLoop})` : ''}`, async () => {
    const { loop, dir } = mountedFs('ext2', 'mkfs.ext2', 16);
    const path = join(dir, 'file');
    const content = pattern(64 * 1024);
    writeFileSync(path, content);
    sh('sync', path);
    // the ext4 driver lists each filesystem it mounts under /sys/fs/ext4/<device>; ext2's own driver has no such directory
    const servedByExt4 = existsSync(`/sys/fs/ext4/${loop.replace('/dev/', '')}`);
    if (servedByExt4) {
      await punchHole(path, 8192, 8192);
      const read = readFileSync(path);
      expect(isZero(read.subarray(8192, 16384))).toBe(true);
      expect(read.subarray(16384).equals(content.subarray(16384))).toBe(true);
    } else {
      expect(await rejection(punchHole(path, 0, 4096))).toMatchObject({ code: 'EOPNOTSUPP', syscall: 'fallocate', path });
      expect(readFileSync(path).equals(content)).toBe(true);
    }
  });
});

describe.skipIf(skipLoop !== undefined)(`writeZeros and deviceInUse on loop devices${skipLoop ? ` (skipped: ${skipLoop})` : ''}`, () => {
  it('writes zeros over exactly the range, across 1 MiB chunks, and reports every byte written', async () => {
    const content = pattern(8 * MiB);
    const { image, loop } = loopOver('zeros', content);
    const offset = MiB + 512;
    const length = 3 * MiB - 1024;

    const result = await writeZeros(loop, offset, length);

    expect(result).toEqual({ written: length, failed: [], sectorSize: 512 });
    const after = readFileSync(image);
    expect(isZero(after.subarray(offset, offset + length))).toBe(true);
    expect(after.subarray(0, offset).equals(content.subarray(0, offset))).toBe(true);
    expect(after.subarray(offset + length).equals(content.subarray(offset + length))).toBe(true);
  });

  it('a single sector at the very end of the device', async () => {
    const content = pattern(MiB);
    const { image, loop } = loopOver('last-sector', content);
    expect(await writeZeros(loop, MiB - 512, 512)).toEqual({ written: 512, failed: [], sectorSize: 512 });
    const after = readFileSync(image);
    expect(isZero(after.subarray(MiB - 512))).toBe(true);
    expect(after.subarray(0, MiB - 512).equals(content.subarray(0, MiB - 512))).toBe(true);
  });

  it('refuses misaligned arguments before opening the device', async () => {
    const content = pattern(MiB);
    const { image, loop } = loopOver('misaligned', content);
    for (const [offset, length] of [[100, 512], [0, 1000], [512, 0], [-512, 512], [0, 1.5]]) {
      expect(await rejection(writeZeros(loop, offset!, length!)), `${offset}, ${length}`).toMatchObject({
        name: 'RangeError', code: 'ERR_OUT_OF_RANGE',
      });
    }
    expect(readFileSync(image).equals(content)).toBe(true);
  });

  it('refuses a range past the end of the device (EINVAL, nothing written)', async () => {
    const content = pattern(MiB);
    const { image, loop } = loopOver('past-end', content);
    expect(await rejection(writeZeros(loop, MiB - 512, 1024))).toMatchObject({
      code: 'EINVAL', syscall: 'pwrite', path: loop, detail: `bytes ${MiB - 512}-${MiB + 512} lie beyond the device's ${MiB} bytes`,
    });
    expect(readFileSync(image).equals(content)).toBe(true);
  });

  it('refuses what is not a block device', async () => {
    const file = join(work, 'plain');
    writeFileSync(file, pattern(4096));
    expect(await rejection(writeZeros(file, 0, 512))).toMatchObject({
      code: 'EINVAL', syscall: 'open', detail: 'not a block device: it is a regular file',
    });
    expect(readFileSync(file).equals(pattern(4096))).toBe(true);
    expect(await rejection(writeZeros('/dev/null', 0, 512))).toMatchObject({ code: 'EINVAL', detail: 'not a block device: it is a character device' });
    expect(await rejection(writeZeros(join(work, 'nope'), 0, 512))).toMatchObject({ code: 'ENOENT', syscall: 'stat' });
  });

  it('a mounted device: deviceInUse true and writeZeros EBUSY (the filesystem is never written under); unmounted: false', async () => {
    const { loop, dir } = mountedFs('mounted', 'mkfs.ext4', 16);

    expect(await deviceInUse(loop)).toBe(true);
    expect(await rejection(writeZeros(loop, 0, 4096))).toMatchObject({ code: 'EBUSY', errno: -16, syscall: 'open', path: loop });

    sh('umount', dir);
    mountpoints.splice(mountpoints.indexOf(dir), 1);
    expect(await deviceInUse(loop)).toBe(false);
  });

  it('deviceInUse: a device no one holds is free; a character device, a file or a missing path reject', async () => {
    const { loop } = loopOver('free', pattern(MiB));
    expect(await deviceInUse(loop)).toBe(false);
    expect(await rejection(deviceInUse('/dev/null'))).toMatchObject({
      code: 'EINVAL', syscall: 'open', path: '/dev/null', detail: expect.stringContaining('character device'),
    });
    expect(await rejection(deviceInUse(join(work, 'free.img')))).toMatchObject({
      code: 'EINVAL', detail: 'not a block device: it is a regular file',
    });
    expect(await rejection(deviceInUse(join(work, 'nope')))).toMatchObject({ code: 'ENOENT', syscall: 'stat' });
  });
});

describe.skipIf(noAddon !== undefined)(`clearErrorsOnBus without that bus${noAddon ? ` (skipped: ${noAddon})` : ''}`, () => {
  it('an unknown bus rejects ENODEV, naming the buses there are', async () => {
    const present = existsSync('/sys/bus/nd/devices')
      ? sh('ls', '/sys/bus/nd/devices').split('\n').filter((d) => /^ndbus\d+$/.test(d))
      : [];
    const err = await rejection(clearErrorsOnBus({ bus: 'ndbus4242', address: 0x1_0000_0000n, length: 512 }));
    expect(err).toMatchObject({ code: 'ENODEV', errno: -19, path: 'ndbus4242' });
    expect(err.detail).toBe(present.length === 0 ? 'this host has no NVDIMM bus' : `no such bus; buses: ${present.sort().join(', ')}`);
  });

  it('checks its arguments first', async () => {
    for (const opts of [
      { bus: 'ndbus0', address: -1, length: 512 },
      { bus: 'ndbus0', address: 1.5, length: 512 },
      { bus: 'ndbus0', address: 1n << 64n, length: 512 },
      { bus: 'ndbus0', address: 0n, length: 0 },
      { bus: 'ndbus0', address: (1n << 64n) - 512n, length: 1024 },
    ]) {
      expect(await rejection(clearErrorsOnBus(opts)), JSON.stringify(opts, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toMatchObject({
        code: 'ERR_OUT_OF_RANGE',
      });
    }
    expect(await rejection(clearErrorsOnBus({ bus: '', address: 0, length: 512 }))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    const notBoolean = { bus: 'ndbus0', address: 0, length: 512, exact: 'yes' } as unknown as Parameters<typeof clearErrorsOnBus>[0];
    expect(await rejection(clearErrorsOnBus(notBoolean))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('exact: an unknown bus still rejects ENODEV (the bus is looked up before any widening question)', async () => {
    const err = await rejection(clearErrorsOnBus({ bus: 'ndbus4242', address: 0x1_0000_0100n, length: 512, exact: true }));
    expect(err).toMatchObject({ code: 'ENODEV', errno: -19, path: 'ndbus4242' });
  });
});
