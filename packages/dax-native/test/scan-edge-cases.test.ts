/**
 * How the reader behaves on damaged or unusual trees: a copy of a recorded kernel, altered one
 * attribute at a time, plus hand-made roots. Absent stays absent, malformed becomes a warning on
 * its object, and the scan goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inventory, Namespace, Region } from '@daxfleet/shared';
import { scanInventory, stringifyNdctl, toNdctlList } from '../src/index.js';
import { FIXTURES_DIR } from './recorded-fixtures.js';

const SOURCE = `${FIXTURES_DIR}two-dimm-all-modes/sys`;
let work: string;
let copies = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'daxfleet-sysfs-'));
});
afterAll(() => {
  execFileSync('rm', ['-rf', work]);
});

/** A private copy of the recorded tree (symlinks kept as they are) and the real path of its region0. */
function copyTree(): { root: string; region0: string; region1: string } {
  const root = join(work, `copy${copies++}`, 'sys');
  mkdirSync(join(root, '..'));
  execFileSync('cp', ['-a', SOURCE, root]); // -a keeps the relative symlinks that make it a sysfs tree
  const region0 = realpathSync(`${root}/bus/nd/devices/region0`);
  const region1 = realpathSync(`${root}/bus/nd/devices/region1`);
  return { root, region0, region1 };
}

function region(inv: Inventory, dev: string): Region {
  const found = inv.buses.flatMap((b) => b.regions).find((r) => r.dev === dev);
  if (!found) throw new Error(`${dev} not in inventory`);
  return found;
}

function namespace(inv: Inventory, dev: string): Namespace {
  const found = inv.buses.flatMap((b) => b.regions.flatMap((r) => r.namespaces)).find((n) => n.dev === dev);
  if (!found) throw new Error(`${dev} not in inventory`);
  return found;
}

describe('the scan root', () => {
  it('rejects a missing root with ENOENT and the path', async () => {
    const path = join(work, 'no-such-dir');
    await expect(scanInventory({ sysfsRoot: path })).rejects.toMatchObject({ code: 'ENOENT', path });
  });

  it('rejects a file given as root with ENOTDIR', async () => {
    const path = join(work, 'a-file');
    writeFileSync(path, 'not a directory');
    await expect(scanInventory({ sysfsRoot: path })).rejects.toMatchObject({ code: 'ENOTDIR', path });
  });

  it('reads a tree without any NVDIMM as zero buses and no warnings', async () => {
    const root = join(work, 'empty', 'sys');
    mkdirSync(`${root}/class/nd`, { recursive: true });
    mkdirSync(`${root}/bus/nd/devices`, { recursive: true });
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv).toEqual({ schema_version: 1, sysfs_root: root, buses: [], dax_regions: [], health_source: 'none', warnings: [] });
    expect(stringifyNdctl(toNdctlList(inv))).toBe(''); // `ndctl list` prints nothing there
  });

  it('asks for health explicitly on a recorded tree: a warning or health, never a throw', async () => {
    const inv = await scanInventory({ sysfsRoot: SOURCE, health: true });
    if (inv.health_source === 'none') expect(inv.warnings.map((w) => w.path)).toContain('health');
    else expect(inv.health_source).toBe('libndctl');
  });
});

describe('damaged attributes', () => {
  it('skips a region whose size is malformed and says so on its bus', async () => {
    const { root, region0 } = copyTree();
    writeFileSync(`${region0}/size`, 'lots\n');
    const inv = await scanInventory({ sysfsRoot: root });
    const bus = inv.buses[0];
    expect(bus?.regions.map((r) => r.dev)).toEqual(['region1']);
    expect(bus?.warnings).toContainEqual({ path: 'bus/nd/devices/region0/size', message: 'not an unsigned integer: "lots"' });
  });

  it('leaves out a malformed numa_node with a warning on that namespace only', async () => {
    const { root, region0 } = copyTree();
    writeFileSync(`${region0}/namespace0.3/numa_node`, 'zero\n');
    const inv = await scanInventory({ sysfsRoot: root });
    const raw = namespace(inv, 'namespace0.3');
    expect(raw.numa_node).toBeUndefined();
    expect(raw.target_node).toBe(0);
    expect(raw.warnings).toEqual([{ path: 'bus/nd/devices/namespace0.3/numa_node', message: 'not an integer: "zero"' }]);
    expect(namespace(inv, 'namespace0.0').warnings).toBeUndefined();
  });

  it('leaves out an attribute the kernel does not have, without a warning and without a zero', async () => {
    const { root, region0 } = copyTree();
    unlinkSync(`${region0}/align`);
    unlinkSync(`${region0}/max_available_extent`);
    const inv = await scanInventory({ sysfsRoot: root });
    const r0 = region(inv, 'region0');
    expect(r0.align).toBeUndefined();
    expect(r0.max_available_extent).toBeUndefined();
    expect(r0.warnings).toBeUndefined();
    const text = stringifyNdctl(toNdctlList(inv));
    expect(text).toContain('"dev":"region0",\n        "size":1073741824,\n        "available_size":335544320,\n        "type":"pmem"');
  });

  it('reports an attribute that cannot be read as unreadable', async () => {
    const { root, region1 } = copyTree();
    rmSync(`${region1}/align`);
    mkdirSync(`${region1}/align`); // read() of a directory fails with EISDIR
    const inv = await scanInventory({ sysfsRoot: root });
    const r1 = region(inv, 'region1');
    expect(r1.align).toBeUndefined();
    expect(r1.size).toBe(1073741824);
    expect(r1.warnings).toEqual([{ path: 'bus/nd/devices/region1/align', message: 'unreadable: is a directory, expected an attribute' }]);
  });

  it('keeps iset_id exact as a signed 64-bit integer when the cookie has its top bit set', async () => {
    const { root, region0 } = copyTree();
    writeFileSync(`${region0}/set_cookie`, '0xfedcba9876543210\n');
    const inv = await scanInventory({ sysfsRoot: root });
    expect(region(inv, 'region0').iset_id).toBe('-81985529216486896');
    expect(stringifyNdctl(toNdctlList(inv))).toContain('"iset_id":-81985529216486896,');
  });

  it('reads a running ARS scrub from the bus', async () => {
    const { root, region0 } = copyTree();
    const busDir = region0.slice(0, region0.lastIndexOf('/'));
    writeFileSync(`${busDir}/nfit/scrub`, '3+\n');
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv.buses[0]).toMatchObject({ scrub_state: 'active', scrub_count: 3 });
    expect(stringifyNdctl(toNdctlList(inv))).toContain('"dev":"ndbus0",\n    "scrub_state":"active",\n');
  });

  it('maps NFIT DIMM flags to the flag_* fields ndctl prints', async () => {
    const { root, region0 } = copyTree();
    const busDir = region0.slice(0, region0.lastIndexOf('/'));
    writeFileSync(`${busDir}/nmem0/nfit/flags`, 'save_fail smart_notify \n');
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv.buses[0]?.dimms.find((d) => d.dev === 'nmem0')?.flags).toEqual(['save_fail', 'smart_notify']);
    const json = toNdctlList(inv) as { dimms: Record<string, unknown>[] }[];
    const nmem0 = json[0]?.dimms.find((d) => d.dev === 'nmem0');
    expect(nmem0).toEqual({ dev: 'nmem0', id: '8680-56341200', handle: 1, phys_id: 0, flag_failed_save: true });
  });
});

describe('bad blocks in the region, as ndctl places them', () => {
  // region0 of two-dimm-all-modes starts at 0x140000000; namespace0.0 (fsdax map=dev) at region offset
  // 0 with 8 MiB of info block + memmap; namespace0.3 (raw) at region offset 384+128+128 MiB.
  it('clips region ranges to each fsdax namespace, relative to its first data byte, naming the DIMM', async () => {
    const { root, region0 } = copyTree();
    // 8 sectors 1 MiB into namespace0.0's data, and 4 sectors straddling its data start
    const dataStart = (8 << 20) / 512;
    writeFileSync(`${region0}/badblocks`, `${dataStart + 2048} 8\n${dataStart - 2} 4\n`);
    const inv = await scanInventory({ sysfsRoot: root });
    const fsdax = namespace(inv, 'namespace0.0');
    expect(fsdax.badblocks).toEqual([
      { offset: 2048, length: 8, dimms: ['nmem1'] },
      { offset: 0, length: 2, dimms: ['nmem1'] },
    ]);
    expect(fsdax.badblock_count).toBe(10);
    expect(region(inv, 'region0').badblock_count).toBe(12);
    // ndctl lists the region's whole list, region-relative, for a raw namespace of that region
    const raw = namespace(inv, 'namespace0.3');
    expect(raw.badblocks).toEqual(region(inv, 'region0').badblocks);
    // while the block device's own list stays as the kernel shows it
    expect(raw.blockdev_badblocks).toEqual([{ offset: 1000, length: 8 }]);
  });

  it('warns about a malformed bad-block line and keeps the lines before it', async () => {
    const { root, region0 } = copyTree();
    writeFileSync(`${region0}/badblocks`, '100 8\nbogus\n300 8\n');
    const inv = await scanInventory({ sysfsRoot: root });
    const r0 = region(inv, 'region0');
    expect(r0.badblocks).toEqual([{ offset: 100, length: 8, dimms: ['nmem1'] }]);
    expect(r0.warnings).toEqual([{ path: 'bus/nd/devices/region0/badblocks', message: 'malformed bad-block line: "bogus"' }]);
  });
});
