/**
 * openersOf (agent/recovery/openers.ts) on this machine's /proc: a child holding a file open and a child with it
 * mapped (and no fd) are found with their pid and command; the test process itself, which has the file open too,
 * is not; a device node is found by st_rdev; a vanished process is passed over.
 */
import { openSync, closeSync, statSync, writeFileSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeOpeners, devNumberText, makeDev, majorOf, minorOf, openersOf } from '../src/agent/recovery/openers.js';
import { holdMapped, holdOpen, stop } from './recovery-fixtures.js';
import { tempDir } from './helpers.js';

const tmp = tempDir('daxfleet-openers-');
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) await stop(c);
});
afterAll(() => tmp.remove());

describe('openersOf', () => {
  it('finds a child with the file open and one with it mapped; never this process', async () => {
    const file = path.join(tmp.dir, 'held.bin');
    writeFileSync(file, Buffer.alloc(8192, 1));
    const st = statSync(file);
    const target = { dev: st.dev, ino: st.ino };
    expect(await openersOf('/proc', target)).toEqual([]);

    const ownFd = openSync(file, 'r');
    try {
      const holder = await holdOpen(file);
      children.push(holder);
      const mapper = await holdMapped(file);
      children.push(mapper);
      const found = await openersOf('/proc', target);
      expect(found).toEqual([
        { pid: holder.pid, comm: 'sleep', how: 'fd' },
        { pid: mapper.pid, comm: expect.stringMatching(/^python3/), how: 'mmap' },
      ].sort((a, b) => a.pid! - b.pid!));
      expect(found.some((o) => o.pid === process.pid)).toBe(false);
      // asked to skip another pid instead, this process shows up with its fd
      expect(await openersOf('/proc', target, -1)).toContainEqual({ pid: process.pid, comm: expect.any(String), how: 'fd' });
      expect(describeOpeners(found)).toContain(`pid ${holder.pid} (sleep, open fd)`);

      await stop(holder);
      expect((await openersOf('/proc', target)).map((o) => o.pid)).toEqual([mapper.pid]);
    } finally {
      closeSync(ownFd);
    }
  });

  it('finds a device node by st_rdev (a child with /dev/null as stdin)', async () => {
    const rdev = statSync('/dev/null').rdev;
    expect(devNumberText(rdev)).toBe('1:3');
    const holder = await holdOpen('/dev/null');
    children.push(holder);
    const found = await openersOf('/proc', { rdev });
    expect(found).toContainEqual({ pid: holder.pid, comm: 'sleep', how: 'fd' });
    // a device number no process has open
    expect(await openersOf('/proc', { rdev: makeDev(1, 99999) })).toEqual([]);
  });

  it('passes over processes that vanish or cannot be read (a proc tree with a dead pid)', async () => {
    const proc = path.join(tmp.dir, 'proc');
    mkdirSync(path.join(proc, '4242'), { recursive: true });
    // an fd link to nothing, no maps file: the process is gone
    mkdirSync(path.join(proc, '4242', 'fd'));
    symlinkSync('/nonexistent/file', path.join(proc, '4242', 'fd', '3'));
    mkdirSync(path.join(proc, '4243'));
    expect(await openersOf(proc, { dev: 1, ino: 1 })).toEqual([]);
  });

  it('splits and builds dev_t as glibc does', () => {
    const dev = makeDev(259, 3);
    expect([majorOf(dev), minorOf(dev)]).toEqual([259, 3]);
    const big = makeDev(4095, 1048575);
    expect([majorOf(big), minorOf(big)]).toEqual([4095, 1048575]);
    expect(devNumberText(makeDev(7, 300))).toBe('7:300');
  });
});
