/**
 * Test setup for the recovery planner: copies of recorded sysfs trees (lab/fixtures) with a proc directory that
 * holds their recorded mount table, loop-mounted filesystems on this machine with a known file, an inventory that
 * puts a bad range on such a loop device, child processes that hold a file open or mapped, the kernel's side of a
 * bus scrub, and the checks every agent plan must pass.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { mapDeviceRange, scanInventory } from '@daxfleet/dax-native';
import { RecoveryAgentPlanSchema, type Inventory, type RecoveryAgentPlan, type RecoveryCheck } from '@daxfleet/shared';
import { Value } from 'typebox/value';
import { expect } from 'vitest';
import { planDigest, type RecoveryHost } from '../src/agent/recovery/plan.js';
import { FIXTURES_DIR, tempDir } from './helpers.js';

/** A recorded tree, or a writable copy of it (to give its bus attributes a platform QEMU does not have), and its mounts. */
export interface RecordedHost {
  sysfsRoot: string;
  /** holds self/mountinfo = the fixture's mounts.txt (no pids: nothing is open there) */
  procRoot: string;
  /** paths deviceInUse was asked about */
  inUseAsked: string[];
  host(over?: Partial<RecoveryHost>): RecoveryHost;
  remove(): void;
}

/** A writable copy of the tree (for setAttribute); `copy: false` reads the recorded tree itself (faster, read-only use). */
export function recordedHost(name: string, opts: { busy?: boolean; mountinfo?: string; copy?: boolean } = {}): RecordedHost {
  const tmp = tempDir(`daxfleet-recovery-${name}-`);
  let sysfsRoot = path.join(FIXTURES_DIR, name, 'sys');
  if (opts.copy !== false) {
    sysfsRoot = path.join(tmp.dir, 'sys');
    cpSync(path.join(FIXTURES_DIR, name, 'sys'), sysfsRoot, { recursive: true, verbatimSymlinks: true });
  }
  const procRoot = path.join(tmp.dir, 'proc');
  mkdirSync(path.join(procRoot, 'self'), { recursive: true });
  writeFileSync(path.join(procRoot, 'self/mountinfo'), opts.mountinfo ?? readFileSync(path.join(FIXTURES_DIR, name, 'mounts.txt'), 'utf8'));
  const inUseAsked: string[] = [];
  return {
    sysfsRoot, procRoot, inUseAsked,
    host: (over = {}) => ({
      sysfsRoot, procRoot,
      scan: () => scanInventory({ sysfsRoot, health: false }),
      map: mapDeviceRange,
      deviceInUse: async (p: string) => { inUseAsked.push(p); return opts.busy ?? false; },
      now: () => new Date('2026-11-27T12:00:00.000Z'),
      ...over,
    }),
    remove: tmp.remove,
  };
}

/** Sets a sysfs attribute of the copied tree (follows the bus/nd/devices symlinks like the kernel's tree). */
export function setAttribute(sysfsRoot: string, relative: string, text: string): void {
  const file = path.join(sysfsRoot, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  // never into lab/fixtures itself (a host made with copy: false reads the recorded tree in place)
  if (realpathSync(path.dirname(file)).startsWith(realpathSync(FIXTURES_DIR))) {
    throw new Error(`setAttribute: ${file} is inside the recorded fixtures; use recordedHost(name) (a copy) to change attributes`);
  }
  writeFileSync(file, text);
}

/** A filesystem image loop-mounted here, with one known file. */
export interface LoopFs {
  dir: string;
  mountpoint: string;
  blockdev: string;
  fstype: string;
  file: string;
  /** the file's physical 4 KiB blocks in order (filefrag), one entry per file block */
  fileBlocks: number[];
  /** a free 4 KiB block (debugfs) */
  freeBlock: number;
  remove(): void;
}

export const FILE_SIZE = 64 * 1024;

/** mkfs (ext4 or ext2, 4 KiB blocks) on a 64 MiB image, loop-mounted, with data/known.bin (64 KiB of 0xa5). */
export function makeLoopFs(fstype: 'ext4' | 'ext2'): LoopFs | string {
  const tmp = tempDir(`daxfleet-recovery-${fstype}-`);
  const image = path.join(tmp.dir, `${fstype}.img`);
  const mountpoint = path.join(tmp.dir, 'mnt');
  mkdirSync(mountpoint);
  try {
    execFileSync('truncate', ['-s', '64M', image]);
    execFileSync(`mkfs.${fstype}`, ['-q', '-F', '-b', '4096', image]);
    execFileSync('mount', ['-o', 'loop', image, mountpoint]);
  } catch (err) {
    tmp.remove();
    return `cannot make and loop-mount an ${fstype} image: ${(err as Error).message}`;
  }
  const remove = (): void => {
    try {
      execFileSync('umount', [mountpoint]);
    } catch {
      execFileSync('umount', ['-l', mountpoint]);
    }
    tmp.remove();
  };
  mkdirSync(path.join(mountpoint, 'data'));
  const file = path.join(mountpoint, 'data', 'known.bin');
  writeFileSync(file, Buffer.alloc(FILE_SIZE, 0xa5));
  execFileSync('sync');
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.split(' ')[4] === mountpoint);
  const source = line?.split(' - ')[1]?.split(' ')[1] ?? '';
  const fileBlocks = fileBlocksOf(file);
  const free = /Free blocks found: (\d+)/.exec(execFileSync('debugfs', ['-R', 'ffb 1 12000', image], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  if (!source.startsWith('/dev/') || fileBlocks.length !== FILE_SIZE / 4096 || !free) {
    remove();
    return `could not read where the file lies (mount source "${source}", ${fileBlocks.length} blocks from filefrag)`;
  }
  return { dir: tmp.dir, mountpoint, blockdev: source.slice('/dev/'.length), fstype, file, fileBlocks, freeBlock: Number(free[1]), remove };
}

/** Physical 4 KiB block of each file block, from `filefrag -v -b4096` (e2fsprogs: independent of the code under test). */
export function fileBlocksOf(file: string): number[] {
  const out = execFileSync('filefrag', ['-v', '-b4096', file], { encoding: 'utf8' });
  const blocks: number[] = [];
  // "   0:        0..      15:      33280..     33295:     16:             last,eof"
  for (const m of out.matchAll(/^\s*\d+:\s+(\d+)\.\.\s*(\d+):\s+(\d+)\.\.\s*\d+:/gm)) {
    const [logical, lastLogical, physical] = [Number(m[1]), Number(m[2]), Number(m[3])];
    for (let i = logical; i <= lastLogical; i++) blocks[i] = physical + (i - logical);
  }
  return blocks;
}

/**
 * An inventory in which region0 is an fsdax namespace whose block device is the loop device (data from the
 * first byte, so the region's sectors are the device's), with one bad range at `sector` of it. This is inventory
 * data handed to the planner, as scanInventory would give it for a pmem device; the filesystem is real.
 */
export function loopInventory(blockdev: string, sector: number, length: number): Inventory {
  const size = 64 * 1024 * 1024;
  return {
    schema_version: 1, sysfs_root: '/sys', dax_regions: [], health_source: 'none', warnings: [],
    buses: [{
      dev: 'ndbus0', provider: 'loop', dimms: [],
      regions: [{
        dev: 'region0', size, type: 'pmem', state: 'enabled', resource: '0x100000000', mappings: [],
        badblocks: [{ offset: sector, length }], badblock_count: length,
        namespaces: [{
          dev: 'namespace0.0', mode: 'fsdax', size, raw_size: size, resource: '0x100000000', data_offset: 0,
          blockdev, state: 'enabled', badblocks: [{ offset: sector, length }], badblock_count: length,
        }],
      }],
    }],
  };
}

/** A RecoveryHost on the live /proc and /sys whose scan returns `inventory()` (read at every scan). */
export function loopHost(inventory: () => Inventory, deviceInUse: (p: string) => Promise<boolean> = async () => false): RecoveryHost {
  return {
    sysfsRoot: '/sys', procRoot: '/proc', scan: async () => inventory(), map: mapDeviceRange, deviceInUse,
    now: () => new Date('2026-11-27T12:00:00.000Z'),
  };
}

/** A child process holding `file` open on its stdin (the test's own fd is closed again). */
export async function holdOpen(file: string): Promise<ChildProcess> {
  const fd = openSync(file, 'r');
  const child = spawn('sleep', ['120'], { stdio: [fd, 'ignore', 'ignore'] });
  closeSync(fd);
  await new Promise<void>((resolve, reject) => { child.once('spawn', resolve); child.once('error', reject); });
  return child;
}

/**
 * A child process with `file` mapped (mmap MAP_SHARED, PROT_READ) and no fd left open: Python's ctypes calls
 * libc's mmap directly (its mmap module would keep a dup of the fd), then closes the fd.
 */
export async function holdMapped(file: string): Promise<ChildProcess> {
  const script = [
    'import ctypes, os, sys, time',
    'libc = ctypes.CDLL(None, use_errno=True)',
    'libc.mmap.restype = ctypes.c_void_p',
    'libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]',
    'fd = os.open(sys.argv[1], os.O_RDONLY)',
    'addr = libc.mmap(None, 4096, 1, 1, fd, 0)',
    'os.close(fd)',
    'print("mapped" if addr not in (None, ctypes.c_void_p(-1).value) else "failed", flush=True)',
    'time.sleep(120)',
  ].join('\n');
  const child = spawn('/usr/bin/python3', ['-c', script, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the mapping child exited (${code})`)));
  });
  if (line !== 'mapped') throw new Error(`the child could not map ${file}: ${line}`);
  return child;
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

export function inodeOf(file: string): number {
  return statSync(file).ino;
}

/**
 * The kernel's side of ndbus0/nfit/scrub on a copied tree (drivers/acpi/nfit/core.c): the agent's write of "1"
 * makes it "<count>+" (a scrub runs); complete() makes it "<count+1>". Counts start above 1 so the moment the file
 * reads "1" (before this kernel looked) can never look like a finished scrub.
 */
export class EmulatedScrub {
  private count = 3;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly file: string) {
    writeFileSync(file, `${this.count}\n`);
    this.timer = setInterval(() => {
      if (readFileSync(file, 'utf8') === '1\n') writeFileSync(file, `${this.count}+`);
    }, 10);
  }

  get running(): boolean {
    return readFileSync(this.file, 'utf8').endsWith('+');
  }

  complete(): void {
    expect(this.running).toBe(true);
    this.count += 1;
    writeFileSync(this.file, `${this.count}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The plan's check `id` (the test fails, naming the checks there are, when it has none). */
export function checkOf(plan: RecoveryAgentPlan, id: string): RecoveryCheck {
  const c = plan.checks.find((x) => x.id === id);
  expect(c, `check ${id} in ${plan.checks.map((x) => x.id).join(', ')}`).toBeDefined();
  return c!;
}

/** The plan, after checking what every agent plan must hold: the schema, its digest, executable = every check ok,
 * the refusal = the first failed check's detail, steps numbered from 1. */
export function validPlan(plan: RecoveryAgentPlan): RecoveryAgentPlan {
  expect(Value.Errors(RecoveryAgentPlanSchema, plan)).toEqual([]);
  expect(plan.digest).toBe(planDigest(plan));
  expect(plan.executable).toBe(plan.checks.every((c) => c.ok));
  expect(plan.refusal).toBe(plan.checks.find((c) => !c.ok)?.detail);
  plan.steps.forEach((s, i) => expect(s.n).toBe(i + 1));
  return plan;
}
