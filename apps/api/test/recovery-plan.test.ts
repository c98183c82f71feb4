/**
 * The recovery planner's namespace-level actions on recorded kernels (lab/fixtures, QEMU NVDIMM): clear-errors on
 * a raw namespace (executable unmounted and not busy; refused when mounted or busy), on an fsdax namespace that is
 * mounted, on a sector namespace (refused), on devdax (the bus's recorded `commands`: QEMU has no clear_error;
 * with a copy that lists it as nfit_test and ACPI platforms with the DSM do), a devdax device onlined as system
 * RAM, scrub-recheck (QEMU has no nfit/scrub), and ranges that are not, or only partly, listed any more.
 * Coordinates expected here are the ones agent-media-ranges.test.ts derives by hand from the same trees.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RecoveryRequest } from '@daxfleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { planRecovery } from '../src/agent/recovery/plan.js';
import { checkOf, holdOpen, recordedHost, setAttribute, stop, type RecordedHost, validPlan } from './recovery-fixtures.js';
import { FIXTURES_DIR } from './helpers.js';

const hosts: RecordedHost[] = [];
function recorded(name: string, opts?: Parameters<typeof recordedHost>[1]): RecordedHost {
  const h = recordedHost(name, opts);
  hosts.push(h);
  return h;
}
afterEach(() => {
  for (const h of hosts.splice(0)) h.remove();
});

const RAW: RecoveryRequest = { action: 'clear-errors', range: { region: 'region2', region_offset: 131072, length: 8 } };

describe('clear-errors on a raw namespace (four-dimm-mixed namespace2.0, pmem2)', () => {
  it('is executable when pmem2 is not mounted and not in use: zeros through /dev/pmem2 at the range\'s sector', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), RAW));
    expect(plan.executable).toBe(true);
    expect(plan.refusal).toBeUndefined();
    expect(plan.target).toEqual({ namespace: 'namespace2.0', mode: 'raw', blockdev: 'pmem2', sector: 131072, sectors: 8, spa: '0x104000000' });
    expect(plan.checks.map((c) => [c.id, c.ok])).toEqual([
      ['range-still-bad', true], ['namespace-mode', true], ['not-mounted', true], ['device-not-busy', true], ['not-open', true],
    ]);
    expect(checkOf(plan, 'range-still-bad').detail).toContain('8 of the 8 sectors');
    expect(h.inUseAsked).toEqual(['/dev/pmem2']);
    expect(plan.steps.map((s) => s.op)).toEqual(['write-zeros', 'reread-badblocks']);
    expect(plan.steps[0]!.description).toContain(`writeZeros('/dev/pmem2', ${131072 * 512}, 4096)`);
    expect(plan.steps[1]!.description).toContain(path.join(h.sysfsRoot, 'bus/nd/devices/region2/badblocks'));
    expect(plan.steps[1]!.description).toContain(path.join(h.sysfsRoot, 'block/pmem2/badblocks'));
    expect(plan.data_loss).toEqual([{
      kind: 'device-sectors', device: 'pmem2', sector: 131072, count: 8,
      detail: 'sectors 131072–131079 of /dev/pmem2 (4096 bytes) are overwritten with zeros',
    }]);
    expect(plan.planned_at).toBe('2026-11-27T12:00:00.000Z');
  });

  it('is refused while pmem2 is mounted (naming the mount) and while it is in use', async () => {
    const mounts = readFileSync(path.join(FIXTURES_DIR, 'four-dimm-mixed/mounts.txt'), 'utf8') +
      '77 29 259:2 / /srv/raw rw,relatime - ext4 /dev/pmem2 rw\n';
    const h = recorded('four-dimm-mixed', { mountinfo: mounts, busy: true, copy: false });
    const plan = validPlan(await planRecovery(h.host(), RAW));
    expect(plan.executable).toBe(false);
    expect(checkOf(plan, 'not-mounted')).toMatchObject({ ok: false });
    expect(plan.refusal).toContain('/dev/pmem2 on /srv/raw, ext4');
    expect(plan.refusal).toContain('punch-hole, truncate or delete-restore');
    expect(checkOf(plan, 'device-not-busy')).toMatchObject({ ok: false });
    expect(checkOf(plan, 'device-not-busy').detail).toContain('EBUSY');
    // what would be done is still shown
    expect(plan.steps.map((s) => s.op)).toEqual(['write-zeros', 'reread-badblocks']);
  });

  it('is refused while a process has the device open without O_EXCL (which deviceInUse cannot see)', async () => {
    // the copied tree's pmem2 gets the device number of /dev/null, which a child holds open; the real /proc
    const h = recorded('four-dimm-mixed', { copy: true });
    setAttribute(h.sysfsRoot, 'class/block/pmem2/dev', '1:3\n');
    const holder = await holdOpen('/dev/null');
    try {
      const plan = validPlan(await planRecovery(h.host({ procRoot: '/proc' }), RAW));
      expect(checkOf(plan, 'not-open').ok).toBe(false);
      expect(checkOf(plan, 'not-open').detail).toContain(`pid ${holder.pid} (sleep, open fd)`);
      expect(plan.refusal).toBeDefined();
    } finally {
      await stop(holder);
    }
  });

  it('is refused while a process has a partition of the device open (pmem2p1), not only pmem2 itself', async () => {
    // the copied tree gains a partition pmem2p1 with the device number of /dev/null, which a child holds open
    const h = recorded('four-dimm-mixed', { copy: true });
    setAttribute(h.sysfsRoot, 'class/block/pmem2p1/dev', '1:3\n');
    // the recorded proc directory: no process there
    const quiet = validPlan(await planRecovery(h.host(), RAW));
    expect(checkOf(quiet, 'not-open')).toMatchObject({ ok: true, detail: 'no process has /dev/pmem2, /dev/pmem2p1 open or mapped' });
    const holder = await holdOpen('/dev/null');
    try {
      const plan = validPlan(await planRecovery(h.host({ procRoot: '/proc' }), RAW));
      expect(checkOf(plan, 'not-open').ok).toBe(false);
      // (other processes of this machine hold /dev/null too: the holder is named among them)
      expect(checkOf(plan, 'not-open').detail).toMatch(/^\/dev\/pmem2p1 is open or mapped by pid /);
      expect(checkOf(plan, 'not-open').detail).toContain(`pid ${holder.pid} (sleep, open fd)`);
      expect(checkOf(plan, 'not-open').detail).not.toContain('/dev/pmem2 is open');
      expect(plan.refusal).toBeDefined();
    } finally {
      await stop(holder);
    }
  });

  it('a partition whose device number sysfs does not give fails not-open', async () => {
    const h = recorded('four-dimm-mixed', { copy: true });
    setAttribute(h.sysfsRoot, 'class/block/pmem2p1/size', '8\n');
    const plan = validPlan(await planRecovery(h.host(), RAW));
    expect(checkOf(plan, 'not-open')).toMatchObject({ ok: false, detail: "cannot read pmem2p1's device number from sysfs (class/block/pmem2p1/dev)" });
  });

  it('finds a mount by device number when its source is another name for the device', async () => {
    const h = recorded('four-dimm-mixed', { mountinfo: '77 29 259:2 / /srv/raw rw - xfs /dev/disk/by-id/pmem-x rw\n', copy: false });
    const plan = validPlan(await planRecovery(h.host(), RAW));
    expect(checkOf(plan, 'not-mounted').ok).toBe(false);
  });
});

describe('clear-errors on other modes', () => {
  it('fsdax pmem0 mounted at /mnt/ext4-dax (the recorded mount): refused, the files are recovered through the filesystem', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    // the range only /sys/block/pmem0/badblocks lists ("4096 8"): region0 sector 8192
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region0', region_offset: 8192, length: 8 } }));
    expect(plan.target).toMatchObject({ namespace: 'namespace0.0', mode: 'fsdax', blockdev: 'pmem0', sector: 4096, spa: '0x120400000' });
    expect(checkOf(plan, 'range-still-bad').detail).toContain('/sys/block/pmem0/badblocks');
    expect(plan.executable).toBe(false);
    expect(plan.refusal).toContain('/dev/pmem0 on /mnt/ext4-dax, ext4');
  });

  it('sector namespace0.1: refused, BTT remaps sectors', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region0', region_offset: 614400, length: 8 } }));
    expect(plan.executable).toBe(false);
    expect(checkOf(plan, 'namespace-mode').ok).toBe(false);
    expect(plan.refusal).toContain('BTT remaps sectors');
    expect(plan.refusal).toContain('rewrite the data through the filesystem instead');
    expect(plan.steps).toEqual([]);
    expect(plan.data_loss).toEqual([]);
    expect(h.inUseAsked).toEqual([]);
  });

  it('free space of region3: refused, no namespace holds it', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region3', region_offset: 819200, length: 8 } }));
    expect(plan.executable).toBe(false);
    expect(plan.refusal).toContain('free space of region3');
  });

  it('devdax dax2.1 on QEMU: refused, ndbus0/commands has no clear_error', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    // real /proc: no process on this machine has a device 252:3 (the recorded dax2.1) open
    const plan = validPlan(await planRecovery(h.host({ procRoot: '/proc' }), { action: 'clear-errors', range: { region: 'region2', region_offset: 327680, length: 8 } }));
    expect(plan.target).toEqual({
      namespace: 'namespace2.1', mode: 'devdax', chardev: 'dax2.1', bus: 'ndbus0', spa: '0x10a000000', sector: 0x1a00000 / 512, sectors: 8,
    });
    expect(plan.checks.map((c) => [c.id, c.ok])).toEqual([
      ['range-still-bad', true], ['namespace-mode', true], ['not-system-ram', true], ['not-open', true], ['bus-can-clear', false],
    ]);
    expect(plan.refusal).toContain('ndbus0 does not offer clear_error (ndbus0/commands: cmd_call)');
    expect(plan.steps.map((s) => s.op)).toEqual(['bus-clear-error', 'reread-badblocks']);
    expect(plan.data_loss).toEqual([expect.objectContaining({ kind: 'device-sectors', device: 'dax2.1', sector: 53248, count: 8 })]);
  });

  it('devdax dax2.1 on a bus that lists clear_error: executable, clearing SPA 0x10a000000 + 4096', async () => {
    const h = recorded('four-dimm-mixed', { copy: true });
    setAttribute(h.sysfsRoot, 'bus/nd/devices/ndbus0/commands', 'ars_cap ars_start ars_status clear_error call_dimm\n');
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region2', region_offset: 327680, length: 8 } }));
    expect(plan.executable).toBe(true);
    expect(checkOf(plan, 'bus-can-clear').detail).toContain('clear_error');
    expect(plan.steps[0]!.description).toContain("clearErrorsOnBus({ bus: 'ndbus0', address: 0x10a000000, length: 4096, exact: true })");
  });

  it('a devdax device onlined as system RAM is refused', async () => {
    const h = recorded('devdax-system-ram', { copy: true });
    setAttribute(h.sysfsRoot, 'bus/nd/devices/ndbus0/commands', 'ars_cap ars_start ars_status clear_error\n');
    const before = await h.host().scan();
    const region = before.buses[0]!.regions.find((r) => r.namespaces.some((n) => n.daxregion?.devices.some((d) => d.chardev === 'dax0.0')))!;
    const dev = region.namespaces.flatMap((n) => n.daxregion?.devices ?? []).find((d) => d.chardev === 'dax0.0')!;
    expect(dev.mode).toBe('system-ram');
    const first = dev.mappings?.[0]?.start ?? Number.parseInt(dev.resource!.slice(2), 16);
    // poison 1 MiB into dax0.0, as an MCE would list it in regionN/badblocks
    const offset = (first - Number.parseInt(region.resource!.slice(2), 16)) / 512 + 2048;
    setAttribute(h.sysfsRoot, `bus/nd/devices/${region.dev}/badblocks`, `${offset} 8\n`);
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: region.dev, region_offset: offset, length: 8 } }));
    expect(plan.target.chardev).toBe('dax0.0');
    expect(checkOf(plan, 'not-system-ram').ok).toBe(false);
    expect(plan.refusal).toContain('daxctl offline-memory dax0.0');
    expect(plan.executable).toBe(false);
  });
});

describe('scrub-recheck', () => {
  const request: RecoveryRequest = { action: 'scrub-recheck', range: { region: 'region2', region_offset: 131072, length: 8 } };

  it('QEMU\'s bus cannot scrub (no nfit/scrub): refused', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), request));
    expect(checkOf(plan, 'bus-can-scrub')).toMatchObject({ ok: false });
    expect(plan.refusal).toContain('does not offer address range scrub');
    expect(plan.data_loss).toEqual([]);
  });

  it('a bus with nfit/scrub and no scrub running: executable, start, wait, re-read; refused while one runs', async () => {
    const h = recorded('four-dimm-mixed', { copy: true });
    setAttribute(h.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub', '3\n');
    const plan = validPlan(await planRecovery(h.host(), request));
    expect(plan.executable).toBe(true);
    expect(plan.target).toMatchObject({ bus: 'ndbus0', namespace: 'namespace2.0', spa: '0x104000000', sectors: 8 });
    expect(plan.steps.map((s) => s.op)).toEqual(['start-scrub', 'wait-scrub', 'reread-badblocks']);
    expect(plan.steps[0]!.description).toContain(path.join(h.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub'));
    expect(plan.data_loss).toEqual([]);

    setAttribute(h.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub', '3+\n');
    const busy = validPlan(await planRecovery(h.host(), request));
    expect(busy.executable).toBe(false);
    expect(busy.refusal).toContain('already running on ndbus0');
    // whether a scrub runs decides only whether it may start now: same digest
    expect(busy.digest).toBe(plan.digest);
  });
});

describe('the range as it stands now', () => {
  it('a range that is not listed: no steps, no data loss, refused with the reason', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region2', region_offset: 1000, length: 8 } }));
    expect(plan.executable).toBe(false);
    expect(plan.checks).toEqual([expect.objectContaining({ id: 'range-still-bad', ok: false })]);
    expect(plan.refusal).toContain('region2 sectors 1000–1007 (8 × 512 B) is no longer listed bad');
    expect(plan.steps).toEqual([]);
    expect(plan.data_loss).toEqual([]);
  });

  it('a region this host does not have', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), { action: 'scrub-recheck', range: { region: 'region9', region_offset: 0, length: 8 } }));
    expect(plan.refusal).toContain('this host has no region9 (regions: region0, region1, region2, region3)');
  });

  it('a range only partly listed still counts, with the requested sectors as the target', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const plan = validPlan(await planRecovery(h.host(), { action: 'clear-errors', range: { region: 'region2', region_offset: 131068, length: 8 } }));
    expect(checkOf(plan, 'range-still-bad')).toMatchObject({ ok: true });
    expect(checkOf(plan, 'range-still-bad').detail).toContain('4 of the 8 sectors');
    expect(plan.target).toMatchObject({ blockdev: 'pmem2', sector: 131068, sectors: 8 });
    expect(plan.executable).toBe(true);
  });

  it('file actions refuse what has no file: a devdax range, a sector range, an fsdax range whose device is not mounted', async () => {
    const h = recorded('four-dimm-mixed', { copy: false });
    const devdax = validPlan(await planRecovery(h.host(), { action: 'punch-hole', path: '/mnt/x', range: { region: 'region2', region_offset: 327680, length: 8 } }));
    expect(devdax.refusal).toContain('a device-DAX namespace has no filesystem; use clear-errors');
    const sector = validPlan(await planRecovery(h.host(), { action: 'truncate', path: '/mnt/x', range: { region: 'region0', region_offset: 614400, length: 8 } }));
    expect(sector.refusal).toContain('BTT remaps sectors');
    // namespace3.0 (pmem3) is fsdax but nothing is mounted on it in the recorded table
    const unmounted = validPlan(await planRecovery(h.host(), { action: 'punch-hole', path: '/mnt/x', range: { region: 'region3', region_offset: 204800, length: 8 } }));
    expect(checkOf(unmounted, 'file-on-namespace').ok).toBe(false);
    expect(unmounted.refusal).toContain('/dev/pmem3 carries no mounted ext4, xfs or ext2 filesystem');
    const noPath = validPlan(await planRecovery(h.host(), { action: 'delete-restore', range: { region: 'region3', region_offset: 204800, length: 8 } }));
    expect(noPath.refusal).toContain('give path');
  });

  it('plans twice on an unchanged tree with the same digest; a changed bad-block list changes the plan', async () => {
    const h = recorded('four-dimm-mixed', { copy: true });
    const a = validPlan(await planRecovery(h.host({ now: () => new Date() }), RAW));
    const b = validPlan(await planRecovery(h.host({ now: () => new Date(Date.now() + 5000) }), RAW));
    expect(b.digest).toBe(a.digest);
    // half of the range cleared: still bad, same target (the operator's range) and the same digest
    setAttribute(h.sysfsRoot, 'bus/nd/devices/region2/badblocks', '131072 4\n327680 8\n');
    setAttribute(h.sysfsRoot, 'block/pmem2/badblocks', '131072 4\n');
    const c = validPlan(await planRecovery(h.host(), RAW));
    expect(checkOf(c, 'range-still-bad').detail).toContain('4 of the 8 sectors');
    // all of it cleared: nothing to do any more, and the digest says so
    setAttribute(h.sysfsRoot, 'bus/nd/devices/region2/badblocks', '327680 8\n');
    setAttribute(h.sysfsRoot, 'block/pmem2/badblocks', '');
    const d = validPlan(await planRecovery(h.host(), RAW));
    expect(d.executable).toBe(false);
    expect(d.digest).not.toBe(a.digest);
  });
});
