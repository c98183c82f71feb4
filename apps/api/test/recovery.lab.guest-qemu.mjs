/**
 * Guest driver of recovery.lab.test.ts in a QEMU guest (one emulated NVDIMM, which cannot clear poison). One
 * region: an fsdax namespace with ext4, one with xfs (both mounted -o dax), a raw namespace. For each filesystem,
 * four 1 MiB files each get a bad block (8 sectors written to /sys/block/pmemX/badblocks) under a known file
 * offset placed with filefrag / xfs_bmap, then the agent's recovery code plans and executes against them; what
 * the files, the bad-block lists and the oracles say afterwards is read here independently of the agent. Then
 * clear-errors on the raw namespace (bad sectors in its block device's list), unmounted and mounted, and on a
 * devdax namespace with region poison from a software-injected machine check (refused: QEMU's bus cannot clear or
 * scrub). Prints one RECOVERY-QEMU-RESULT line of JSON.
 *
 * Order matters: nothing allocates blocks after the first action that frees a bad block (delete-restore's rename,
 * punch-hole, truncate). A filesystem zeroes a freed block through the driver when it allocates it again, which on
 * QEMU fails EIO, so an append or a copy after that could land on such a block and fail for reasons outside the
 * action under test.
 */
import { spawn } from 'node:child_process';
import {
  appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, statSync,
  utimesSync, writeFileSync,
} from 'node:fs';
import {
  badblocksAt, hexAttr, makeExecutor, phases, planWhileOpen, readWhole, regionOffsetOfBlockdevSector, sh, sha256,
} from './recovery.lab.guest-common.mjs';

const MARKER = 'RECOVERY-QEMU-RESULT ';
const FILE_SIZE = 1 << 20;
const BLOCK = 4096;
/** the file block each file's bad block goes under (distinct per file, so the ranges differ) */
const BAD_BLOCK = { open: 3, restore: 7, punch: 5, trunc: 9 };
/** raw namespace: the bad sectors, and the size of the filesystem made on it for the mounted refusal */
const RAW_SECTOR = 65536;
const RAW_FS = '16M';
/**
 * python3: mmap(2) the file's first MiB read-only through libc (Python's own mmap keeps a duplicate descriptor),
 * close the descriptor, say so, wait: the process holds a DAX mapping of the file's blocks and no open file.
 */
const MAP_AND_WAIT = `import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
fd = os.open(sys.argv[1], os.O_RDONLY)
addr = libc.mmap(None, 1 << 20, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
if addr is None or addr == ctypes.c_void_p(-1).value:
    sys.exit("mmap failed: errno %d" % ctypes.get_errno())
os.close(fd)
print("mapped", flush=True)
time.sleep(600)`;

/** 1 MiB of text that names the file and the block at every 4 KiB */
function content(tag) {
  const buf = Buffer.alloc(FILE_SIZE);
  for (let b = 0; b < FILE_SIZE / BLOCK; b++) buf.fill(`${tag}:${b};`, b * BLOCK, (b + 1) * BLOCK);
  return buf;
}

/** The oracle's extents of a file, bytes: { logical, physical (on the block device), length } */
function extentsOf(fstype, file) {
  const out = [];
  if (fstype === 'ext4') {
    for (const m of sh('filefrag', '-v', file).matchAll(/^\s*\d+:\s*(\d+)\.\.\s*(\d+):\s*(\d+)\.\.\s*\d+:/gm)) {
      out.push({ logical: Number(m[1]) * BLOCK, physical: Number(m[3]) * BLOCK, length: (Number(m[2]) - Number(m[1]) + 1) * BLOCK });
    }
  } else {
    for (const m of sh('xfs_bmap', '-v', file).matchAll(/^\s*\d+: \[(\d+)\.\.(\d+)\]:\s+(\d+)\.\./gm)) {
      out.push({ logical: Number(m[1]) * 512, physical: Number(m[3]) * 512, length: (Number(m[2]) - Number(m[1]) + 1) * 512 });
    }
  }
  return out;
}

/** Whether any extent of the file (per the oracle) covers the device byte */
function fileHoldsDeviceByte(fstype, file, byte) {
  return extentsOf(fstype, file).some((e) => byte >= e.physical && byte < e.physical + e.length);
}

/** Puts 8 bad sectors under block `block` of the file; answers where they are, in every view the test needs. */
function injectUnder(fstype, blockdev, file, block) {
  const logical = block * BLOCK;
  const extent = extentsOf(fstype, file).find((e) => logical >= e.logical && logical < e.logical + e.length);
  if (extent === undefined) throw new Error(`no extent of ${file} holds byte ${logical}`);
  const deviceByte = extent.physical + (logical - extent.logical);
  const sector = deviceByte / 512;
  writeFileSync(`/sys/block/${blockdev}/badblocks`, `${sector} 8\n`);
  const { region, region_offset } = regionOffsetOfBlockdevSector(blockdev, sector);
  return { file_offset: logical, device_byte: deviceByte, sector, range: { region, region_offset, length: 8 } };
}

const { plan, execute, close } = makeExecutor();
const { timings, mark } = phases();
const out = { fs: {}, timings };
sh('ndctl', 'disable-region', 'all'); sh('ndctl', 'init-labels', '-f', 'all'); sh('ndctl', 'enable-region', 'all');
mark('labels');

for (const [fstype, size] of [['ext4', '256M'], ['xfs', '512M']]) {
  const ns = JSON.parse(sh('ndctl', 'create-namespace', '-m', 'fsdax', '-s', size));
  const blockdev = ns.blockdev;
  const dev = `/dev/${blockdev}`;
  if (fstype === 'ext4') sh('mkfs.ext4', '-q', '-F', '-b', '4096', dev);
  else sh('mkfs.xfs', '-q', '-f', '-b', 'size=4096', '-m', 'rmapbt=1,reflink=0', dev);
  const mnt = `/mnt/recovery-${fstype}`;
  mkdirSync(mnt, { recursive: true });
  sh('mount', '-o', 'dax', dev, mnt);
  mkdirSync(`${mnt}/data`);
  const files = {};
  for (const name of Object.keys(BAD_BLOCK)) {
    files[name] = `${mnt}/data/${name}.bin`;
    writeFileSync(files[name], content(`${fstype}-${name}`));
  }
  sh('sync');
  mark(`${fstype} mkfs, mount, files`);
  const inj = {};
  for (const [name, block] of Object.entries(BAD_BLOCK)) inj[name] = injectUnder(fstype, blockdev, files[name], block);
  const r = { blockdev, mountinfo: sh('cat', '/proc/self/mountinfo').split('\n').find((l) => l.split(' ')[4] === mnt) };
  r.injected = inj;
  r.badblocksBefore = badblocksAt(`/sys/block/${blockdev}/badblocks`);
  // the kernel's view: the bad block fails a DAX read of the file there
  r.readBeforeError = readWhole(files.punch).error ?? 'no error';

  // --- refusal: the file is open in another process (its stdin), then the same plan once it is gone
  {
    const req = { action: 'punch-hole', range: inj.open.range, path: files.open };
    const { pid, held } = await planWhileOpen(plan, req, files.open);
    const free = await plan(req);
    r.open = { pid, held, free };
    mark(`${fstype} open refusal`);
    // the same file only mapped (the descriptor closed after mmap): found through /proc/<pid>/maps
    const mapper = spawn('python3', ['-c', MAP_AND_WAIT, files.open], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      mapper.stdout.once('data', resolve);
      mapper.once('exit', (code) => reject(new Error(`python3 mmap exited ${code}`)));
    });
    const mapped = await plan(req);
    mapper.kill('SIGKILL');
    await new Promise((resolve) => mapper.once('exit', resolve));
    r.mapped = { pid: mapper.pid, plan: mapped };
    mark(`${fstype} mapped refusal`);
  }

  // --- digest mismatch: plan a truncate, append to the file, execute the reviewed plan
  {
    const req = { action: 'truncate', range: inj.trunc.range, path: files.trunc };
    const reviewed = await plan(req);
    appendFileSync(files.trunc, Buffer.alloc(BLOCK, 'x'));
    const run = await execute(req, reviewed);
    r.stale = { reviewed, ack: run.ack, reports: run.statuses.length, sizeAfter: statSync(files.trunc).size };
    mark(`${fstype} digest mismatch`);
  }

  // --- delete-restore from a backup on the guest's /tmp (tmpfs): other content, mode, owner and mtime
  {
    const backup = `/tmp/restore-${fstype}.bak`;
    const backupContent = content(`${fstype}-backup`);
    writeFileSync(backup, backupContent);
    chownSync(backup, 1234, 5678);
    chmodSync(backup, 0o640);
    utimesSync(backup, new Date('2024-02-03T04:05:06.789Z'), new Date('2024-02-03T04:05:06.789Z'));
    const req = { action: 'delete-restore', range: inj.restore.range, path: files.restore, backup_path: backup };
    const before = statSync(files.restore);
    const reviewed = await plan(req);
    const run = await execute(req, reviewed);
    const after = statSync(files.restore);
    const read = readWhole(files.restore);
    const b = statSync(backup);
    r.restore = {
      plan: reviewed, run,
      inodeBefore: before.ino, inodeAfter: after.ino,
      sha256: read.buf ? sha256(read.buf) : undefined, readError: read.error,
      backupSha256: sha256(readWhole(backup).buf),
      mode: (after.mode & 0o7777).toString(8), uid: after.uid, gid: after.gid, mtimeMs: after.mtimeMs,
      backupMtimeMs: b.mtimeMs,
      tempExists: existsSync(reviewed.target.temp_path ?? `${mnt}/data/.restore.bin.daxfleet-restore`),
      dirListing: sh('ls', '-A', `${mnt}/data`).split('\n').filter(Boolean),
      fileHoldsBadByte: fileHoldsDeviceByte(fstype, files.restore, inj.restore.device_byte),
      badblocksAfter: badblocksAt(`/sys/block/${blockdev}/badblocks`),
    };
    mark(`${fstype} delete-restore`);
  }

  // --- punch-hole over the bad block
  {
    const req = { action: 'punch-hole', range: inj.punch.range, path: files.punch };
    const reviewed = await plan(req);
    const again = await plan(req);
    const run = await execute(req, reviewed);
    const read = readWhole(files.punch);
    const expected = content(`${fstype}-punch`);
    expected.fill(0, inj.punch.file_offset, inj.punch.file_offset + BLOCK);
    r.punch = {
      plan: reviewed, digestAgain: again.digest, run,
      size: statSync(files.punch).size,
      readError: read.error,
      sha256: read.buf ? sha256(read.buf) : undefined,
      expectedSha256: sha256(expected),
      fileHoldsBadByte: fileHoldsDeviceByte(fstype, files.punch, inj.punch.device_byte),
      badblocksAfter: badblocksAt(`/sys/block/${blockdev}/badblocks`),
    };
  }

  mark(`${fstype} punch-hole`);
  // --- truncate (the plan made after the append above)
  {
    const req = { action: 'truncate', range: inj.trunc.range, path: files.trunc };
    const reviewed = await plan(req);
    const run = await execute(req, reviewed);
    const read = readWhole(files.trunc);
    const original = content(`${fstype}-trunc`);
    r.trunc = {
      plan: reviewed, run,
      size: statSync(files.trunc).size,
      readError: read.error,
      sha256: read.buf ? sha256(read.buf) : undefined,
      expectedSha256: sha256(original.subarray(0, inj.trunc.file_offset)),
      fileHoldsBadByte: fileHoldsDeviceByte(fstype, files.trunc, inj.trunc.device_byte),
    };
  }

  mark(`${fstype} truncate`);
  // --- clear-errors on the mounted fsdax block device is refused
  r.mountedClear = await plan({ action: 'clear-errors', range: inj.open.range });
  out.fs[fstype] = r;
}

// --- raw namespace: clear-errors writes zeros through the pmem driver; QEMU cannot clear, the write fails EIO
{
  const ns = JSON.parse(sh('ndctl', 'create-namespace', '-m', 'raw', '-s', '64M'));
  const blockdev = ns.blockdev;
  writeFileSync(`/sys/block/${blockdev}/badblocks`, `${RAW_SECTOR} 8\n`);
  const range = { ...regionOffsetOfBlockdevSector(blockdev, RAW_SECTOR), length: 8 };
  const req = { action: 'clear-errors', range };
  const reviewed = await plan(req);
  const run = await execute(req, reviewed);
  const raw = { blockdev, namespace: ns.dev, range, plan: reviewed, run, badblocksAfter: badblocksAt(`/sys/block/${blockdev}/badblocks`) };
  // mounted: a small ext4 at the device's start (the bad sectors lie past its end, mkfs never touches them)
  sh('mkfs.ext4', '-q', '-F', '-E', 'nodiscard', `/dev/${blockdev}`, RAW_FS);
  mkdirSync('/mnt/recovery-raw', { recursive: true });
  sh('mount', `/dev/${blockdev}`, '/mnt/recovery-raw');
  raw.mounted = await plan(req);
  sh('umount', '/mnt/recovery-raw');
  raw.unmountedAgain = await plan(req);
  out.raw = raw;
  mark('raw clear-errors and mounted refusal');
}

// --- device DAX with region-level poison (a software-injected machine check, lab/guest/lib.sh mce_poison): QEMU's
// bus has neither clear-error nor ARS, so clear-errors and scrub-recheck are refused
{
  const ns = JSON.parse(sh('ndctl', 'create-namespace', '-m', 'devdax', '-a', '4K', '-s', '64M'));
  const nsDir = realpathSync(`/sys/bus/nd/devices/${ns.dev}`);
  const region = nsDir.split('/').at(-2);
  const regionDir = `/sys/bus/nd/devices/${region}`;
  // 16 MiB into the namespace: past its info block and the 4 KiB-aligned start of the data
  const byteInRegion = hexAttr(`${nsDir}/resource`) - hexAttr(`${regionDir}/resource`) + (16 << 20);
  const before = badblocksAt(`${regionDir}/badblocks`);
  sh('bash', '-c', `source "$LAB_DIR/guest/lib.sh" && mce_poison ${region} ${byteInRegion}`);
  const after = badblocksAt(`${regionDir}/badblocks`);
  const added = after.filter((a) => !before.some((b) => b.offset === a.offset && b.length === a.length));
  const range = added[0] && { region, region_offset: added[0].offset, length: added[0].length };
  out.devdax = {
    namespace: ns.dev, chardev: ns.daxregion?.devices?.[0]?.chardev, expectedOffset: byteInRegion / 512, added,
    buses: readdirSync('/sys/bus/nd/devices').filter((d) => d.startsWith('ndbus'))
      .map((d) => ({ bus: d, commands: readFileSync(`/sys/bus/nd/devices/${d}/commands`, 'utf8').trim() })),
    clear: range && await plan({ action: 'clear-errors', range }),
    scrub: range && await plan({ action: 'scrub-recheck', range }),
  };
  mark('devdax MCE and refusals');
}

await close();
console.log(MARKER + JSON.stringify(out));
