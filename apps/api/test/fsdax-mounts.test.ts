/**
 * Filesystem DAX without the kernel: the mounted DAX-capable filesystems read from the recorded fixtures' mount
 * tables and sysfs trees (lab/fixtures/NAME/mounts.txt + sys) and from synthetic mountinfo lines against a small
 * sysfs tree (legacy dax, dax=never, ext2, virtiofs, erofs, xfs without an option, a partition, read-only); the
 * state/reason rules of a file's flag vs S_DAX under each mount mode; what a policy change will lead to; and the
 * agent putting `filesystems` into every report's inventory.
 */
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FS_DAX_INSPECT_DEFAULT_LIMIT, type AgentReport, type AgentReportAck, type DaxFilesystem, type Inventory } from '@daxfleet/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from '../src/agent/agent.js';
import {
  changeOutcome, classify, mountinfoFileFor, readDaxFilesystems,
} from '../src/agent/fsdax/index.js';
import { pendingDetail } from '../src/agent/fsdax/entry.js';
import { INSPECT_DEFAULT_LIMIT } from '../src/agent/fsdax/inspect.js';
import { FIXTURES_DIR, REPO_ROOT, fixtureInventory, fixtureSysfs, tempDir } from './helpers.js';

const tmp = tempDir('daxfleet-fsdax-mounts-');
afterAll(() => tmp.remove());

const recorded = (name: string) => readDaxFilesystems({
  mountinfo: path.join(FIXTURES_DIR, name, 'mounts.txt'), sysfsRoot: fixtureSysfs(name),
});

describe('the fsdax modules', () => {
  it('default to the contract\'s inspect limit, and load without @daxfleet/shared at run time', async () => {
    expect(INSPECT_DEFAULT_LIMIT).toBe(FS_DAX_INSPECT_DEFAULT_LIMIT);
    const dist = path.join(REPO_ROOT, 'apps/api/dist/agent/fsdax');
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
      // `import type` is erased: a runtime import of the shared package would load typebox
      expect(readFileSync(path.join(dist, file), 'utf8'), file).not.toMatch(/from '@daxfleet\/shared'/);
    }
  });
});

describe('readDaxFilesystems on the recorded fixtures', () => {
  it('two-dimm-all-modes: xfs dax=always on the fsdax map=dev namespace, ext4 dax=inode on the map=mem one', async () => {
    expect(await recorded('two-dimm-all-modes')).toEqual([
      {
        mountpoint: '/mnt/fsdax-dev', source: '/dev/pmem0', fstype: 'xfs', dev: '259:0', blockdev: 'pmem0',
        namespace: 'namespace0.0', dax: 'always', dax_option: 'dax=always', device_dax: true, read_only: false, per_inode: false,
      },
      {
        mountpoint: '/mnt/fsdax-mem', source: '/dev/pmem0.1', fstype: 'ext4', dev: '259:1', blockdev: 'pmem0.1',
        namespace: 'namespace0.1', dax: 'inode', dax_option: 'dax=inode', device_dax: true, read_only: false, per_inode: true,
      },
    ]);
  });

  it('four-dimm-mixed: ext4 dax=always; the fixtures without pmem mounts list none (overlay, proc, 9p, tmpfs are left out)', async () => {
    expect(await recorded('four-dimm-mixed')).toEqual([{
      mountpoint: '/mnt/ext4-dax', source: '/dev/pmem0', fstype: 'ext4', dev: '259:0', blockdev: 'pmem0',
      namespace: 'namespace0.0', dax: 'always', dax_option: 'dax=always', device_dax: true, read_only: false, per_inode: false,
    }]);
    expect(await recorded('devdax-system-ram')).toEqual([]);
    expect(await recorded('one-dimm-label-less')).toEqual([]);
  });

  it('the mount table goes with the sysfs root: the live one for /sys, mounts.txt beside a recorded tree, none without', () => {
    expect(mountinfoFileFor('/sys')).toBe('/proc/self/mountinfo');
    expect(mountinfoFileFor('/sys/')).toBe('/proc/self/mountinfo');
    expect(mountinfoFileFor(fixtureSysfs('two-dimm-all-modes'))).toBe(path.join(FIXTURES_DIR, 'two-dimm-all-modes', 'mounts.txt'));
    const bare = path.join(tmp.dir, 'bare', 'sys');
    mkdirSync(bare, { recursive: true });
    expect(mountinfoFileFor(bare)).toBeUndefined();
  });
});

/**
 * A small sysfs: pmem0 (an fsdax namespace's disk: device -> pfn0.0, queue/dax 1) with a partition pmem0p1,
 * pmem1 (raw namespace: device -> namespace0.1, queue/dax 0), loop3 (queue/dax 0, no device link).
 */
function syntheticSysfs(): string {
  const sys = path.join(tmp.dir, 'synthetic', 'sys');
  const region = path.join(sys, 'devices/ndbus0/region0');
  const disk = (dir: string, dax: string): void => {
    mkdirSync(path.join(dir, 'queue'), { recursive: true });
    writeFileSync(path.join(dir, 'queue/dax'), dax);
  };
  mkdirSync(path.join(region, 'pfn0.0'), { recursive: true });
  writeFileSync(path.join(region, 'pfn0.0/namespace'), 'namespace0.0\n');
  disk(path.join(region, 'pfn0.0/block/pmem0'), '1\n');
  symlinkSync('../../../pfn0.0', path.join(region, 'pfn0.0/block/pmem0/device'));
  mkdirSync(path.join(region, 'pfn0.0/block/pmem0/pmem0p1'));
  writeFileSync(path.join(region, 'pfn0.0/block/pmem0/pmem0p1/partition'), '1\n');
  mkdirSync(path.join(region, 'namespace0.1'), { recursive: true });
  disk(path.join(region, 'namespace0.1/block/pmem1'), '0\n');
  symlinkSync('../../../namespace0.1', path.join(region, 'namespace0.1/block/pmem1/device'));
  disk(path.join(sys, 'devices/virtual/block/loop3'), '0\n');
  mkdirSync(path.join(sys, 'dev/block'), { recursive: true });
  const link = (dev: string, target: string): void => symlinkSync(`../../devices/${target}`, path.join(sys, 'dev/block', dev));
  link('259:0', 'ndbus0/region0/pfn0.0/block/pmem0');
  link('259:5', 'ndbus0/region0/pfn0.0/block/pmem0/pmem0p1');
  link('259:1', 'ndbus0/region0/namespace0.1/block/pmem1');
  link('7:3', 'virtual/block/loop3');
  return sys;
}

describe('readDaxFilesystems on synthetic mountinfo lines', () => {
  const sys = syntheticSysfs();
  const read = async (...lines: string[]): Promise<DaxFilesystem[]> => {
    const file = path.join(tmp.dir, `mountinfo-${Math.random().toString(36).slice(2)}`);
    writeFileSync(file, lines.map((l, i) => `${100 + i} 1 ${l}`).join('\n') + '\n');
    return readDaxFilesystems({ mountinfo: file, sysfsRoot: sys });
  };
  const one = async (line: string): Promise<DaxFilesystem> => {
    const [fs] = await read(line);
    if (fs === undefined) throw new Error(`no filesystem from ${line}`);
    return fs;
  };

  it('ext4 with the legacy bare dax: always, shown as "dax"', async () => {
    // ext4 itself prints dax=always for -o dax; the bare form is what ext2 (and older kernels) print
    expect(await one('259:0 / /mnt/a rw,relatime - ext4 /dev/pmem0 rw,dax')).toMatchObject({
      dax: 'always', dax_option: 'dax', device_dax: true, blockdev: 'pmem0', namespace: 'namespace0.0', per_inode: false,
    });
  });

  it('dax=never on an fsdax disk: never, no per-inode flags honoured', async () => {
    expect(await one('259:0 / /mnt/n rw - xfs /dev/pmem0 rw,attr2,dax=never,inode64')).toMatchObject({
      dax: 'never', dax_option: 'dax=never', device_dax: true, per_inode: false,
    });
  });

  it('ext2: never without the option, always with the bare dax; never per inode', async () => {
    expect(await one('259:0 / /mnt/e2 rw - ext2 /dev/pmem0 rw')).toMatchObject({ fstype: 'ext2', dax: 'never', dax_option: 'default', per_inode: false });
    expect(await one('259:0 / /mnt/e2 rw - ext2 /dev/pmem0 rw,dax')).toMatchObject({ fstype: 'ext2', dax: 'always', dax_option: 'dax', per_inode: false });
  });

  it('virtiofs: no block device, device DAX unknown, dax=inode by default (not shown) and per inode', async () => {
    expect(await one('0:52 / /mnt/v rw,relatime - virtiofs myfs rw')).toEqual({
      mountpoint: '/mnt/v', source: 'myfs', fstype: 'virtiofs', dev: '0:52', dax: 'inode', dax_option: 'default',
      read_only: false, per_inode: true,
    });
    expect(await one('0:53 / /mnt/v2 rw - virtiofs tag2 rw,dax=always')).toMatchObject({ dax: 'always', dax_option: 'dax=always', per_inode: false });
  });

  it('erofs: never by default, dax=always when given; read-only', async () => {
    expect(await one('7:3 / /mnt/ro ro,relatime - erofs /dev/loop3 ro,user_xattr')).toMatchObject({
      fstype: 'erofs', dax: 'never', dax_option: 'default', device_dax: false, read_only: true, per_inode: false, blockdev: 'loop3',
    });
    expect(await one('259:1 / /mnt/ro2 ro - erofs /dev/pmem1 ro,dax=always')).toMatchObject({ dax: 'always', dax_option: 'dax=always' });
  });

  it('xfs without a dax option: inode (xfs does not show its default); on a raw namespace the device has no DAX', async () => {
    expect(await one('259:1 / /mnt/x rw - xfs /dev/pmem1 rw,attr2,inode64,logbufs=8,logbsize=32k,noquota')).toEqual({
      mountpoint: '/mnt/x', source: '/dev/pmem1', fstype: 'xfs', dev: '259:1', blockdev: 'pmem1', namespace: 'namespace0.1',
      dax: 'inode', dax_option: 'default', device_dax: false, read_only: false, per_inode: false,
    });
  });

  it('a partition of a pmem disk: its own name, the disk\'s queue/dax and namespace; escaped mount points', async () => {
    expect(await one('259:5 / /mnt/with\\040space rw - ext4 /dev/disk/by-label/p rw,dax=inode')).toMatchObject({
      mountpoint: '/mnt/with space', source: '/dev/disk/by-label/p', blockdev: 'pmem0p1', namespace: 'namespace0.0',
      device_dax: true, dax: 'inode', per_inode: true,
    });
  });

  it('a loop device: no namespace, no DAX; other filesystem types and malformed lines are left out; a per-mount ro counts', async () => {
    const all = await read(
      '7:3 / /mnt/l ro,relatime - ext4 /dev/loop3 rw,dax=inode',
      '0:24 / / rw - overlay overlay rw,lowerdir=/lower',
      '0:30 / /run rw - tmpfs tmpfs rw,size=97392k',
      'garbage',
      '8:1 / /srv rw - btrfs /dev/sda1 rw',
    );
    expect(all).toEqual([{
      mountpoint: '/mnt/l', source: '/dev/loop3', fstype: 'ext4', dev: '7:3', blockdev: 'loop3', dax: 'inode',
      dax_option: 'dax=inode', device_dax: false, read_only: true, per_inode: false,
    }]);
  });

  it('a device sysfs does not know: no blockdev, device DAX unknown', async () => {
    expect(await one('8:17 / /mnt/u rw - ext4 /dev/sdb1 rw')).toEqual({
      mountpoint: '/mnt/u', source: '/dev/sdb1', fstype: 'ext4', dev: '8:17', dax: 'inode', dax_option: 'default',
      read_only: false, per_inode: true,
    });
  });
});

const fsOf = (over: Partial<DaxFilesystem>): DaxFilesystem => ({
  mountpoint: '/mnt/p', source: '/dev/pmem0', fstype: 'ext4', dev: '259:0', blockdev: 'pmem0', dax: 'inode',
  dax_option: 'dax=inode', device_dax: true, read_only: false, per_inode: true, ...over,
});

describe('a file\'s state from its flag and S_DAX (classify)', () => {
  const inode = fsOf({});
  const always = fsOf({ dax: 'always', dax_option: 'dax=always', per_inode: false });
  const never = fsOf({ dax: 'never', dax_option: 'dax=never', per_inode: false });
  const noDax = fsOf({ blockdev: 'loop0', device_dax: false, per_inode: false });
  const virtiofs = fsOf({ fstype: 'virtiofs', dax_option: 'default', blockdev: undefined, device_dax: undefined });

  it('dax=inode follows the flag; a flag changed but not yet effective is pending not-evicted', () => {
    expect(classify(inode, 'file', true, true)).toEqual({ requested: true, state: 'dax' });
    expect(classify(inode, 'file', false, false)).toEqual({ requested: false, state: 'not-dax' });
    expect(classify(inode, 'file', true, false)).toEqual({ requested: true, state: 'pending', reason: 'not-evicted' });
    expect(classify(inode, 'file', false, true)).toEqual({ requested: false, state: 'pending', reason: 'not-evicted' });
  });

  it('dax=inode: a set flag without S_DAX is not-evicted while held or not looked up, file-excluded when nobody holds it', () => {
    expect(classify(inode, 'file', true, false, [{ pid: 7, command: 'db' }])).toEqual({ requested: true, state: 'pending', reason: 'not-evicted' });
    expect(classify(inode, 'file', true, false, undefined)).toEqual({ requested: true, state: 'pending', reason: 'not-evicted' });
    expect(classify(inode, 'file', true, false, [])).toEqual({ requested: true, state: 'pending', reason: 'file-excluded' });
    // a cleared flag still DAX with nobody holding it stays not-evicted (the cache may keep it)
    expect(classify(inode, 'file', false, true, [])).toEqual({ requested: false, state: 'pending', reason: 'not-evicted' });
    expect(pendingDetail(inode, 'file-excluded', true, [])).toMatch(/no process has the file open or mapped, yet it is not DAX: .*block size/);
    expect(pendingDetail(inode, 'not-evicted', true, undefined)).toContain('not looked up');
  });

  it('dax=always: every file DAX whatever its flag (a flag-clear file is pending mount-always, the mirror of mount-never); not DAX: excluded by the filesystem', () => {
    expect(classify(always, 'file', false, true)).toEqual({ requested: true, state: 'pending', reason: 'mount-always' });
    expect(changeOutcome(always, false, true, false)).toEqual({ effective_after: true, pending_reason: 'mount-always' });
    expect(classify(always, 'file', true, true)).toEqual({ requested: true, state: 'dax' });
    expect(classify(always, 'file', false, false)).toEqual({ requested: true, state: 'pending', reason: 'file-excluded' });
  });

  it('dax=never: a set flag is pending mount-never; a clear one is not-dax', () => {
    expect(classify(never, 'file', true, false)).toEqual({ requested: false, state: 'pending', reason: 'mount-never' });
    expect(classify(never, 'file', false, false)).toEqual({ requested: false, state: 'not-dax' });
  });

  it('a device without DAX: a set flag is pending device-no-dax (also under dax=never and dax=always)', () => {
    expect(classify(noDax, 'file', true, false)).toEqual({ requested: false, state: 'pending', reason: 'device-no-dax' });
    expect(classify({ ...noDax, dax: 'never' }, 'file', true, false)).toMatchObject({ reason: 'device-no-dax' });
    expect(classify({ ...noDax, dax: 'always' }, 'file', false, false)).toEqual({ requested: false, state: 'not-dax' });
    expect(classify(noDax, 'file', false, false)).toEqual({ requested: false, state: 'not-dax' });
  });

  it('virtiofs dax=inode: the server decides; directories and others are n/a', () => {
    expect(classify(virtiofs, 'file', true, false)).toEqual({ requested: true, state: 'pending', reason: 'virtiofs-server' });
    expect(classify(virtiofs, 'file', false, true)).toMatchObject({ reason: 'virtiofs-server' });
    expect(classify(inode, 'dir', true, undefined)).toEqual({ state: 'n/a' });
    expect(classify(inode, 'other', false, undefined)).toEqual({ state: 'n/a' });
  });
});

describe('the operator\'s sentence for a pending file (pendingDetail)', () => {
  it('not-evicted: names the holders; with none, says how to evict; not looked up, says what it waits for', () => {
    const fs = fsOf({});
    expect(pendingDetail(fs, 'not-evicted', true, [{ pid: 42, command: 'sleep' }, { pid: 43, command: 'db' }]))
      .toBe('The flag was set while the file is in use by pid 42 (sleep), pid 43 (db): it takes effect once every process has closed it and the kernel evicts the inode.');
    expect(pendingDetail(fs, 'not-evicted', false, [])).toMatch(/^The flag was cleared but the inode is still in kernel memory and no process has it open or mapped: .*drop_caches/);
    expect(pendingDetail(fs, 'not-evicted', true, undefined)).not.toMatch(/no process/);
    expect(pendingDetail(fsOf({ dax: 'never', dax_option: 'dax=never' }), 'mount-never', true)).toBe(
      '/mnt/p is mounted dax=never, which ignores the flag: the file becomes DAX only after a remount with dax=inode.');
    expect(pendingDetail(fsOf({ blockdev: 'loop7', device_dax: false }), 'device-no-dax', true)).toContain('(loop7) has no DAX support');
  });
});

describe('what a file\'s flag change will lead to (changeOutcome)', () => {
  it('dax=inode: S_DAX follows once evicted; held open or mapped: pending not-evicted', () => {
    expect(changeOutcome(fsOf({}), true, false, false)).toEqual({ effective_after: true });
    expect(changeOutcome(fsOf({}), true, false, true)).toEqual({ effective_after: true, pending_reason: 'not-evicted' });
    expect(changeOutcome(fsOf({}), false, true, true)).toEqual({ effective_after: false, pending_reason: 'not-evicted' });
  });
  it('the mount or the device overrides the flag: that reason, whether held or not', () => {
    expect(changeOutcome(fsOf({ dax: 'never' }), true, false, true)).toEqual({ effective_after: false, pending_reason: 'mount-never' });
    expect(changeOutcome(fsOf({ dax: 'always' }), false, true, false)).toEqual({ effective_after: true, pending_reason: 'mount-always' });
    expect(changeOutcome(fsOf({ dax: 'always' }), true, true, false)).toEqual({ effective_after: true });
    expect(changeOutcome(fsOf({ device_dax: false }), true, false, false)).toEqual({ effective_after: false, pending_reason: 'device-no-dax' });
    expect(changeOutcome(fsOf({ device_dax: false }), false, false, false)).toEqual({ effective_after: false });
  });
});

describe('the agent reports filesystems', () => {
  const log = {
    info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined,
    fatal: () => undefined, child: () => log, level: 'silent', silent: () => undefined,
  } as unknown as import('fastify').FastifyBaseLogger;

  async function firstReport(inventory: Inventory): Promise<AgentReport> {
    const reports: AgentReport[] = [];
    const agent = new Agent({
      hostId: 'h', hostname: 'h', version: 't', intervalMs: 60_000, scan: async () => inventory, log, target: 'test',
      send: async (report): Promise<AgentReportAck> => {
        reports.push(report);
        return { host_id: report.host_id, inventory_version: 1, changed: true };
      },
    });
    await agent.rescanNow();
    await agent.stop();
    if (reports[0] === undefined) throw new Error('no report');
    return reports[0];
  }

  it('a recorded tree: the filesystems of its mounts.txt', async () => {
    const report = await firstReport(await fixtureInventory('two-dimm-all-modes'));
    expect(report.inventory.filesystems?.map((f) => `${f.mountpoint} ${f.fstype} ${f.dax} ${f.namespace}`)).toEqual([
      '/mnt/fsdax-dev xfs always namespace0.0', '/mnt/fsdax-mem ext4 inode namespace0.1',
    ]);
  });

  it('the live /sys: this machine\'s DAX-capable mounts, as the mount table lists them', async () => {
    const report = await firstReport({ ...(await fixtureInventory('one-dimm-label-less')), sysfs_root: '/sys' });
    const live = await readDaxFilesystems({ mountinfo: '/proc/self/mountinfo', sysfsRoot: '/sys' });
    expect(report.inventory.filesystems).toEqual(live);
  });

  it('a recorded tree without mounts.txt: no filesystems field', async () => {
    const report = await firstReport({ ...(await fixtureInventory('one-dimm-label-less')), sysfs_root: path.join(tmp.dir, 'bare', 'sys') });
    expect(report.inventory).not.toHaveProperty('filesystems');
  });
});
