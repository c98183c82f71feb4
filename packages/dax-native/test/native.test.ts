/**
 * The addon against this machine's real kernel: libndctl's view of the NVDIMM buses, and the DAX
 * syscalls on real files of the root filesystem (ext4). Files are created under a fresh temporary
 * directory only; no device is touched.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, rm, statfs, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FS_XFLAG_DAX,
  addonPath,
  compiledVersions,
  getFsxattr,
  isAvailable,
  loadError,
  readDimmHealth,
  setFsxattr,
  statxDax,
  type NativeError,
} from '../src/addon.js';

const EXT4_SUPER_MAGIC = 0xef53;
const FS_XFLAG_NODUMP = 0x80;

/** The DIMMs the kernel lists in sysfs: what libndctl must enumerate too. */
async function sysfsDimms(): Promise<string[]> {
  try {
    return (await readdir('/sys/bus/nd/devices')).filter((name) => /^nmem\d+$/.test(name)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // no nd bus registered at all
    throw err;
  }
}

/** A scratch directory on ext4: os.tmpdir() unless that is another filesystem (e.g. tmpfs). */
async function ext4ScratchDir(): Promise<string | undefined> {
  for (const base of [tmpdir(), '/var/tmp']) {
    if ((await statfs(base)).type === EXT4_SUPER_MAGIC) return mkdtemp(join(base, 'dax-native-test-'));
  }
  return undefined;
}

async function rejection(promise: Promise<unknown>): Promise<NativeError> {
  try {
    await promise;
  } catch (err) {
    return err as NativeError;
  }
  throw new Error('expected the call to reject');
}

describe('loader', () => {
  it('loads the compiled addon from the package build directory', () => {
    expect(loadError()).toBeUndefined();
    expect(isAvailable()).toBe(true);
    expect(addonPath()).toMatch(/\/packages\/dax-native\/build\/(Release|Debug)\/dax_native\.node$/);
  });

  it('reports the libndctl version it was compiled against, as pkg-config gives it', () => {
    const pkgConfig = execFileSync('pkg-config', ['--modversion', 'libndctl'], { encoding: 'utf8' }).trim();
    expect(compiledVersions()).toEqual({ libndctl: pkgConfig, libdaxctl: expect.any(String), napi: 8 });
  });
});

describe('readDimmHealth', () => {
  it('has exactly the DIMMs sysfs lists (a host without NVDIMMs, like this one, gets an empty Map)', async () => {
    const health = await readDimmHealth();
    expect([...health.keys()].sort()).toEqual(await sysfsDimms());
    for (const entry of health.values()) {
      expect(typeof entry.supported).toBe('boolean');
      expect(entry).not.toHaveProperty('bus');
      expect(entry).not.toHaveProperty('dev');
      if (!entry.supported) expect(Object.keys(entry)).toEqual(['supported']);
    }
  });

  it('serves concurrent calls through the one locked context with the same answer', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => readDimmHealth()));
    const first = [...results[0]!.entries()];
    for (const result of results) expect([...result.entries()]).toEqual(first);
  });

  it('works in a worker thread, which then exits cleanly through the environment cleanup hook', async () => {
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       require(workerData).dimmHealth().then((r) => parentPort.postMessage(r.length));`,
      { eval: true, workerData: addonPath() },
    );
    const messages: unknown[] = [];
    worker.on('message', (m) => messages.push(m));
    const exitCode = await new Promise((resolve, reject) => {
      worker.once('exit', resolve);
      worker.once('error', reject);
    });
    expect({ exitCode, messages }).toEqual({ exitCode: 0, messages: [(await sysfsDimms()).length] });
    // The main thread's own context is unaffected by the worker's cleanup.
    expect((await readDimmHealth()).size).toBe((await sysfsDimms()).length);
  });
});

describe('errors shaped like Node fs errors', () => {
  it('getFsxattr on a missing path rejects with ENOENT from open', async () => {
    const missing = join(tmpdir(), 'dax-native-test-does-not-exist');
    const err = await rejection(getFsxattr(missing));
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'open', path: missing });
    expect(err.message).toBe(`ENOENT: no such file or directory, open '${missing}'`);
    expect(err.stack).toContain('native.test.ts'); // the awaiting caller's frame, not just the addon's
  });

  it('statxDax on a missing path rejects with ENOENT from statx', async () => {
    const missing = join(tmpdir(), 'dax-native-test-does-not-exist');
    expect(await rejection(statxDax(missing))).toMatchObject({ code: 'ENOENT', errno: -2, syscall: 'statx', path: missing });
  });

  it('a filesystem without fsxattr support rejects with ENOTTY from the ioctl', async () => {
    const err = await rejection(setFsxattr('/proc/self/status', { dax: true }));
    expect(err).toMatchObject({ code: 'ENOTTY', errno: -25, syscall: 'ioctl', path: '/proc/self/status', detail: 'FS_IOC_FSGETXATTR' });
  });

  it('rejects bad arguments in TypeScript before reaching the addon', async () => {
    await expect(getFsxattr('')).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    await expect(statxDax('a\0b')).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
    await expect(setFsxattr('/tmp', { dax: 'yes' } as unknown as { dax: boolean })).rejects.toThrow('flags.dax must be a boolean');
  });
});

describe('FS_XFLAG_DAX and statx on ext4', async () => {
  const scratch = await ext4ScratchDir();
  afterAll(async () => {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });
  beforeAll(() => {
    if (!scratch) throw new Error('no ext4 directory for scratch files (os.tmpdir() and /var/tmp are not ext4)');
  });

  it('sets and clears the flag on a file, keeping its other flags', async () => {
    const file = join(scratch!, 'roundtrip');
    await writeFile(file, 'data');
    execFileSync('chattr', ['+d', file]); // no-dump: an unrelated flag the update must not lose
    const before = await getFsxattr(file);
    expect(before.dax).toBe(false);
    expect(before.xflags & FS_XFLAG_NODUMP).toBe(FS_XFLAG_NODUMP);

    const set = await setFsxattr(file, { dax: true });
    expect(set.dax).toBe(true);
    expect(set.xflags).toBe(before.xflags | FS_XFLAG_DAX);
    expect(await getFsxattr(file)).toEqual(set); // persisted, not just echoed
    expect(execFileSync('lsattr', ['-d', file], { encoding: 'utf8' })).toMatch(/^\S*x\S*\s/); // e2fsprogs agrees

    const cleared = await setFsxattr(file, { dax: false });
    expect(cleared).toEqual(before);
  });

  it('setting an already-set flag is a no-op that succeeds', async () => {
    const file = join(scratch!, 'idempotent');
    await writeFile(file, '');
    await setFsxattr(file, { dax: true });
    expect((await setFsxattr(file, { dax: true })).dax).toBe(true);
  });

  it('a file created in a flagged directory inherits the flag; one created before does not', async () => {
    const dir = join(scratch!, 'flagged');
    await mkdir(dir);
    await writeFile(join(dir, 'before'), '');
    expect((await setFsxattr(dir, { dax: true })).dax).toBe(true);
    await writeFile(join(dir, 'after'), '');
    expect((await getFsxattr(join(dir, 'after'))).dax).toBe(true);
    expect((await getFsxattr(join(dir, 'before'))).dax).toBe(false);
  });

  it('statx reports the DAX attribute, false without DAX media even when the flag is set', async () => {
    const file = join(scratch!, 'statx');
    await writeFile(file, 'data');
    await setFsxattr(file, { dax: true });
    expect(await statxDax(file)).toEqual({ dax: false, reported: true });
    expect(await statxDax(scratch!)).toEqual({ dax: false, reported: true });
  });
});
