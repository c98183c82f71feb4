/**
 * The recovery planner's file actions (punch-hole, truncate, delete-restore) against real filesystems: ext4 and
 * ext2 images made with mkfs, loop-mounted on this machine, with a known file whose blocks filefrag names
 * (e2fsprogs: independent of the code under test). The planner gets an inventory whose fsdax namespace has the
 * loop device as its block device and a bad range the test places on the file's blocks (the only made-up part);
 * everything else is real: mountinfo, stat, the filesystem's map of the range (mapDeviceRange), statfs, and
 * child processes that hold the file open or mapped. Needs root (mount) and the native addon.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAvailable, loadError } from '@daxfleet/dax-native';
import type { Inventory, RecoveryRequest } from '@daxfleet/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileRangesOf, planRecovery } from '../src/agent/recovery/plan.js';
import { checkOf, FILE_SIZE, fileBlocksOf, holdMapped, holdOpen, loopHost, loopInventory, makeLoopFs, stop, type LoopFs, validPlan } from './recovery-fixtures.js';
import { tempDir } from './helpers.js';

const root = process.getuid?.() === 0;
let ext4: LoopFs | undefined;
let ext2: LoopFs | undefined;
let skipReason: string | undefined;
const outside = tempDir('daxfleet-recovery-backup-');

beforeAll(() => {
  if (!root) { skipReason = 'needs root to mount a loop device'; return; }
  if (!isAvailable()) { skipReason = `the native addon is not loaded: ${loadError()?.message}`; return; }
  const four = makeLoopFs('ext4');
  if (typeof four === 'string') { skipReason = four; return; }
  ext4 = four;
  const two = makeLoopFs('ext2');
  if (typeof two === 'string') { skipReason = two; return; }
  ext2 = two;
});

afterAll(() => {
  ext4?.remove();
  ext2?.remove();
  outside.remove();
});

const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
});

/** The planner on `fs` with a bad range of `length` sectors at device `sector`. */
function planOn(fs: LoopFs, sector: number, length: number, request: Omit<RecoveryRequest, 'range'>, inventory?: () => Inventory) {
  const host = loopHost(inventory ?? (() => loopInventory(fs.blockdev, sector, length)));
  return planRecovery(host, { ...request, range: { region: 'region0', region_offset: sector, length } } as RecoveryRequest);
}

/** device sector of byte `offset` of the known file (4 KiB blocks, 8 sectors each) */
function sectorOf(fs: LoopFs, offset: number): number {
  return fs.fileBlocks[Math.floor(offset / 4096)]! * 8 + Math.floor((offset % 4096) / 512);
}

describe('punch-hole', () => {
  it.skipIf(!root)('over the file\'s second block: that block\'s bytes, zeros afterwards, executable', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const fs = ext4;
    const sector = sectorOf(fs, 4096);
    const plan = validPlan(await planOn(fs, sector, 8, { action: 'punch-hole', path: fs.file }));
    expect(plan.executable).toBe(true);
    expect(plan.checks.map((c) => [c.id, c.ok])).toEqual([
      ['range-still-bad', true], ['namespace-mode', true], ['file-on-namespace', true], ['file-regular', true],
      ['mounted-rw', true], ['fs-supports-punch', true], ['file-covers-range', true], ['not-open', true],
    ]);
    expect(plan.target).toEqual({
      namespace: 'namespace0.0', mode: 'fsdax', blockdev: fs.blockdev, sector, sectors: 8,
      spa: `0x${(0x100000000 + sector * 512).toString(16)}`,
      mountpoint: fs.mountpoint, fstype: 'ext4', path: fs.file, inode: statSync(fs.file).ino, file_size: FILE_SIZE,
      file_ranges: [{ offset: 4096, length: 4096 }],
    });
    expect(plan.data_loss).toEqual([{
      kind: 'file-bytes', path: fs.file, inode: statSync(fs.file).ino, offset: 4096, length: 4096,
      detail: `bytes 4096–8191 of ${fs.file} read as zeros afterwards (whole 4096-byte filesystem blocks)`,
    }]);
    expect(plan.steps.map((s) => s.op)).toEqual(['punch-hole', 'fsync', 'reread-badblocks', 'remap-range', 'read-file']);
    expect(plan.steps[0]!.description).toContain(`FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) on ${fs.file} over bytes 4096+4096`);
    expect(plan.steps[0]!.description).toContain('whole 4096-byte filesystem blocks');
    expect(plan.steps[3]!.description).toContain(`mapDeviceRange(${fs.mountpoint}, ${fs.blockdev} bytes ${sector * 512}+4096)`);
  });

  it.skipIf(!root)('one sector in the middle of a block: the whole 4 KiB filesystem block that holds it is punched', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const plan = validPlan(await planOn(ext4, sectorOf(ext4, 3 * 4096 + 1536), 1, { action: 'punch-hole', path: ext4.file }));
    // the check names the bad sector; the punch (and so the loss) is the block, so the filesystem frees it
    expect(checkOf(plan, 'file-covers-range').detail).toContain(`bytes ${3 * 4096 + 1536}–${3 * 4096 + 2047} of ${ext4.file}`);
    expect(plan.target.file_ranges).toEqual([{ offset: 3 * 4096, length: 4096 }]);
    expect(plan.data_loss).toEqual([expect.objectContaining({ offset: 3 * 4096, length: 4096 })]);
    expect(plan.data_loss[0]?.detail).toContain(`bytes ${3 * 4096}–${4 * 4096 - 1} of`);
  });

  it.skipIf(!root)('a range over the file\'s last block, past its end: the whole last block is punched, the loss stops at the size', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const small = path.join(ext4.mountpoint, 'data', 'small.bin');
    writeFileSync(small, Buffer.alloc(5000, 7));
    execFileSync('sync');
    try {
      const blocks = /^\s*0:\s+0\.\.\s*1:\s+(\d+)\.\./m.exec(execFileSync('filefrag', ['-v', '-b4096', small], { encoding: 'utf8' }));
      expect(blocks, 'small.bin in one extent of two blocks').not.toBeNull();
      const plan = validPlan(await planOn(ext4, (Number(blocks![1]) + 1) * 8, 8, { action: 'punch-hole', path: small }));
      // ending the punch at the size (5000) would leave the last block partly covered: zeroed in place, not freed
      expect(plan.target.file_ranges).toEqual([{ offset: 4096, length: 4096 }]);
      expect(plan.data_loss).toEqual([expect.objectContaining({ offset: 4096, length: 5000 - 4096 })]);
      expect(plan.executable).toBe(true);
    } finally {
      rmSync(small);
    }
  });

  it.skipIf(!root)('ext2 punches only when the ext4 driver mounted it (/sys/fs/ext4/<dev>); else refused: truncate or delete-restore instead', async (ctx) => {
    if (!ext2) return ctx.skip(skipReason);
    const plan = validPlan(await planOn(ext2, sectorOf(ext2, 8192), 8, { action: 'punch-hole', path: ext2.file }));
    expect(plan.target).toMatchObject({ fstype: 'ext2', file_ranges: [{ offset: 8192, length: 4096 }] });
    // the oracle: the ext4 driver registers every filesystem it mounts (ext2 included) under /sys/fs/ext4
    const byExt4 = existsSync(`/sys/fs/ext4/${ext2.blockdev}`);
    expect(checkOf(plan, 'fs-supports-punch').ok).toBe(byExt4);
    if (byExt4) {
      expect(checkOf(plan, 'fs-supports-punch').detail).toContain('through the ext4 driver that mounted it');
      expect(plan.executable).toBe(true);
    } else {
      expect(plan.refusal).toContain('ext2 cannot punch holes');
      expect(plan.refusal).toContain('use truncate, or delete-restore');
    }
    // truncate works there
    const truncate = validPlan(await planOn(ext2, sectorOf(ext2, 8192), 8, { action: 'truncate', path: ext2.file }));
    expect(truncate.executable).toBe(true);
  });

  it.skipIf(!root)('refused for a file the range does not hit (a free block), naming what is there', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const plan = validPlan(await planOn(ext4, ext4.freeBlock * 8, 8, { action: 'punch-hole', path: ext4.file }));
    expect(checkOf(plan, 'file-covers-range').ok).toBe(false);
    expect(plan.refusal).toContain('does not hit');
    expect(plan.refusal).toContain('free space');
    expect(plan.steps).toEqual([]);
    expect(plan.data_loss).toEqual([]);
  });

  it.skipIf(!root)('refused for a file on another filesystem, and for a path that does not exist', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const elsewhere = path.join(outside.dir, 'elsewhere.bin');
    writeFileSync(elsewhere, 'x');
    const other = validPlan(await planOn(ext4, sectorOf(ext4, 0), 8, { action: 'punch-hole', path: elsewhere }));
    expect(checkOf(other, 'file-on-namespace').ok).toBe(false);
    expect(other.refusal).toContain(`not on /dev/${ext4.blockdev}`);
    const missing = validPlan(await planOn(ext4, sectorOf(ext4, 0), 8, { action: 'punch-hole', path: path.join(ext4.mountpoint, 'nope') }));
    expect(missing.refusal).toContain('ENOENT');
    expect(missing.steps).toEqual([]);
  });
});

describe('not-open', () => {
  it.skipIf(!root)('names the processes that have the file open or mapped; the digest does not change', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const sector = sectorOf(ext4, 4096);
    const quiet = validPlan(await planOn(ext4, sector, 8, { action: 'punch-hole', path: ext4.file }));
    expect(checkOf(quiet, 'not-open').ok).toBe(true);

    const holder = await holdOpen(ext4.file);
    children.push(holder);
    const mapper = await holdMapped(ext4.file);
    children.push(mapper);
    const busy = validPlan(await planOn(ext4, sector, 8, { action: 'punch-hole', path: ext4.file }));
    expect(busy.executable).toBe(false);
    const detail = checkOf(busy, 'not-open').detail;
    expect(detail).toContain(`pid ${holder.pid} (sleep, open fd)`);
    expect(detail).toMatch(new RegExp(`pid ${mapper.pid} \\(python3[^,]*, mapped\\)`));
    expect(detail).not.toContain(`pid ${process.pid} `);
    expect(busy.refusal).toContain('stop them');
    expect(busy.digest, 'who has the file open decides when, not what').toBe(quiet.digest);

    await stop(holder);
    await stop(mapper);
    const after = validPlan(await planOn(ext4, sector, 8, { action: 'punch-hole', path: ext4.file }));
    expect(after.executable).toBe(true);
  });
});

describe('preallocated space past the end of a file', () => {
  it.skipIf(!root)('nothing to punch and nothing truncate can cut off: both refused, saying why', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const file = path.join(ext4.mountpoint, 'data', 'prealloc.bin');
    writeFileSync(file, Buffer.alloc(8192, 9));
    // two blocks preallocated past the end (FALLOC_FL_KEEP_SIZE): unwritten extents beyond EOF
    execFileSync('fallocate', ['-n', '-o', '8192', '-l', '8192', file]);
    execFileSync('sync');
    try {
      const blocks = fileBlocksOf(file);
      expect(blocks.length, 'filefrag lists the preallocated blocks').toBe(4);
      const sector = blocks[2]! * 8;
      const punch = validPlan(await planOn(ext4, sector, 8, { action: 'punch-hole', path: file }));
      expect(checkOf(punch, 'file-covers-range').ok).toBe(false);
      expect(punch.refusal).toContain('only in preallocated (unwritten) extents or past its end');
      const truncate = validPlan(await planOn(ext4, sector, 8, { action: 'truncate', path: file }));
      expect(checkOf(truncate, 'size-valid').ok).toBe(false);
      expect(truncate.refusal).toContain('only past its end');
      expect(truncate.refusal).toContain('use delete-restore');
    } finally {
      rmSync(file);
    }
  });
});

describe('truncate', () => {
  it.skipIf(!root)('defaults to the start of the 4 KiB block holding the first bad byte (a cut inside it would zero the bad sectors in place); the rest is the data loss', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    // one bad sector at file offset 9728 (block 2, sector 3) and the next one
    const plan = validPlan(await planOn(ext4, sectorOf(ext4, 9728), 2, { action: 'truncate', path: ext4.file }));
    expect(plan.executable).toBe(true);
    expect(plan.target.new_size).toBe(8192);
    expect(checkOf(plan, 'size-valid').detail).toContain('rounded down to the 4096-byte filesystem block');
    expect(plan.data_loss).toEqual([{
      kind: 'file-bytes', path: ext4.file, inode: statSync(ext4.file).ino, offset: 8192, length: FILE_SIZE - 8192,
      detail: `bytes 8192–${FILE_SIZE - 1} of ${ext4.file} are cut off (the file ends at 8192 afterwards)`,
    }]);
    expect(plan.steps.map((s) => s.op)).toEqual(['truncate', 'fsync', 'reread-badblocks', 'remap-range', 'read-file']);
    expect(plan.steps[0]!.description).toBe(`truncate(${ext4.file}, 8192): the blocks past byte 8192 are freed`);
  });

  it.skipIf(!root)('a given size: smaller is fine; one that keeps bad bytes or is not below the size is refused', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const sector = sectorOf(ext4, 9728);
    const zero = validPlan(await planOn(ext4, sector, 1, { action: 'truncate', path: ext4.file, size: 0 }));
    expect(zero.executable).toBe(true);
    expect(zero.target.new_size).toBe(0);
    const keeps = validPlan(await planOn(ext4, sector, 1, { action: 'truncate', path: ext4.file, size: 12000 }));
    expect(checkOf(keeps, 'size-valid').ok).toBe(false);
    expect(keeps.refusal).toContain('give a size of at most 8192');
    // a size before the first bad byte but inside its block keeps that block with the file: refused too
    const inBlock = validPlan(await planOn(ext4, sector, 1, { action: 'truncate', path: ext4.file, size: 9216 }));
    expect(checkOf(inBlock, 'size-valid').ok).toBe(false);
    expect(inBlock.refusal).toContain('in the 4096-byte filesystem block that holds the first bad byte (file offset 9728)');
    const larger = validPlan(await planOn(ext4, sector, 1, { action: 'truncate', path: ext4.file, size: FILE_SIZE }));
    expect(larger.refusal).toContain(`not below the file's size ${FILE_SIZE}`);
  });
});

describe('delete-restore', () => {
  it.skipIf(!root)('from a backup on another filesystem: backup metadata, temp path next to the file, the whole content lost', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const backup = path.join(outside.dir, 'known.bin.bak');
    writeFileSync(backup, Buffer.alloc(FILE_SIZE, 0x5a), { mode: 0o640 });
    // mtime to the millisecond, truncated (the float of a plain stat can round up)
    const st = statSync(backup, { bigint: true });
    const plan = validPlan(await planOn(ext4, sectorOf(ext4, 4096), 8, { action: 'delete-restore', path: ext4.file, backup_path: backup }));
    expect(plan.executable).toBe(true);
    expect(plan.checks.map((c) => c.id)).toEqual([
      'range-still-bad', 'namespace-mode', 'file-on-namespace', 'file-regular', 'mounted-rw', 'file-covers-range', 'not-open',
      'backup-readable', 'backup-not-on-range', 'temp-path-free', 'free-space',
    ]);
    expect(checkOf(plan, 'backup-not-on-range').detail).toContain('on another filesystem');
    expect(plan.target.temp_path).toBe(path.join(ext4.mountpoint, 'data', '.known.bin.daxfleet-restore'));
    expect(plan.target.backup).toEqual({
      path: backup, size: FILE_SIZE, mode: '0640', uid: Number(st.uid), gid: Number(st.gid), mtime: new Date(Number(st.mtimeNs / 1_000_000n)).toISOString(),
    });
    expect(plan.data_loss).toEqual([expect.objectContaining({ kind: 'file-content', path: ext4.file, length: FILE_SIZE })]);
    expect(plan.data_loss[0]?.detail).toContain('changes since the backup are lost');
    expect(plan.steps.map((s) => s.op)).toEqual([
      'copy', 'copy-metadata', 'fsync', 'verify-checksum', 'rename', 'reread-badblocks', 'remap-range', 'read-file',
    ]);
    expect(plan.steps[4]!.description).toContain(`rename(${plan.target.temp_path}, ${ext4.file})`);
    expect(plan.steps[1]!.description).toContain('extended attributes are not copied');
  });

  it.skipIf(!root)('a backup on the same filesystem off the range is fine; the file itself, a missing backup and a too large one are refused', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const sector = sectorOf(ext4, 4096);
    const same = path.join(ext4.mountpoint, 'data', 'copy.bak');
    writeFileSync(same, Buffer.alloc(8192, 1));
    try {
      const ok = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file, backup_path: same }));
      expect(checkOf(ok, 'backup-not-on-range')).toMatchObject({ ok: true });
      expect(checkOf(ok, 'backup-not-on-range').detail).toContain('same filesystem');
    } finally {
      rmSync(same);
    }
    const itself = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file, backup_path: ext4.file }));
    expect(checkOf(itself, 'backup-not-on-range').ok).toBe(false);
    expect(itself.refusal).toContain('itself');

    const none = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file }));
    expect(none.refusal).toContain('give backup_path');
    const missing = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file, backup_path: path.join(outside.dir, 'gone') }));
    expect(checkOf(missing, 'backup-readable').ok).toBe(false);

    // a leftover copy of an interrupted restore: the O_EXCL copy would fail, so the plan says so now
    const backup = path.join(outside.dir, 'small.bak');
    writeFileSync(backup, 'x');
    const leftover = path.join(ext4.mountpoint, 'data', '.known.bin.daxfleet-restore');
    writeFileSync(leftover, 'half a copy');
    try {
      const blocked = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file, backup_path: backup }));
      expect(checkOf(blocked, 'temp-path-free').ok).toBe(false);
      expect(blocked.refusal).toContain(`${leftover} exists`);
    } finally {
      rmSync(leftover);
    }

    // 128 MiB (sparse) cannot fit on the 64 MiB filesystem
    const big = path.join(outside.dir, 'big.bak');
    writeFileSync(big, '');
    truncateSync(big, 128 * 1024 * 1024);
    const tooBig = validPlan(await planOn(ext4, sector, 8, { action: 'delete-restore', path: ext4.file, backup_path: big }));
    expect(checkOf(tooBig, 'free-space').ok).toBe(false);
    expect(tooBig.refusal).toContain(`the copy of the backup needs ${128 * 1024 * 1024}`);
  });
});

describe('digest', () => {
  it.skipIf(!root)('the same on an unchanged host; different once the file changed size', async (ctx) => {
    if (!ext4) return ctx.skip(skipReason);
    const victim = path.join(ext4.mountpoint, 'data', 'grows.bin');
    writeFileSync(victim, Buffer.alloc(16384, 3));
    execFileSync('sync');
    try {
      const blocks = /^\s*0:\s+0\.\.\s*3:\s+(\d+)\.\./m.exec(execFileSync('filefrag', ['-v', '-b4096', victim], { encoding: 'utf8' }));
      expect(blocks).not.toBeNull();
      const sector = (Number(blocks![1]) + 1) * 8;
      const request = { action: 'punch-hole' as const, path: victim };
      const a = validPlan(await planOn(ext4, sector, 8, request));
      const b = validPlan(await planOn(ext4, sector, 8, request));
      expect(a.executable).toBe(true);
      expect(b.digest).toBe(a.digest);
      appendFileSync(victim, 'more');
      const c = validPlan(await planOn(ext4, sector, 8, request));
      expect(c.target.file_size).toBe(16388);
      expect(c.digest).not.toBe(a.digest);
    } finally {
      rmSync(victim);
    }
  });
});

describe('fileRangesOf', () => {
  const hit = (file_offset: number, length: number, unwritten = false) => ({ kind: 'file' as const, device_offset: 0, length, file_offset, unwritten });
  it('widens unaligned hits outward to the unit, clips at the last block, merges, and skips unwritten and past-EOF hits', () => {
    expect(fileRangesOf([hit(1000, 100), hit(1100, 2000), hit(9000, 512, true), hit(20000, 512)], 10000, 512))
      .toEqual([{ offset: 512, length: 3584 - 512 }]);
    expect(fileRangesOf([hit(9800, 512)], 10000, 512)).toEqual([{ offset: 9728, length: 512 }]);
    expect(fileRangesOf([hit(4096, 512), hit(8192, 512)], 65536, 512)).toEqual([{ offset: 4096, length: 512 }, { offset: 8192, length: 512 }]);
  });
  it('with 4 KiB filesystem blocks: whole blocks, neighbours merged, the last block whole even past the size', () => {
    expect(fileRangesOf([hit(1000, 100), hit(1100, 2000)], 65536, 4096)).toEqual([{ offset: 0, length: 4096 }]);
    expect(fileRangesOf([hit(4096 + 1536, 512), hit(8192, 512)], 65536, 4096)).toEqual([{ offset: 4096, length: 8192 }]);
    expect(fileRangesOf([hit(4096, 512), hit(12288, 512)], 65536, 4096)).toEqual([{ offset: 4096, length: 4096 }, { offset: 12288, length: 4096 }]);
    expect(fileRangesOf([hit(9800, 512)], 10000, 4096)).toEqual([{ offset: 8192, length: 4096 }]);
    expect(fileRangesOf([hit(12288, 512)], 10000, 4096)).toEqual([]);
  });
});
