/**
 * ndctl lists devices in reverse sysfs directory order, and sysfs orders a directory by kernfs name
 * hash. The hash is checked against this machine's own /sys, read in raw readdir() order.
 */
import { describe, expect, it } from 'vitest';
import { opendirSync } from 'node:fs';
import { compareKernfs, inListOrder, kernfsNameHash } from '../src/sysfs/kernfs-order.js';

function rawReaddir(path: string): string[] {
  const dir = opendirSync(path);
  const names: string[] = [];
  try {
    for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) names.push(entry.name);
  } finally {
    dir.closeSync();
  }
  return names;
}

describe('kernfs name order', () => {
  it.each(['/sys/devices/system/cpu', '/sys/devices/system/memory', '/sys/kernel/mm', '/sys/bus'])(
    'matches the live readdir order of %s',
    (path) => {
      const live = rawReaddir(path);
      expect(live.length).toBeGreaterThan(1);
      expect([...live].sort(compareKernfs)).toEqual(live);
    },
  );

  it('puts region1 before region0 and nmem1 before nmem0 in ndctl listings, as the lab recorded', () => {
    expect(inListOrder(['region0', 'region1'], (n) => n)).toEqual(['region1', 'region0']);
    expect(inListOrder(['nmem0', 'nmem1'], (n) => n)).toEqual(['nmem1', 'nmem0']);
  });

  it('keeps hashes in the range kernfs uses (2 .. INT_MAX-1)', () => {
    for (const name of ['', 'a', 'namespace0.0', 'x'.repeat(300)]) {
      const hash = kernfsNameHash(name);
      expect(hash).toBeGreaterThanOrEqual(2);
      expect(hash).toBeLessThan(0x7fffffff);
    }
  });
});
