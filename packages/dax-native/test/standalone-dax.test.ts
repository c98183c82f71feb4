/**
 * dax regions that no nd namespace owns (hmem / soft-reserved memory, e.g. `memmap=` or EFI specific-
 * purpose memory). There is no lab recording of one, so the tree is built by hand with the layout of
 * Linux 6.1's dax bus: /sys/bus/dax/devices/daxR.N -> ../../../devices/platform/hmem.R/daxR.N.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanInventory, stringifyNdctl, toDaxctlList, toNdctlList } from '../src/index.js';

let root: string;

function attr(path: string, value: string): void {
  writeFileSync(path, `${value}\n`);
}

beforeAll(() => {
  root = join(mkdtempSync(join(tmpdir(), 'daxfleet-hmem-')), 'sys');
  const region = `${root}/devices/platform/hmem.0`;
  mkdirSync(`${region}/dax_region`, { recursive: true });
  attr(`${region}/dax_region/size`, '4294967296');
  attr(`${region}/dax_region/align`, '2097152');
  attr(`${region}/dax_region/available_size`, '0');
  mkdirSync(`${root}/bus/dax/devices`, { recursive: true });
  mkdirSync(`${root}/bus/dax/drivers/kmem`, { recursive: true });
  mkdirSync(`${root}/bus/dax/drivers/device_dax`, { recursive: true });
  // dax0.0: online as system RAM (kmem), two 128 MiB memory blocks at 0x880000000, both ZONE_MOVABLE
  // dax0.1: plain device-dax
  const devices = [
    { name: 'dax0.0', size: 268435456, resource: 0x880000000, driver: 'kmem' },
    { name: 'dax0.1', size: 268435456, resource: 0x890000000, driver: 'device_dax' },
  ];
  for (const dev of devices) {
    const dir = `${region}/${dev.name}`;
    mkdirSync(`${dir}/mapping0`, { recursive: true });
    attr(`${dir}/size`, String(dev.size));
    attr(`${dir}/align`, '2097152');
    attr(`${dir}/target_node`, '1');
    attr(`${dir}/numa_node`, '0');
    attr(`${dir}/resource`, `0x${dev.resource.toString(16)}`);
    attr(`${dir}/mapping0/start`, `0x${dev.resource.toString(16)}`);
    attr(`${dir}/mapping0/end`, `0x${(dev.resource + dev.size - 1).toString(16)}`);
    attr(`${dir}/mapping0/page_offset`, '0x0');
    symlinkSync('../../../../bus/dax', `${dir}/subsystem`);
    symlinkSync(`../../../../bus/dax/drivers/${dev.driver}`, `${dir}/driver`);
    symlinkSync(`../../../devices/platform/hmem.0/${dev.name}`, `${root}/bus/dax/devices/${dev.name}`);
  }
  const memory = `${root}/devices/system/memory`;
  const node = `${root}/devices/system/node/node1`;
  mkdirSync(node, { recursive: true });
  mkdirSync(memory, { recursive: true });
  attr(`${memory}/block_size_bytes`, '8000000');
  // 0x880000000 / 128 MiB = block 0x110
  for (const index of [0x110, 0x111]) {
    const name = `memory${index}`;
    mkdirSync(`${memory}/${name}`, { recursive: true });
    attr(`${memory}/${name}/phys_index`, index.toString(16).padStart(8, '0'));
    attr(`${memory}/${name}/state`, 'online');
    attr(`${memory}/${name}/valid_zones`, 'Movable');
    symlinkSync(`../../memory/${name}`, `${node}/${name}`);
  }
});

afterAll(() => {
  rmSync(join(root, '..'), { recursive: true, force: true });
});

describe('a standalone (hmem) dax region', () => {
  it('is listed at the top level, with devices, modes and memory blocks as daxctl computes them', async () => {
    const inv = await scanInventory({ sysfsRoot: root });
    expect(inv.buses).toEqual([]);
    expect(inv.warnings).toEqual([]);
    expect(inv.dax_regions).toEqual([
      {
        id: 0, size: 4294967296, align: 2097152, available_size: 0, dev: 'hmem.0', path: '/platform/hmem.0',
        devices: [
          {
            chardev: 'dax0.0', size: 268435456, mode: 'system-ram', state: 'enabled', target_node: 1, numa_node: 0,
            align: 2097152, resource: '0x880000000', online_memblocks: 2, total_memblocks: 2, movable: true,
            mappings: [{ page_offset: 0, start: 0x880000000, end: 0x88fffffff, size: 268435456 }],
          },
          {
            chardev: 'dax0.1', size: 268435456, mode: 'devdax', state: 'enabled', target_node: 1, numa_node: 0,
            align: 2097152, resource: '0x890000000',
            mappings: [{ page_offset: 0, start: 0x890000000, end: 0x89fffffff, size: 268435456 }],
          },
        ],
      },
    ]);
    // ndctl shows nothing (no nd bus); daxctl shows the region
    expect(stringifyNdctl(toNdctlList(inv))).toBe('');
    const daxctl = toDaxctlList(inv);
    expect(daxctl).toHaveLength(1);
    expect(Object.keys(daxctl[0] ?? {})).toEqual(['path', 'id', 'size', 'align', 'devices']);
    expect(stringifyNdctl(daxctl)).toContain('"path":"\\/platform\\/hmem.0",');
  });

  it('drops "movable" when one of the blocks is offline, as daxctl does', async () => {
    attr(`${root}/devices/system/memory/memory273/state`, 'offline');
    const inv = await scanInventory({ sysfsRoot: root });
    const kmem = inv.dax_regions[0]?.devices[0];
    expect(kmem).toMatchObject({ chardev: 'dax0.0', online_memblocks: 1, total_memblocks: 2 });
    expect(kmem?.movable).toBeUndefined();
    attr(`${root}/devices/system/memory/memory273/state`, 'online');
  });
});
