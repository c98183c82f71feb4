/**
 * The namespace and device-DAX planners on recorded sysfs trees (lab/fixtures): checks with their refusals, steps,
 * data loss, expected state and digests. Planning changes nothing; no device of this machine is touched (the
 * executors are given native calls that fail the test if planning ever reached them).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaxChangeRequest } from '@daxfleet/shared';
import { DaxChangeService, deviceHandlers } from '../src/agent/dax/index.js';
import type { DeviceNative } from '../src/agent/dax/native.js';
import { check, expectWellFormed, holdOpen, recordedDeviceHost, type RecordedDeviceHost } from './dax-device-fixtures.js';

const MiB = 1024 * 1024;

const neverCalled = (): Promise<never> => Promise.reject(new Error('planning must not call the native device changes'));
const native: DeviceNative = {
  createNamespace: neverCalled, reconfigureNamespace: neverCalled, destroyNamespace: neverCalled,
  reconfigureDaxDevice: neverCalled, onlineDaxMemory: neverCalled, offlineDaxMemory: neverCalled,
};

function serviceOn(h: RecordedDeviceHost): DaxChangeService {
  return new DaxChangeService({ handlers: deviceHandlers(h.host, native), now: () => new Date('2026-11-27T12:00:00.000Z') });
}

async function planOn(h: RecordedDeviceHost, request: DaxChangeRequest) {
  const plan = await serviceOn(h).plan(request);
  expectWellFormed(plan);
  return plan;
}

describe('namespace planners on two-dimm-all-modes (xfs on pmem0 at /mnt/fsdax-dev, ext4 on pmem0.1, dax1.2 in system-ram)', () => {
  let h: RecordedDeviceHost;
  beforeAll(() => { h = recordedDeviceHost('two-dimm-all-modes'); });
  afterAll(() => h.remove());

  it('reconfigure of the mounted fsdax namespace is refused, naming the mountpoint; the data loss is spelled out', async () => {
    const plan = await planOn(h, { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'devdax' });
    expect(plan.executable).toBe(false);
    expect(check(plan, 'namespace-exists')).toMatchObject({ ok: true });
    expect(check(plan, 'namespace-not-mounted')).toMatchObject({ ok: false });
    expect(check(plan, 'namespace-not-mounted')?.detail).toContain('/mnt/fsdax-dev');
    expect(plan.refusal).toContain('/mnt/fsdax-dev');
    expect(plan.refusal).toMatch(/umount/);
    expect(plan.before).toMatchObject({ dev: 'namespace0.0', mode: 'fsdax', map: 'dev', blockdev: 'pmem0' });
    expect(plan.data_loss).toEqual([{ description: expect.stringMatching(/^all data on namespace0\.0 \(\d+\.\d\d MiB, fsdax, \/dev\/pmem0\)$/), bytes: expect.any(Number) }]);
    expect(plan.steps.map((s) => s.op)).toEqual([
      'ndctl_namespace_disable_safe', 'zero_info_block', 'ndctl_namespace_delete', 'ndctl_namespace_set_uuid',
      'ndctl_namespace_set_size', 'ndctl_dax_set_namespace', 'ndctl_dax_enable',
    ]);
    expect(plan.expected).toMatchObject({ mode: 'devdax', map: 'dev', align: 2 * MiB });
  });

  it('the ext4 on a partition-less fsdax map=mem namespace is found by its device number too', async () => {
    const plan = await planOn(h, { kind: 'namespace-destroy', namespace: 'namespace0.1' });
    expect(check(plan, 'namespace-not-mounted')).toMatchObject({ ok: false });
    expect(plan.refusal).toContain('/mnt/fsdax-mem');
  });

  it('a devdax namespace whose device is in system-ram mode cannot be reconfigured or destroyed: reconfigure the device first', async () => {
    for (const request of [
      { kind: 'namespace-reconfigure', namespace: 'namespace1.2', mode: 'fsdax' },
      { kind: 'namespace-destroy', namespace: 'namespace1.2' },
    ] as const) {
      const plan = await planOn(h, request);
      expect(plan.executable).toBe(false);
      expect(check(plan, 'namespace-not-open')).toMatchObject({ ok: false });
      expect(plan.refusal).toMatch(/dax1\.2 is in system-ram mode.*reconfigure the device to devdax first/);
    }
  });

  it('destroy of the unmounted raw namespace: executable, ndctl\'s steps, the space comes back to the region', async () => {
    const plan = await planOn(h, { kind: 'namespace-destroy', namespace: 'namespace0.3' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.steps.map((s) => s.op)).toEqual(['ndctl_namespace_disable_safe', 'ndctl_namespace_delete']);
    expect(plan.data_loss).toEqual([{ description: 'all data on namespace0.3 (64.00 MiB, raw, /dev/pmem0.3)', bytes: 64 * MiB }]);
    expect(plan.expected).toEqual({ namespace: 'namespace0.3', gone: true, region_available_size: 320 * MiB + 64 * MiB });
    for (const id of ['namespace-not-mounted', 'namespace-not-open', 'labels-writable']) expect(check(plan, id), id).toMatchObject({ ok: true });
  });

  it('reconfigure to exactly what the namespace is: nothing to change', async () => {
    const plan = await planOn(h, { kind: 'namespace-reconfigure', namespace: 'namespace0.3', mode: 'raw' });
    expect(check(plan, 'mode-differs')).toMatchObject({ ok: false });
    expect(plan.refusal).toMatch(/already raw.*nothing to change/);
    const other = await planOn(h, { kind: 'namespace-reconfigure', namespace: 'namespace0.3', mode: 'sector' });
    expect(other.executable, other.refusal).toBe(true);
    expect(other.expected).toMatchObject({ mode: 'sector', size: 64 * MiB, sector_size: 4096 });
    expect(other.steps.map((s) => s.op)).toEqual([
      'ndctl_namespace_disable_safe', 'ndctl_namespace_delete', 'ndctl_namespace_set_uuid', 'ndctl_namespace_set_size',
      'ndctl_btt_set_namespace', 'ndctl_btt_enable',
    ]);
  });

  it('create: the default is the region\'s largest free extent as devdax with map dev and a 2 MiB align; no data is lost', async () => {
    const plan = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'devdax' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.expected).toEqual({ mode: 'devdax', size: 320 * MiB, map: 'dev', align: 2 * MiB, region_available_size: 0 });
    expect(plan.data_loss).toEqual([]);
    expect(plan.before).toMatchObject({ dev: 'region0', available_size: 320 * MiB, max_available_extent: 320 * MiB });
    expect(plan.before).not.toHaveProperty('namespaces');
    expect(plan.steps[0]).toMatchObject({ op: 'ndctl_region_get_namespace_seed', description: expect.stringContaining('namespace0.4') });
  });

  it('create refusals: more than the free extent, a size off the region align, an unsupported align, a BTT sector size that does not exist', async () => {
    const big = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 336 * MiB });
    expect(check(big, 'region-free-space')).toMatchObject({ ok: false });
    expect(big.refusal).toMatch(/more than region0's largest free extent \(335544320 bytes\)/);

    const odd = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 100 * MiB });
    expect(check(odd, 'params-valid')).toMatchObject({ ok: false });
    expect(odd.refusal).toMatch(/not a multiple of region0's align \(16777216\)/);

    const align = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'devdax', size: 64 * MiB, align: 65536 });
    expect(align.refusal).toMatch(/align 65536 is not supported by region0 \(supported: 4096, 2097152, 1073741824\)/);

    const sector = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'sector', size: 64 * MiB, sector_size: 1000 });
    expect(sector.refusal).toMatch(/sector_size 1000 is not a BTT sector size/);

    const rawAlign = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'raw', size: 64 * MiB, align: 4096 });
    expect(rawAlign.refusal).toMatch(/align applies to fsdax and devdax only/);

    const missing = await planOn(h, { kind: 'namespace-create', region: 'region7', mode: 'raw' });
    expect(check(missing, 'region-exists')).toMatchObject({ ok: false });
    expect(missing.refusal).toMatch(/region7 does not exist on this host \(regions: region1, region0\)|region7 does not exist on this host \(regions: region0, region1\)/);
    expect(missing.steps).toEqual([]);
  });

  it('the digest is the same for the same request on the same host, and differs for another request', async () => {
    const a = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 64 * MiB });
    const b = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 64 * MiB });
    const c = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 128 * MiB });
    expect(a.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(b.digest).toBe(a.digest);
    expect(c.digest).not.toBe(a.digest);
  });
});

/** one writable copy of two-dimm-all-modes over this machine's real /proc; each test puts back what it changed */
let copy: RecordedDeviceHost;
beforeAll(() => { copy = recordedDeviceHost('two-dimm-all-modes', { copy: true, realProc: true }); });
afterAll(() => copy.remove());

async function withAttribute<T>(relative: string, text: string, body: () => Promise<T>): Promise<T> {
  const old = readFileSync(`${copy.sysfsRoot}/${relative}`, 'utf8');
  copy.set(relative, text);
  try {
    return await body();
  } finally {
    copy.set(relative, old);
  }
}

describe('the digest follows the host', () => {
  it('a region whose free space changed between two plans gives another digest (and another expectation)', async () => {
    const request = { kind: 'namespace-create', region: 'region0', mode: 'raw', size: 64 * MiB } as const;
    const before = await planOn(copy, request);
    const after = await withAttribute('bus/nd/devices/region0/available_size', `${256 * MiB}\n`, () => planOn(copy, request));
    expect(after.digest).not.toBe(before.digest);
    expect(after.expected?.region_available_size).toBe(192 * MiB);
  });
});

describe('label-less region (one-dimm-label-less)', () => {
  let h: RecordedDeviceHost;
  beforeAll(() => { h = recordedDeviceHost('one-dimm-label-less'); });
  afterAll(() => h.remove());

  it('create and destroy need labels: refused, saying to initialise them', async () => {
    const create = await planOn(h, { kind: 'namespace-create', region: 'region0', mode: 'fsdax' });
    expect(check(create, 'labels-writable')).toMatchObject({ ok: false });
    expect(create.refusal).toMatch(/ndctl init-labels/);
    const destroy = await planOn(h, { kind: 'namespace-destroy', namespace: 'namespace0.0' });
    expect(check(destroy, 'labels-writable')).toMatchObject({ ok: false });
    expect(destroy.refusal).toMatch(/ndctl init-labels/);
  });

  it('a mode change keeps the size: allowed without labels, with no label steps', async () => {
    const plan = await planOn(h, { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'fsdax' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.steps.map((s) => s.op)).toEqual(['ndctl_namespace_disable_safe', 'ndctl_pfn_set_namespace', 'ndctl_pfn_enable']);
    const resize = await planOn(h, { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'fsdax', size: 512 * MiB });
    expect(check(resize, 'labels-writable')).toMatchObject({ ok: false });
  });
});

describe('device-DAX planners', () => {
  let h: RecordedDeviceHost;
  let sys: RecordedDeviceHost;
  beforeAll(() => {
    h = recordedDeviceHost('two-dimm-all-modes');
    sys = recordedDeviceHost('devdax-system-ram');
  });
  afterAll(() => {
    h.remove();
    sys.remove();
  });

  it('devdax → system-ram: disable, kmem, online movable; the device\'s contents are named as lost', async () => {
    const plan = await planOn(h, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.steps.map((s) => s.op)).toEqual(['daxctl_dev_disable', 'daxctl_dev_enable_ram', 'daxctl_memory_online']);
    expect(plan.expected).toEqual({ mode: 'system-ram', memory: 'online', movable: true });
    expect(plan.data_loss[0]?.description).toMatch(/\/dev\/dax1\.0/);
    expect(plan.before).toMatchObject({ chardev: 'dax1.0', mode: 'devdax', namespace: 'namespace1.0' });
    const notMovable = await planOn(h, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', movable: false });
    expect(notMovable.steps.map((s) => s.op)).toContain('daxctl_memory_online_no_movable');
    expect(notMovable.digest).not.toBe(plan.digest);
  });

  it('system-ram → devdax: offline first (memory hot-remove), no data loss; already-devdax is refused', async () => {
    const plan = await planOn(h, { kind: 'daxdev-reconfigure', device: 'dax1.2', mode: 'devdax' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(plan.steps.map((s) => s.op)).toEqual(['daxctl_memory_offline', 'daxctl_dev_disable', 'daxctl_dev_enable_devdax']);
    expect(plan.steps[0]?.description).toMatch(/hot-remove/);
    expect(plan.data_loss).toEqual([]);
    expect(check(plan, 'memory-offlinable')?.detail).toMatch(/ZONE_MOVABLE/);
    const same = await planOn(h, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'devdax' });
    expect(check(same, 'mode-differs')).toMatchObject({ ok: false });
    expect(same.refusal).toMatch(/already devdax.*nothing to do/);
  });

  it('memory onlined not movable: offlining may fail, and the plan says the executor restores what it offlined', async () => {
    // devdax-system-ram: dax0.1 is online in ZONE_NORMAL (movable: false)
    const plan = await planOn(sys, { kind: 'daxdev-offline', device: 'dax0.1' });
    expect(plan.executable, plan.refusal).toBe(true);
    expect(check(plan, 'memory-offlinable')?.detail).toMatch(/ZONE_NORMAL.*EBUSY.*onlined back/);
  });

  it('memory in use that cannot fit without the device: offlining is refused as certain to fail', async () => {
    // devdax-system-ram: the guest had 2 GiB plus 3 system-ram devices of 250 MiB (one 128 MiB block online each)
    const meminfo = (availableKib: number): string => `MemTotal:        2400000 kB\nMemFree:         ${availableKib} kB\nMemAvailable:    ${availableKib} kB\n`;
    const tight = recordedDeviceHost('devdax-system-ram', { meminfo: meminfo(100_000) });
    const roomy = recordedDeviceHost('devdax-system-ram', { meminfo: meminfo(1_500_000) });
    try {
      const refused = await planOn(tight, { kind: 'daxdev-offline', device: 'dax0.1' });
      expect(check(refused, 'memory-offlinable')).toMatchObject({ ok: false });
      expect(refused.refusal).toMatch(/in use but only .* would remain without dax0\.1's 1 online blocks: offlining cannot succeed/);
      const back = await planOn(tight, { kind: 'daxdev-reconfigure', device: 'dax0.1', mode: 'devdax' });
      expect(check(back, 'memory-offlinable')).toMatchObject({ ok: false });
      const fine = await planOn(roomy, { kind: 'daxdev-offline', device: 'dax0.1' });
      expect(check(fine, 'memory-offlinable')).toMatchObject({ ok: true });
      expect(fine.refusal).toBeUndefined();
    } finally {
      tight.remove();
      roomy.remove();
    }
  });

  it('online / offline when already so, or on a devdax device: refused with what to do', async () => {
    const online = await planOn(sys, { kind: 'daxdev-online', device: 'dax0.1' });
    expect(check(online, 'memory-state')).toMatchObject({ ok: false });
    expect(online.refusal).toMatch(/already online.*nothing to do/);
    const devdax = await planOn(sys, { kind: 'daxdev-offline', device: 'dax0.3' });
    expect(devdax.refusal).toMatch(/dax0\.3 is in devdax mode.*daxctl reconfigure-device -m system-ram dax0\.3/);
    const missing = await planOn(sys, { kind: 'daxdev-online', device: 'dax9.0' });
    expect(check(missing, 'device-exists')).toMatchObject({ ok: false });
  });

  it('online: false is refused where the kernel onlines hot-added memory itself', async () => {
    expect((await planOn(copy, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: false })).executable).toBe(true);
    const plan = await withAttribute('devices/system/memory/auto_online_blocks', 'online_movable\n',
      () => planOn(copy, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: false }));
    expect(check(plan, 'params-valid')).toMatchObject({ ok: false });
    expect(plan.refusal).toMatch(/auto_online_blocks = online_movable/);
  });

  it('online movable (the default) is refused where the kernel auto-onlines, as the native call would; not movable is executable', async () => {
    const request = { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram' } as const;
    expect((await planOn(copy, request)).executable).toBe(true);
    const [movable, notMovable] = await withAttribute('devices/system/memory/auto_online_blocks', 'online\n',
      async () => [await planOn(copy, request), await planOn(copy, { ...request, movable: false })] as const);
    expect(check(movable, 'params-valid')).toMatchObject({ ok: false });
    expect(movable.refusal).toMatch(/movable: true cannot hold.*auto_online_blocks = online\).*movable: false.*auto_online_blocks to offline/);
    expect(notMovable.executable, notMovable.refusal).toBe(true);
  });

  it('a dax device held open by a process is refused, naming the pid and command (found through this machine\'s /proc)', async () => {
    // a copy of the tree whose dax1.0 has /dev/full's number (1:7): a real process holds it open here
    const holder = await holdOpen('/dev/full');
    try {
      copy.set('bus/dax/devices/dax1.0/dev', '1:7\n');
      const plan = await planOn(copy, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram' });
      expect(check(plan, 'device-not-open')).toMatchObject({ ok: false });
      expect(plan.refusal).toContain(`pid ${holder.pid} (sleep, open fd)`);
      // the namespace above it is held too
      const ns = await planOn(copy, { kind: 'namespace-destroy', namespace: 'namespace1.0' });
      expect(check(ns, 'namespace-not-open')).toMatchObject({ ok: false });
      expect(ns.refusal).toContain(`/dev/dax1.0: pid ${holder.pid} (sleep, open fd)`);
      holder.stop();
      await new Promise((r) => setTimeout(r, 100));
      const free = await planOn(copy, { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram' });
      expect(check(free, 'device-not-open')).toMatchObject({ ok: true });
      expect(free.digest).toBe(plan.digest);
    } finally {
      holder.stop();
    }
  });
});
