import { describe, expect, it } from 'vitest';
import { regionCapacity, summarizeInventory } from './summary.js';
import type { Inventory, Namespace, Region } from './inventory.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

function namespace(over: Partial<Namespace> & Pick<Namespace, 'dev' | 'mode' | 'size'>): Namespace {
  return { state: 'enabled', badblocks: [], badblock_count: 0, ...over };
}

function region(over: Partial<Region> & Pick<Region, 'dev' | 'size'>): Region {
  return { type: 'pmem', state: 'enabled', mappings: [], badblocks: [], badblock_count: 0, namespaces: [], ...over };
}

function inventory(regions: Region[], over: Partial<Inventory> = {}): Inventory {
  return {
    schema_version: 1,
    sysfs_root: '/sys',
    buses: [{ dev: 'ndbus0', provider: 'ACPI.NFIT', dimms: [], regions }],
    dax_regions: [],
    health_source: 'none',
    warnings: [],
    ...over,
  };
}

describe('summarizeInventory', () => {
  it('counts capacity per mode by the space each namespace occupies, and the rest as free', () => {
    const inv = inventory([
      region({
        dev: 'region0', size: 16 * GiB, available_size: 4 * GiB, resource: '0x240000000',
        namespaces: [
          namespace({ dev: 'namespace0.0', mode: 'fsdax', size: 4 * GiB - 64 * MiB, raw_size: 4 * GiB }),
          namespace({ dev: 'namespace0.1', mode: 'sector', size: 2 * GiB }),
          namespace({
            dev: 'namespace0.2', mode: 'devdax', size: 6 * GiB - 96 * MiB, raw_size: 6 * GiB,
            daxregion: { id: 0, size: 6 * GiB, align: 2097152, devices: [
              { chardev: 'dax0.0', size: 5 * GiB, mode: 'system-ram' },
            ] },
          }),
        ],
      }),
      region({
        dev: 'region1', size: 8 * GiB, available_size: 0,
        namespaces: [namespace({ dev: 'namespace1.0', mode: 'raw', size: 8 * GiB })],
      }),
    ]);
    const s = summarizeInventory(inv);
    expect(s.capacity_by_mode).toEqual({
      raw: 8 * GiB, sector: 2 * GiB, fsdax: 4 * GiB, devdax: GiB, 'system-ram': 5 * GiB, free: 4 * GiB,
    });
    const c = s.capacity_by_mode;
    expect(c.raw + c.sector + c.fsdax + c.devdax + c['system-ram'] + c.free).toBe(s.total_capacity);
    expect(s).toMatchObject({ region_count: 2, namespace_count: 4, total_capacity: 24 * GiB, dimm_count: 0 });
  });

  it('counts a namespace whose only device is system RAM wholly as system-ram, overhead included', () => {
    const usable = 376 * MiB;
    const inv = inventory([region({
      dev: 'region1', size: 384 * MiB, available_size: 0,
      namespaces: [namespace({
        dev: 'namespace1.2', mode: 'devdax', size: usable, raw_size: 384 * MiB,
        daxregion: { id: 1, size: usable, align: 2097152, devices: [{ chardev: 'dax1.2', size: usable, mode: 'system-ram' }] },
      })],
    })]);
    expect(summarizeInventory(inv).capacity_by_mode).toMatchObject({ devdax: 0, 'system-ram': 384 * MiB });
  });

  it('counts DIMM health by state, and DIMMs with no health or no SMART command as not_reported', () => {
    const inv = inventory([]);
    inv.buses[0]!.dimms = [
      { dev: 'nmem0', state: 'enabled', health: { supported: true, health_state: 'ok' } },
      { dev: 'nmem1', state: 'enabled', health: { supported: true, health_state: 'critical' } },
      { dev: 'nmem2', state: 'enabled', health: { supported: false } },
      { dev: 'nmem3', state: 'enabled' },
    ];
    expect(summarizeInventory(inv).health).toEqual({
      ok: 1, 'non-critical': 0, critical: 1, fatal: 0, unknown: 0, not_reported: 2,
    });
  });

  it('counts a DIMM whose SMART read failed, or whose health state is unknown, as unknown', () => {
    const inv = inventory([]);
    inv.buses[0]!.dimms = [
      // the submit failed: the addon sets health_state "unknown" as ndctl prints
      { dev: 'nmem0', state: 'enabled', health: { supported: true, health_state: 'unknown', error: 'ndctl_cmd_submit_xlat: EIO' } },
      // the command could not be built: error only
      { dev: 'nmem1', state: 'enabled', health: { supported: true, error: 'ndctl_dimm_cmd_new_smart: command not available' } },
      // an error wins over a state
      { dev: 'nmem2', state: 'enabled', health: { supported: true, health_state: 'ok', error: 'ioctl failed' } },
      // the DIMM answered SMART without a valid health state
      { dev: 'nmem3', state: 'enabled', health: { supported: true, temperature_celsius: 30 } },
      { dev: 'nmem4', state: 'enabled', health: { supported: true, health_state: 'unknown' } },
    ];
    expect(summarizeInventory(inv).health).toEqual({
      ok: 0, 'non-critical': 0, critical: 0, fatal: 0, unknown: 5, not_reported: 0,
    });
  });

  it('counts a bad sector once when the region, namespace and block device lists all show it', () => {
    // region at 0x1000000; namespace 2 MiB into it (sector 4096); fsdax data offset 2 MiB (4096 sectors);
    // the namespace and block device lists count from the first data sector
    const inv = inventory([
      region({
        dev: 'region0', size: GiB, resource: '0x1000000',
        badblocks: [{ offset: 4096 + 4096 + 8, length: 8 }],
        badblock_count: 8,
        namespaces: [namespace({
          dev: 'namespace0.0', mode: 'fsdax', size: 0.5 * GiB, resource: '0x1200000', data_offset: 2 * 1024 * 1024,
          badblocks: [{ offset: 8, length: 8 }],
          badblock_count: 8,
          // overlaps the region's range by 4 sectors and adds 4 of its own (written straight to the block device)
          blockdev_badblocks: [{ offset: 12, length: 8 }],
        })],
      }),
    ]);
    expect(summarizeInventory(inv).badblock_count).toBe(12);
  });

  it('counts bad blocks of a namespace with no known position on their own', () => {
    const inv = inventory([
      region({
        dev: 'region0', size: GiB, badblocks: [{ offset: 0, length: 1 }], badblock_count: 1,
        namespaces: [namespace({ dev: 'namespace0.0', mode: 'raw', size: GiB, blockdev_badblocks: [{ offset: 100, length: 3 }] })],
      }),
    ]);
    expect(summarizeInventory(inv).badblock_count).toBe(4);
  });

  it('counts warnings on every object and capacity of dax regions outside namespaces', () => {
    const inv = inventory([region({ dev: 'region0', size: GiB, warnings: [{ path: 'x', message: 'bad' }] })], {
      warnings: [{ path: 'bus/nd', message: 'unreadable' }],
      dax_regions: [{ id: 5, size: 2 * GiB, align: 4096, devices: [
        { chardev: 'dax5.0', size: GiB, mode: 'devdax', warnings: [{ path: 'y', message: 'odd' }] },
        { chardev: 'dax5.1', size: GiB, mode: 'system-ram' },
      ] }],
    });
    const s = summarizeInventory(inv);
    expect(s.warning_count).toBe(3);
    expect(s.capacity_by_mode.devdax).toBe(GiB);
    expect(s.capacity_by_mode['system-ram']).toBe(GiB);
  });
});

describe('regionCapacity', () => {
  it('counts each namespace by mode with the space it occupies, and available space as free', () => {
    expect(regionCapacity(region({
      dev: 'region0', size: 1024 * MiB, available_size: 320 * MiB,
      namespaces: [
        namespace({ dev: 'namespace0.0', mode: 'fsdax', size: 376 * MiB, raw_size: 384 * MiB }),
        namespace({ dev: 'namespace0.1', mode: 'sector', size: 126 * MiB, raw_size: 128 * MiB }),
        namespace({ dev: 'namespace0.2', mode: 'raw', size: 64 * MiB }),
        namespace({ dev: 'namespace0.3', mode: 'unknown', size: 64 * MiB }),
      ],
    }))).toEqual({ fsdax: 384 * MiB, sector: 128 * MiB, raw: 64 * MiB, devdax: 0, 'system-ram': 0, free: 320 * MiB });
  });

  it('moves the share of a devdax namespace onlined as system RAM, overhead included, to system-ram', () => {
    const kmem = namespace({
      dev: 'namespace1.0', mode: 'devdax', size: 376 * MiB, raw_size: 384 * MiB,
      daxregion: { id: 1, size: 376 * MiB, align: 2 * MiB, devices: [{ chardev: 'dax1.0', size: 376 * MiB, mode: 'system-ram' }] },
    });
    const plain = namespace({
      dev: 'namespace1.1', mode: 'devdax', size: 250 * MiB, raw_size: 256 * MiB,
      daxregion: { id: 1, size: 250 * MiB, align: 2 * MiB, devices: [{ chardev: 'dax1.1', size: 250 * MiB, mode: 'devdax' }] },
    });
    expect(regionCapacity(region({ dev: 'region1', size: 640 * MiB, namespaces: [kmem, plain] }))).toEqual({
      fsdax: 0, sector: 0, raw: 0, devdax: 256 * MiB, 'system-ram': 384 * MiB, free: 0,
    });
  });

  it('sums over the regions to the host summary, without the dax regions outside namespaces', () => {
    const regions = [
      region({
        dev: 'region0', size: 8 * GiB, available_size: 2 * GiB,
        namespaces: [namespace({ dev: 'namespace0.0', mode: 'fsdax', size: 6 * GiB - 96 * MiB, raw_size: 6 * GiB })],
      }),
      region({ dev: 'region1', size: 4 * GiB, namespaces: [namespace({ dev: 'namespace1.0', mode: 'raw', size: 4 * GiB })] }),
    ];
    const total = { raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0 };
    for (const r of regions) {
      for (const [mode, bytes] of Object.entries(regionCapacity(r))) total[mode as keyof typeof total] += bytes;
    }
    expect(total).toEqual(summarizeInventory(inventory(regions)).capacity_by_mode);
  });
});
