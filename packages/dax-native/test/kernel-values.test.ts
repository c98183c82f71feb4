/**
 * The inventory holds what the kernel says and nothing else: where sysfs has no value the field is
 * absent, and ndctl's own defaults (sector_size 512, map "mem"/"none", persistence_domain "unknown")
 * are applied by the ndctl formatter, which must still print exactly what ndctl printed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inventory, Namespace } from '@daxfleet/shared';
import { scanInventory, stringifyNdctl, toNdctlList } from '../src/index.js';
import { FIXTURES_DIR } from './recorded-fixtures.js';

let work: string;
let copies = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'daxfleet-kernel-values-'));
});
afterAll(() => {
  execFileSync('rm', ['-rf', work]);
});

/** A private copy of a recorded tree (relative symlinks kept) and the real path of its region0. */
function copyTree(fixture: string): { root: string; region0: string } {
  const root = join(work, `copy${copies++}`, 'sys');
  mkdirSync(join(root, '..'));
  execFileSync('cp', ['-a', `${FIXTURES_DIR}${fixture}/sys`, root]);
  return { root, region0: realpathSync(`${root}/bus/nd/devices/region0`) };
}

function namespace(inv: Inventory, dev: string): Namespace {
  const found = inv.buses.flatMap((b) => b.regions.flatMap((r) => r.namespaces)).find((n) => n.dev === dev);
  if (!found) throw new Error(`${dev} not in inventory`);
  return found;
}

/** The namespace as the ndctl formatter prints it. */
function ndctlNamespace(inv: Inventory, dev: string, idle = false): Record<string, unknown> {
  const buses = toNdctlList(inv, { idle }) as { regions?: { namespaces?: Record<string, unknown>[] }[] }[];
  const found = buses.flatMap((b) => (b.regions ?? []).flatMap((r) => r.namespaces ?? [])).find((n) => n.dev === dev);
  if (!found) throw new Error(`${dev} not in ndctl output`);
  return found;
}

describe('sector_size of a label-less (io) namespace', () => {
  const expected = readFileSync(`${FIXTURES_DIR}one-dimm-label-less/ndctl.json`, 'utf8');

  it('is the block device logical block size, the kernel value, when the namespace has no sector_size', async () => {
    const inv = await scanInventory({ sysfsRoot: `${FIXTURES_DIR}one-dimm-label-less/sys` });
    const ns = namespace(inv, 'namespace0.0');
    expect(ns.sector_size).toBe(512);
    expect(ns.warnings).toBeUndefined();
  });

  it('is absent when the kernel gives none at all, while --format ndctl still prints ndctl 512', async () => {
    const { root, region0 } = copyTree('one-dimm-label-less');
    unlinkSync(`${region0}/namespace0.0/block/pmem0/queue/logical_block_size`);
    const inv = await scanInventory({ sysfsRoot: root });
    const ns = namespace(inv, 'namespace0.0');
    expect(ns.sector_size).toBeUndefined();
    expect('sector_size' in ns).toBe(false);
    expect(ns.warnings).toBeUndefined();
    expect(stringifyNdctl(toNdctlList(inv))).toBe(expected);
  });

  it('takes a 4096 logical block size as it is (the kernel value, not a default)', async () => {
    const { root, region0 } = copyTree('one-dimm-label-less');
    writeFileSync(`${region0}/namespace0.0/block/pmem0/queue/logical_block_size`, '4096\n');
    const inv = await scanInventory({ sysfsRoot: root });
    expect(namespace(inv, 'namespace0.0').sector_size).toBe(4096);
    expect(ndctlNamespace(inv, 'namespace0.0').sector_size).toBe(4096);
  });

  it('is absent on an unconfigured labelled namespace that selects none (ndctl -i prints 512)', async () => {
    const inv = await scanInventory({ sysfsRoot: `${FIXTURES_DIR}two-dimm-all-modes/sys`, idle: true });
    const seed = namespace(inv, 'namespace0.4'); // sector_size "512 4096": nothing selected, no block device
    expect(seed.sector_size).toBeUndefined();
    expect(ndctlNamespace(inv, 'namespace0.4', true).sector_size).toBe(512);
    expect(stringifyNdctl(toNdctlList(inv, { idle: true }))).toBe(readFileSync(`${FIXTURES_DIR}two-dimm-all-modes/ndctl-idle.json`, 'utf8'));
  });
});

describe('map and holder of fsdax namespaces', () => {
  it('takes map from the pfn claim and names the claim as holder', async () => {
    const inv = await scanInventory({ sysfsRoot: `${FIXTURES_DIR}two-dimm-all-modes/sys` });
    const ns = namespace(inv, 'namespace0.0');
    expect(ns.mode).toBe('fsdax');
    expect(ns.holder).toBe('pfn0.0');
    expect(ns.map).toBe(ndctlNamespace(inv, 'namespace0.0').map);
  });

  it('leaves map absent for a claim-less fsdax namespace; the ndctl formatter prints ndctl "mem"', async () => {
    const { root, region0 } = copyTree('two-dimm-all-modes');
    writeFileSync(`${region0}/namespace0.3/mode`, 'memory\n'); // legacy (e820) pmem: fsdax without a pfn device
    const inv = await scanInventory({ sysfsRoot: root });
    const ns = namespace(inv, 'namespace0.3');
    expect(ns.mode).toBe('fsdax');
    expect(ns.holder).toBeUndefined();
    expect('map' in ns).toBe(false);
    expect(ns.size).toBe(ns.raw_size);
    expect(ns.warnings).toBeUndefined();
    expect(ndctlNamespace(inv, 'namespace0.3')).toMatchObject({ mode: 'fsdax', map: 'mem', sector_size: 512 });
  });

  it('leaves map absent for a pfn claim without a location; the ndctl formatter prints "none"', async () => {
    const { root, region0 } = copyTree('two-dimm-all-modes');
    writeFileSync(`${region0}/pfn0.0/mode`, 'none\n');
    const inv = await scanInventory({ sysfsRoot: root });
    const ns = namespace(inv, 'namespace0.0');
    expect(ns.holder).toBe('pfn0.0');
    expect('map' in ns).toBe(false);
    expect(ndctlNamespace(inv, 'namespace0.0').map).toBe('none');
  });
});

describe('usable size the kernel does not give', () => {
  it('falls back to the raw size and says it is an upper bound, naming the missing claim', async () => {
    const { root, region0 } = copyTree('two-dimm-all-modes');
    writeFileSync(`${region0}/namespace0.3/mode`, 'safe\n'); // sector mode, but no btt holds it
    const inv = await scanInventory({ sysfsRoot: root });
    const ns = namespace(inv, 'namespace0.3');
    expect(ns.size).toBe(ns.raw_size);
    expect(ns.warnings).toContainEqual({
      path: 'bus/nd/devices/namespace0.3/size',
      message: "usable size unknown (no btt claim device); size is the raw namespace size, an upper bound that does not subtract the claim's info block or memmap",
    });
  });

  it('names the unreadable claim size', async () => {
    const { root, region0 } = copyTree('two-dimm-all-modes');
    unlinkSync(`${region0}/pfn0.0/size`);
    const inv = await scanInventory({ sysfsRoot: root });
    const ns = namespace(inv, 'namespace0.0');
    expect(ns.size).toBe(ns.raw_size);
    expect(ns.warnings?.map((w) => w.message)).toContain(
      "usable size unknown (bus/nd/devices/pfn0.0/size unreadable); size is the raw namespace size, an upper bound that does not subtract the claim's info block or memmap",
    );
  });
});

describe('persistence_domain', () => {
  it('is absent when the kernel writes none; the ndctl formatter prints "unknown"', async () => {
    const { root, region0 } = copyTree('two-dimm-all-modes');
    writeFileSync(`${region0}/persistence_domain`, '\n');
    const inv = await scanInventory({ sysfsRoot: root });
    const r0 = inv.buses[0]?.regions.find((r) => r.dev === 'region0');
    expect(r0).toBeDefined();
    expect(r0?.persistence_domain).toBeUndefined();
    expect(r0?.warnings).toBeUndefined();
    expect(stringifyNdctl(toNdctlList(inv))).toContain('"persistence_domain":"unknown"');
  });
});

describe('a root that is not a sysfs', () => {
  it('warns on a directory with no NVDIMM or dax subsystem and no sysfs layout, keeping the empty inventory', async () => {
    const root = join(work, 'not-sysfs');
    mkdirSync(`${root}/etc`, { recursive: true });
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv.buses).toEqual([]);
    expect(inv.dax_regions).toEqual([]);
    expect(inv.warnings).toHaveLength(1);
    expect(inv.warnings[0]?.path).toBe('.');
    expect(inv.warnings[0]?.message).toContain(`no NVDIMM bus or dax subsystem found under ${root}`);
    expect(inv.warnings[0]?.message).toContain('not because the host has no persistent memory');
    expect(stringifyNdctl(toNdctlList(inv))).toBe('');
  });

  it('points at sys/ when given a recorded fixture directory instead of its sys/', async () => {
    const root = `${FIXTURES_DIR}one-dimm-label-less`;
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv.buses).toEqual([]);
    expect(inv.warnings.map((w) => w.message)).toEqual([
      `no NVDIMM bus or dax subsystem found under ${root} (none of bus/nd, class/nd, bus/dax), and it does not look like a sysfs mount ` +
        `(no kernel/ or devices/system/): probably not a sysfs root; ${root}/sys has them: a recorded tree is read from its sys/ directory`,
    ]);
  });

  it('does not warn on a real sysfs layout without NVDIMMs (kernel/ and devices/system, no bus/nd)', async () => {
    const root = join(work, 'sysfs-without-nd', 'sys');
    mkdirSync(`${root}/kernel`, { recursive: true });
    mkdirSync(`${root}/devices/system`, { recursive: true });
    mkdirSync(`${root}/bus/pci`, { recursive: true });
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv).toEqual({ schema_version: 1, sysfs_root: root, buses: [], dax_regions: [], health_source: 'none', warnings: [] });
  });

  it('does not warn on the live /sys of this machine, which has no NVDIMM', async () => {
    const inv = await scanInventory({ sysfsRoot: '/sys', health: false });
    expect(inv.buses).toEqual([]);
    expect(inv.warnings).toEqual([]);
  });
});
