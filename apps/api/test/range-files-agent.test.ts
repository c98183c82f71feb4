/**
 * The agent's mapping of bad ranges to files (agent/media/files.ts) against a real filesystem: an ext4 image made
 * with mkfs.ext4, loop-mounted on this machine, with a known file. Where the file lies is read with e2fsprogs
 * (filefrag, debugfs: independent of the code under test); the test chooses bad ranges there (the only made-up
 * part: a pmem block device's sectors become the loop device's), and the real mapDeviceRange (GETFSMAP, FIEMAP)
 * maps them through RangeFileMapper. Needs root (mount) and the native addon: skipped with the reason otherwise.
 *
 * Also: the recorded mount tables of lab/fixtures (dax options as ext4 and xfs show them), the recorded-tree
 * host that maps nothing and says so once, and the agent loop sending the set once and again after a restart.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isAvailable, loadError, mapDeviceRange } from '@daxfleet/dax-native';
import type { AgentReport, AgentReportAck, BadRange, Inventory, RangeFiles } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent/agent.js';
import { daxOf, mountOf, parseMountinfo, RangeFileMapper, type MapDeviceRange } from '../src/agent/media/files.js';
import { FIXTURES_DIR, fixtureInventory, fixtureSysfs, tempDir } from './helpers.js';

interface Logged { level: string; message: string }
function logger(lines: Logged[] = []) {
  const at = (level: string) => (a: unknown, b?: unknown) => {
    lines.push({ level, message: typeof a === 'string' ? a : String(b ?? '') });
  };
  const log = {
    info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), trace: at('trace'), fatal: at('fatal'),
    child: () => log, level: 'debug', silent: () => undefined,
  };
  return { lines, log: log as unknown as import('fastify').FastifyBaseLogger };
}

describe('mount tables', () => {
  it('reads the recorded mountinfo of the lab guests: device, fstype and dax option', () => {
    const four = parseMountinfo(readFileSync(path.join(FIXTURES_DIR, 'four-dimm-mixed/mounts.txt'), 'utf8'));
    const ext4 = mountOf('pmem0', four);
    expect(ext4).toMatchObject({ mountpoint: '/mnt/ext4-dax', fstype: 'ext4', source: '/dev/pmem0', device: '259:0', root: '/' });
    expect(daxOf(ext4!)).toBe('always');
    expect(mountOf('pmem1', four)).toBeUndefined();

    const two = parseMountinfo(readFileSync(path.join(FIXTURES_DIR, 'two-dimm-all-modes/mounts.txt'), 'utf8'));
    expect(mountOf('pmem0', two)).toMatchObject({ mountpoint: '/mnt/fsdax-dev', fstype: 'xfs' });
    expect(daxOf(mountOf('pmem0', two)!)).toBe('always');
    expect(daxOf(mountOf('pmem0.1', two)!)).toBe('inode');
    // by st_dev when the source is another name for the device
    expect(mountOf('pmem9', two, '259:1')?.mountpoint).toBe('/mnt/fsdax-mem');
  });

  it('reads the older bare dax flag as always, unescapes paths, prefers the whole filesystem over a bind mount', () => {
    const mounts = parseMountinfo([
      '50 29 259:3 /sub /srv/bind rw,relatime - ext4 /dev/pmem3 rw,dax',
      '51 29 259:3 / /mnt/with\\040space rw,relatime - ext4 /dev/pmem3 rw,dax',
      '52 29 259:4 / /mnt/v rw - vfat /dev/pmem4 rw',
      '53 29 259:5 / /mnt/x rw - xfs /dev/pmem5 rw,attr2,inode64',
      'not a mountinfo line',
    ].join('\n'));
    expect(mounts).toHaveLength(4);
    const m = mountOf('pmem3', mounts);
    expect(m?.mountpoint).toBe('/mnt/with space');
    expect(daxOf(m!)).toBe('always');
    expect(mountOf('pmem4', mounts), 'vfat is not mapped').toBeUndefined();
    expect(daxOf(mountOf('pmem5', mounts)!), 'xfs shows no option for its default').toBeUndefined();
  });

  it('maps nothing on a recorded tree and says so once', async () => {
    const { lines, log } = logger();
    let calls = 0;
    const map: MapDeviceRange = async () => { calls++; return { method: 'getfsmap', hits: [] }; };
    const mapper = new RangeFileMapper({ sysfsRoot: fixtureSysfs('four-dimm-mixed'), map, log });
    const range: BadRange = { region: 'region0', region_offset: 0, length: 8, dimms: [], source: 'region', blockdev: 'pmem0', blockdev_offset: 0 };
    expect(await mapper.forReport([range])).toBeUndefined();
    expect(await mapper.forReport([range])).toBeUndefined();
    expect(calls).toBe(0);
    const said = lines.filter((l) => l.message.includes('recorded sysfs tree'));
    expect(said).toHaveLength(1);
    expect(said[0]?.message).toContain('no range_files');
  });
});

/** An ext4 filesystem on a loop device, mounted here, with one known file. */
interface Loop {
  mountpoint: string;
  image: string;
  blockdev: string;
  file: string;
  inode: number;
  /** the file's first physical 4 KiB block, from filefrag */
  fileBlock: number;
  /** a free block, from debugfs */
  freeBlock: number;
}

const root = process.getuid?.() === 0;
let loop: Loop | undefined;
let skipReason: string | undefined;
const tmp = tempDir('daxfleet-rangefiles-');

beforeAll(() => {
  if (!root) { skipReason = 'needs root to mount a loop device'; return; }
  if (!isAvailable()) { skipReason = `the native addon is not loaded: ${loadError()?.message}`; return; }
  const image = path.join(tmp.dir, 'ext4.img');
  const mountpoint = path.join(tmp.dir, 'mnt');
  mkdirSync(mountpoint);
  try {
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', image]);
    execFileSync('mount', ['-o', 'loop', image, mountpoint]);
  } catch (err) {
    skipReason = `cannot make and loop-mount an ext4 image: ${(err as Error).message}`;
    return;
  }
  mkdirSync(path.join(mountpoint, 'data'));
  const file = path.join(mountpoint, 'data', 'known.bin');
  writeFileSync(file, Buffer.alloc(64 * 1024, 0xa5));
  execFileSync('sync');
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mountpoint);
  const source = line?.split(' - ')[1]?.split(' ')[1] ?? '';
  // "0:  0..  15:  33280..  33295:  16:  last,eof"
  const extent = /^\s*0:\s+0\.\.\s*\d+:\s+(\d+)\.\./m.exec(execFileSync('filefrag', ['-v', '-b4096', file], { encoding: 'utf8' }));
  const free = /Free blocks found: (\d+)/.exec(execFileSync('debugfs', ['-R', 'ffb 1 12000', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  if (!source.startsWith('/dev/') || !extent || !free) {
    skipReason = `could not read where the file lies (mount source "${source}", filefrag/debugfs output unexpected)`;
    return;
  }
  loop = {
    mountpoint, image, file, blockdev: source.slice('/dev/'.length), inode: statSync(file).ino,
    fileBlock: Number(extent[1]), freeBlock: Number(free[1]),
  };
});

afterAll(() => {
  if (loop) {
    try {
      execFileSync('umount', [loop.mountpoint]);
    } catch {
      execFileSync('umount', ['-l', loop.mountpoint]);
    }
  }
  tmp.remove();
});

/** a bad range the test places on the loop device: `sector` of it, `length` sectors */
function rangeAt(regionOffset: number, sector: number, length = 8): BadRange {
  return { region: 'region0', region_offset: regionOffset, length, dimms: [], source: 'region', blockdev: loop!.blockdev, blockdev_offset: sector };
}

describe('mapping on a loop-mounted ext4', () => {
  it.skipIf(!root)('maps a range over a known file, free space and the superblock', async (ctx) => {
    if (!loop) return ctx.skip(skipReason);
    const { log } = logger();
    const mapper = new RangeFileMapper({ sysfsRoot: '/sys', map: mapDeviceRange, log });
    // the file's second block (file offset 4096), a free block, and the first 4 KiB (boot sector + superblock)
    const fileRange = rangeAt(100, (loop.fileBlock + 1) * 8);
    const freeRange = rangeAt(200, loop.freeBlock * 8);
    const superRange = rangeAt(300, 0);
    const set = await mapper.forReport([fileRange, freeRange, superRange]);
    expect(set).toHaveLength(3);
    const [file, free, sb] = set as [RangeFiles, RangeFiles, RangeFiles];

    for (const f of set!) {
      expect(f).toMatchObject({ blockdev: loop.blockdev, mountpoint: loop.mountpoint, fstype: 'ext4', region: 'region0', length: 8 });
      expect(f.dax, 'a loop device has no DAX: mountinfo shows no dax option').toBeUndefined();
      expect(f.error).toBeUndefined();
      expect(Date.parse(f.mapped_at)).not.toBeNaN();
    }
    expect(file.region_offset).toBe(100);
    expect(file.hits).toEqual([{
      kind: 'file', device_offset: (loop.fileBlock + 1) * 4096, length: 4096, inode: loop.inode,
      path: loop.file, file_offset: 4096, file_size: 64 * 1024, unwritten: false,
    }]);
    // ext4's reverse map calls file data "unknown": the FIEMAP walk named the file
    expect(file.method).toBe('fiemap');
    expect(free.hits).toEqual([{ kind: 'free', device_offset: loop.freeBlock * 4096, length: 4096 }]);
    expect(free.method).toBe('getfsmap');
    expect(sb.hits.length).toBeGreaterThan(0);
    expect(sb.hits.every((h) => h.kind === 'metadata')).toBe(true);
    expect(sb.hits.reduce((n, h) => n + h.length, 0)).toBe(4096);
  });

  it.skipIf(!root)('sends a set once, again when the files under it change (timer) or the ranges change, and after a restart', async (ctx) => {
    if (!loop) return ctx.skip(skipReason);
    const { log } = logger();
    let clock = 1_000_000;
    const options = { sysfsRoot: '/sys', map: mapDeviceRange, log, remapMs: 300_000, now: () => clock };
    const mapper = new RangeFileMapper(options);
    const other = path.join(loop.mountpoint, 'other.bin');
    writeFileSync(other, Buffer.alloc(8192, 1));
    execFileSync('sync');
    const otherBlock = Number(/^\s*0:\s+0\.\.\s*\d+:\s+(\d+)\.\./m.exec(execFileSync('filefrag', ['-v', '-b4096', other], { encoding: 'utf8' }))![1]);
    const ranges = [rangeAt(10, otherBlock * 8), rangeAt(20, loop.freeBlock * 8)];

    const first = await mapper.forReport(ranges);
    expect(first?.map((f) => f.hits[0]?.path ?? f.hits[0]?.kind)).toEqual([other, 'free']);
    // not acknowledged (the send failed): offered again
    expect(await mapper.forReport(ranges)).toEqual(first);
    mapper.acknowledge(first!);
    expect(await mapper.forReport(ranges), 'unchanged since acknowledged').toBeUndefined();

    // the file goes away: nothing tells the agent; the timed re-map finds free space there
    rmSync(other);
    execFileSync('sync');
    clock += 60_000;
    expect(await mapper.forReport(ranges), 'before the re-map is due').toBeUndefined();
    clock += 300_000;
    const remapped = await mapper.forReport(ranges);
    expect(remapped?.map((f) => f.hits.map((h) => h.kind))).toEqual([['free'], ['free']]);
    // the unchanged range keeps the time its content was first mapped
    expect(remapped?.[1]?.mapped_at).toBe(first?.[1]?.mapped_at);
    mapper.acknowledge(remapped!);

    // the agent changed the files itself (a recovery): invalidate() maps again at the next report, without the timer
    let maps = 0;
    const counting = new RangeFileMapper({
      ...options, map: async (...args: Parameters<typeof mapDeviceRange>) => { maps++; return mapDeviceRange(...args); },
    });
    await counting.forReport(ranges);
    const once = maps;
    expect(once).toBeGreaterThan(0);
    await counting.forReport(ranges);
    expect(maps, 'the timer is not due').toBe(once);
    counting.invalidate();
    await counting.forReport(ranges);
    expect(maps, 'mapped again after invalidate()').toBe(2 * once);
    await counting.forReport(ranges);
    expect(maps, 'once per invalidate()').toBe(2 * once);

    // a range cleared: the set shrinks at once (no timer)
    const shrunk = await mapper.forReport(ranges.slice(1));
    expect(shrunk?.map((f) => f.region_offset)).toEqual([20]);
    mapper.acknowledge(shrunk!);
    // a range of a device with no filesystem mounted is not in the set
    expect(await mapper.forReport([...ranges.slice(1), { ...rangeAt(30, 0), blockdev: 'pmem-not-mounted' }])).toBeUndefined();

    // an agent restart knows nothing acknowledged: the same set goes again
    const restarted = new RangeFileMapper(options);
    expect((await restarted.forReport(ranges.slice(1)))?.map((f) => f.region_offset)).toEqual([20]);
  });
});

describe('the agent loop', () => {
  it('carries range_files in the first report, not while unchanged, and again after a restart', async () => {
    const inventory: Inventory = await fixtureInventory('one-dimm-label-less');
    const reports: AgentReport[] = [];
    const send = async (report: AgentReport): Promise<AgentReportAck> => {
      reports.push(report);
      return { host_id: report.host_id, inventory_version: 1, changed: reports.length === 1 };
    };
    const { log } = logger();
    // the live mount table, and bad ranges from the scan: this recorded kernel has none, so the set is empty
    const make = () => new Agent({
      hostId: 'h', hostname: 'h', version: 't', intervalMs: 60_000, scan: async () => inventory, send, log, target: 'test',
      rangeFiles: new RangeFileMapper({ sysfsRoot: '/sys', map: mapDeviceRange, log }),
    });
    const agent = make();
    await agent.rescanNow();
    await agent.rescanNow();
    await agent.stop();
    expect(reports.map((r) => r.range_files)).toEqual([[], undefined]);
    const again = make();
    await again.rescanNow();
    await again.stop();
    expect(reports[2]?.range_files).toEqual([]);
  });
});
