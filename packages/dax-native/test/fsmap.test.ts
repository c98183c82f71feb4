/**
 * mapDeviceRange on real filesystems of this host's kernel: ext4, xfs with and without rmapbt, ext2, each made in
 * an image file and mounted through a loop device. The expected owners come from independent tools that read
 * the filesystem their own way: filefrag (FIEMAP, in fs blocks), xfs_bmap (XFS_IOC_GETBMAPX, in 512-byte
 * units), dumpe2fs and xfs_db (the on-disk metadata).
 *
 * Needs root, losetup, mkfs.ext4/mkfs.ext2/filefrag/dumpe2fs (e2fsprogs) and the built addon; the xfs cases also
 * xfsprogs (scripts/setup.sh --for test installs it). Skipped with the reason otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RangeHit } from '@daxfleet/shared';
import { isAvailable, loadError } from '../src/addon.js';
import { mapDeviceRange, readFiemap, readFsmap, type DeviceRangeFiles } from '../src/index.js';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (loop mounts need it)';
  for (const cmd of ['losetup', 'mount', 'umount', 'mkfs.ext4', 'mkfs.ext2', 'filefrag', 'dumpe2fs']) {
    if (!has(cmd)) return `no ${cmd}`;
  }
  if (!isAvailable()) return loadError()!.message.split('\n')[0];
  return undefined;
}
const skip = unavailable();
const noXfs = skip ?? (['mkfs.xfs', 'xfs_bmap', 'xfs_db'].every(has) ? undefined : 'no xfsprogs');

const sh = (cmd: string, ...args: string[]): string =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** A known content: 1 MiB whose every 4 KiB block starts with its own index. */
function knownContent(bytes: number): Buffer {
  const buf = Buffer.alloc(bytes);
  for (let off = 0; off < bytes; off += 4096) buf.write(`block ${off / 4096} `, off);
  return buf;
}

interface Mounted {
  image: string;
  loop: string;
  dir: string;
}

const work = skip === undefined ? mkdtempSync('/tmp/dax-fsmap-') : '';
const mounts: Mounted[] = [];

/** mkfs on a new image file, attach it to a loop device, mount it; afterAll undoes all of it. */
function makeFs(name: string, sizeMb: number, mkfs: string[], mountOpts: string[] = []): Mounted {
  const image = join(work, `${name}.img`);
  const dir = join(work, name);
  writeFileSync(image, '');
  sh('truncate', '-s', `${sizeMb}M`, image);
  sh(mkfs[0]!, ...mkfs.slice(1), image);
  mkdirSync(dir);
  const loop = sh('losetup', '--find', '--show', image).trim();
  const m = { image, loop, dir };
  mounts.push(m);
  sh('mount', ...mountOpts, loop, dir);
  return m;
}

function writeKnownFile(path: string, bytes = 1 << 20): void {
  writeFileSync(path, knownContent(bytes));
  sh('sync', '-f', path);
}

/** filefrag -v: extents in bytes (its numbers are in fs blocks). */
function filefrag(path: string): { logical: number; physical: number; length: number }[] {
  const out = sh('filefrag', '-v', path);
  const block = Number(/blocks of (\d+) bytes/.exec(out)![1]);
  return [...out.matchAll(/^\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+)\.\.\s*\d+:\s*(\d+):/gm)].map((m) => ({
    logical: Number(m[1]) * block,
    physical: Number(m[2]) * block,
    length: Number(m[3]) * block,
  }));
}

/** xfs_bmap -vp: extents in bytes (its numbers are 512-byte units) and whether each is unwritten (flag 010000). */
function xfsBmap(path: string): { logical: number; physical: number; length: number; unwritten: boolean }[] {
  return [...sh('xfs_bmap', '-vp', path).matchAll(/^\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\d+)\.\.\d+\s+\d+ \(\S+\)\s+\d+\s+(\d+)/gm)].map((m) => ({
    logical: Number(m[1]) * 512,
    length: (Number(m[2]) - Number(m[1]) + 1) * 512,
    physical: Number(m[3]) * 512,
    unwritten: (parseInt(m[4]!, 8) & 0o10000) !== 0,
  }));
}

/** dumpe2fs: block size, the first group's inode table and the last free extent, in bytes. */
function dumpe2fs(loop: string): { inodeTable: [number, number]; lastFree: [number, number] } {
  const out = sh('dumpe2fs', loop);
  const block = Number(/^Block size:\s+(\d+)/m.exec(out)![1]);
  const table = /Inode table at (\d+)-(\d+)/.exec(out)!;
  const free = [...out.matchAll(/^\s+Free blocks: (.+)$/gm)].flatMap((m) => m[1]!.split(', ')).filter((r) => r.trim() !== '');
  const [a, b = a] = free[free.length - 1]!.split('-').map(Number);
  return {
    inodeTable: [Number(table[1]) * block, (Number(table[2]) + 1) * block],
    lastFree: [a! * block, (b! + 1) * block],
  };
}

/** xfs_db: the internal log's first byte and length. */
function xfsLog(loop: string): { start: number; length: number } {
  const db = (...cmds: string[]): string => sh('xfs_db', '-r', ...cmds.flatMap((c) => ['-c', c]), loop);
  const logstart = /logstart = (\d+)/.exec(db('sb 0', 'p logstart'))![1]!;
  const logblocks = Number(/logblocks = (\d+)/.exec(db('sb 0', 'p logblocks'))![1]);
  const blocksize = Number(/blocksize = (\d+)/.exec(db('sb 0', 'p blocksize'))![1]);
  const daddr = Number(/\((\d+)\)/.exec(db(`convert fsb ${logstart} daddr`))![1]);
  return { start: daddr * 512, length: logblocks * blocksize };
}

function fileHits(result: DeviceRangeFiles): RangeHit[] {
  return result.hits.filter((h) => h.kind === 'file');
}

/** The hits cover [start, end) exactly, in order, without gaps (no shared extents here). */
function expectCovers(result: DeviceRangeFiles, start: number, end: number): void {
  let at = start;
  for (const hit of result.hits) {
    expect(hit.device_offset).toBe(at);
    at += hit.length;
  }
  expect(at).toBe(end);
}

/**
 * mapDeviceRange of 4 KiB at each offset in a separate process under uid 65534: root passes every permission
 * check, so only another user sees them. Runs the built package (dist/).
 */
function mapAsNobody(mountpoint: string, offsets: number[]): DeviceRangeFiles[] {
  chmodSync(work, 0o755);
  const index = fileURLToPath(new URL('../dist/index.js', import.meta.url));
  if (!existsSync(index)) throw new Error(`${index} missing: build the package (pnpm --filter @daxfleet/dax-native build)`);
  const script = `import(${JSON.stringify(index)}).then(async (m) => {
    const r = await Promise.all(${JSON.stringify(offsets)}.map((o) => m.mapDeviceRange({ mountpoint: ${JSON.stringify(mountpoint)}, deviceOffset: o, length: 4096 })));
    console.log(JSON.stringify(r));
  }).catch((e) => { console.error(e); process.exit(1); })`;
  const run = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as DeviceRangeFiles[];
}

afterAll(() => {
  for (const m of mounts.reverse()) {
    spawnSync('umount', [m.dir]);
    if (m.loop !== '') spawnSync('losetup', ['-d', m.loop]);
  }
  if (work !== '') rmSync(work, { recursive: true, force: true });
});

describe.skipIf(skip !== undefined)(`mapDeviceRange on ext4 and ext2${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let ext4: Mounted;
  let ext2: Mounted;
  beforeAll(() => {
    ext4 = makeFs('ext4', 64, ['mkfs.ext4', '-q', '-F', '-b', '4096']);
    mkdirSync(join(ext4.dir, 'sub'));
    writeKnownFile(join(ext4.dir, 'sub', 'data.bin'));
    writeKnownFile(join(ext4.dir, 'other.bin'), 64 << 10);
    ext2 = makeFs('ext2', 64, ['mkfs.ext2', '-q', '-F', '-b', '4096']);
    writeKnownFile(join(ext2.dir, 'data.bin'));
  });

  it('names the file and the file offset of a range inside its extent (GETFSMAP says unknown, FIEMAP resolves)', async () => {
    const path = join(ext4.dir, 'sub', 'data.bin');
    const [extent] = filefrag(path);
    const start = extent!.physical + 5 * 4096 + 512;
    const result = await mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: start, length: 1024 });
    expect(result).toEqual({
      method: 'fiemap',
      hits: [
        {
          kind: 'file', device_offset: start, length: 1024, inode: statSync(path).ino, path,
          file_offset: extent!.logical + 5 * 4096 + 512, file_size: 1 << 20, unwritten: false,
        },
      ],
    });
    // The reverse map alone: ext4 has none for file data.
    const fsmap = await readFsmap(ext4.dir, start, start + 1024);
    expect(fsmap.records.map((r) => [r.ownerType, r.ownerCode])).toEqual([[0, 2]]);
  });

  it('splits a range running past the end of a file into the file and what follows', async () => {
    const path = join(ext4.dir, 'other.bin');
    const extents = filefrag(path);
    const last = extents[extents.length - 1]!;
    const start = last.physical + last.length - 4096;
    const result = await mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: start, length: 3 * 4096 });
    expectCovers(result, start, start + 3 * 4096);
    expect(result.hits[0]).toMatchObject({ kind: 'file', path, length: 4096, file_offset: last.logical + last.length - 4096 });
    expect(result.hits.slice(1).some((h) => h.path === path)).toBe(false);
  });

  it('names the inode table and free space as such (dumpe2fs as the oracle)', async () => {
    const { inodeTable, lastFree } = dumpe2fs(ext4.loop);
    const inTable = await mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: inodeTable[0] + 8192, length: 4096 });
    expect(inTable).toEqual({
      method: 'getfsmap',
      hits: [{ kind: 'metadata', device_offset: inodeTable[0] + 8192, length: 4096, metadata: 'inode table/inode chunks' }],
    });
    const free = await mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: lastFree[1] - 8192, length: 8192 });
    expect(free).toEqual({ method: 'getfsmap', hits: [{ kind: 'free', device_offset: lastFree[1] - 8192, length: 8192 }] });
  });

  it('names the superblock and group descriptors at the start of the device', async () => {
    const result = await mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: 0, length: 8192 });
    expect(result.method).toBe('getfsmap');
    expect(result.hits).toEqual([
      { kind: 'metadata', device_offset: 0, length: 4096, metadata: 'superblock/group headers' },
      { kind: 'metadata', device_offset: 4096, length: 4096, metadata: 'group descriptors' },
    ]);
  });

  it('maps ext2 the same with and without GETFSMAP (the pure FIEMAP walk)', async () => {
    const path = join(ext2.dir, 'data.bin');
    const extents = filefrag(path);
    const extent = extents[extents.length - 1]!;
    const start = extent.physical + extent.length - 4096;
    const expected = {
      method: 'fiemap',
      hits: [
        {
          kind: 'file', device_offset: start, length: 4096, inode: statSync(path).ino, path,
          file_offset: extent.logical + extent.length - 4096, file_size: 1 << 20, unwritten: false,
        },
      ],
    };
    expect(await mapDeviceRange({ mountpoint: ext2.dir, deviceOffset: start, length: 4096 })).toEqual(expected);
    expect(await mapDeviceRange({ mountpoint: ext2.dir, deviceOffset: start, length: 4096, getfsmap: false })).toEqual(expected);
  });

  it('FIEMAP of one file agrees with filefrag, and filters by device bytes', async () => {
    const path = join(ext4.dir, 'sub', 'data.bin');
    const all = await readFiemap(path);
    expect(all.extents.map(({ logical, physical, length }) => ({ logical, physical, length }))).toEqual(filefrag(path));
    const first = all.extents[0]!;
    const some = await readFiemap(path, { start: first.physical, end: first.physical + 1 });
    expect(some.extents).toEqual([first]);
    expect(some.scanned).toBe(all.extents.length);
  });

  it('refuses a directory that is not the root of a mount, and bad ranges, saying what to pass', async () => {
    await expect(mapDeviceRange({ mountpoint: join(ext4.dir, 'sub'), deviceOffset: 0, length: 1 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringContaining('is not a mount point'),
    });
    await expect(mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: -1, length: 1 })).rejects.toMatchObject({
      message: expect.stringContaining('deviceOffset must be a non-negative integer'),
    });
    await expect(mapDeviceRange({ mountpoint: ext4.dir, deviceOffset: 0, length: 0 })).rejects.toMatchObject({
      message: expect.stringContaining('length must be a positive integer'),
    });
    await expect(mapDeviceRange({ mountpoint: join(work, 'missing'), deviceOffset: 0, length: 1 })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('as an unprivileged user: an unreadable directory is noted and its files left unknown, the rest still mapped', () => {
    const locked = join(ext4.dir, 'locked');
    mkdirSync(locked);
    writeKnownFile(join(locked, 'hidden.bin'), 8192);
    chmodSync(locked, 0o700);
    const path = join(ext4.dir, 'sub', 'data.bin');
    const [extent] = filefrag(path);
    const hidden = filefrag(join(locked, 'hidden.bin'))[0]!;
    const [visible, unreadable] = mapAsNobody(ext4.dir, [extent!.physical, hidden.physical]);
    // ext4 answers GETFSMAP without CAP_SYS_ADMIN (its owners are never inodes)
    expect(visible!.error ?? '').not.toMatch(/GETFSMAP/);
    expect(fileHits(visible!)).toMatchObject([{ path, file_offset: 0, length: 4096 }]);
    expect(unreadable!.hits).toEqual([{ kind: 'unknown', device_offset: hidden.physical, length: 4096 }]);
    expect(unreadable!.error).toContain(`EACCES: permission denied, opendir '${locked}'`);
  });
});

describe.skipIf(noXfs !== undefined)(`mapDeviceRange on xfs${noXfs ? ` (skipped: ${noXfs})` : ''}`, () => {
  let rmap: Mounted;
  let plain: Mounted;
  beforeAll(() => {
    rmap = makeFs('xfs-rmap', 320, ['mkfs.xfs', '-q', '-f', '-m', 'rmapbt=1,reflink=0']);
    writeKnownFile(join(rmap.dir, 'data.bin'));
    sh('xfs_io', '-f', '-c', 'falloc 0 1m', join(rmap.dir, 'prealloc.bin'));
    plain = makeFs('xfs-plain', 320, ['mkfs.xfs', '-q', '-f', '-m', 'rmapbt=0,reflink=0']);
    writeKnownFile(join(plain.dir, 'data.bin'));
  });

  it('with rmapbt the reverse map names the inode and file offset (xfs_bmap as the oracle)', async () => {
    const path = join(rmap.dir, 'data.bin');
    const [extent] = xfsBmap(path);
    const start = extent!.physical + 3 * 4096;
    const result = await mapDeviceRange({ mountpoint: rmap.dir, deviceOffset: start, length: 8192 });
    expect(result).toEqual({
      method: 'getfsmap',
      hits: [
        {
          kind: 'file', device_offset: start, length: 8192, inode: statSync(path).ino, path,
          file_offset: extent!.logical + 3 * 4096, file_size: 1 << 20, unwritten: false,
        },
      ],
    });
  });

  it('marks preallocated (unwritten) space as such', async () => {
    const path = join(rmap.dir, 'prealloc.bin');
    const [extent] = xfsBmap(path);
    expect(extent!.unwritten).toBe(true);
    const result = await mapDeviceRange({ mountpoint: rmap.dir, deviceOffset: extent!.physical, length: 4096 });
    expect(result.hits).toEqual([
      { kind: 'file', device_offset: extent!.physical, length: 4096, inode: statSync(path).ino, path, file_offset: 0, file_size: 1 << 20, unwritten: true },
    ]);
  });

  it('names the log, the superblock and AG headers (xfs_db as the oracle)', async () => {
    const log = xfsLog(rmap.loop);
    const inLog = await mapDeviceRange({ mountpoint: rmap.dir, deviceOffset: log.start + 4096, length: 4096 });
    expect(inLog).toEqual({ method: 'getfsmap', hits: [{ kind: 'metadata', device_offset: log.start + 4096, length: 4096, metadata: 'journal/log' }] });
    const head = await mapDeviceRange({ mountpoint: rmap.dir, deviceOffset: 0, length: 512 });
    expect(head.hits).toEqual([{ kind: 'metadata', device_offset: 0, length: 512, metadata: 'superblock/group headers' }]);
  });

  it('names free space at the end of the device', async () => {
    const size = statSync(rmap.image).size;
    const result = await mapDeviceRange({ mountpoint: rmap.dir, deviceOffset: size - 8192, length: 8192 });
    expect(result).toEqual({ method: 'getfsmap', hits: [{ kind: 'free', device_offset: size - 8192, length: 8192 }] });
  });

  it('as an unprivileged user: GETFSMAP names no inodes (xfs reads the rmapbt only for CAP_SYS_ADMIN), the FIEMAP walk does', () => {
    const path = join(rmap.dir, 'data.bin');
    const [extent] = xfsBmap(path);
    const [result] = mapAsNobody(rmap.dir, [extent!.physical]);
    expect(result!.method).toBe('fiemap');
    expect(result!.hits).toEqual([
      { kind: 'file', device_offset: extent!.physical, length: 4096, inode: statSync(path).ino, path, file_offset: 0, file_size: 1 << 20, unwritten: false },
    ]);
  });

  it('without rmapbt the owner is unknown to GETFSMAP and the FIEMAP walk names the file', async () => {
    const path = join(plain.dir, 'data.bin');
    const [extent] = xfsBmap(path);
    const start = extent!.physical + 4096;
    const fsmap = await readFsmap(plain.dir, start, start + 4096);
    expect(fsmap.records.every((r) => r.inode === undefined)).toBe(true);
    const result = await mapDeviceRange({ mountpoint: plain.dir, deviceOffset: start, length: 4096 });
    expect(result).toEqual({
      method: 'fiemap',
      hits: [
        { kind: 'file', device_offset: start, length: 4096, inode: statSync(path).ino, path, file_offset: extent!.logical + 4096, file_size: 1 << 20, unwritten: false },
      ],
    });
  });
});

describe.skipIf(skip !== undefined)(`mapDeviceRange where neither ioctl works${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('tmpfs: no GETFSMAP, FIEMAP unsupported: all unknown, and says why', async () => {
    const dir = join(work, 'tmpfs');
    mkdirSync(dir);
    mounts.push({ image: '', loop: '', dir });
    sh('mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir);
    writeFileSync(join(dir, 'f'), 'x');
    const result = await mapDeviceRange({ mountpoint: dir, deviceOffset: 0, length: 4096 });
    expect(result.method).toBe('fiemap');
    expect(result.hits).toEqual([{ kind: 'unknown', device_offset: 0, length: 4096 }]);
    expect(result.error).toMatch(/ENOTSUP: operation not supported on socket, ioctl '.*\/f' \(FS_IOC_FIEMAP\)/);
  });
});
