import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DaxChange, FleetCapacity, HostList } from '@daxfleet/shared';
import { freePort, startDaxfleet } from '../support/daxfleet-process';
import { expect, test } from '../support/fixtures';
import { adminToken, createJoinToken, hubJson, hubRequest, loginForCookie, readStorageCookie, storageStateFor, USERS } from '../support/hub-auth';
import { regionsOf, type NdctlBus } from '../support/ndctl-fixture';
import { fixtureDir, repoRoot } from '../support/paths';
import { hubUrl } from '../support/simulated-hosts';

/**
 * The fleet capacity page on the shared e2e hub, whose agents read sysfs trees recorded in the lab. What the page
 * must show is computed here from each recorded tree's witnesses, never from the hub: ndctl-idle.json (what
 * `ndctl list -i` printed, disabled namespaces included, as the agent scans them: each namespace's mode, a devdax namespace counted as system-ram when its device is, the regions' sizes
 * and available space), the kernel's namespaceX.Y/size of the tree (the region space a namespace takes: ndctl's
 * `size` of an fsdax, devdax or sector namespace is smaller by its info block, memmap or BTT, so by-mode bytes add up
 * to the regions' total only with these), and mounts.txt (the mounted ext2/ext4/xfs/virtiofs/erofs by dax mode; a
 * device without DAX per the tree's /sys/block/X/queue/dax). Which tree a host reads is its sysfs_root. Then a
 * viewer sees a planned change but cannot execute it, where an operator can.
 */
type Capacity = FleetCapacity['totals'];
type FsCounts = FleetCapacity['filesystems'];
const MODES = ['raw', 'sector', 'fsdax', 'devdax', 'system-ram', 'free', 'total'] as const;
const DAX_FSTYPES = new Set(['ext2', 'ext4', 'xfs', 'virtiofs', 'erofs']);
const zeroCapacity = (): Capacity => ({ raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0, total: 0 });

/** `ndctl list -BDRNMX -v -i` of the tree (iset_id, beyond a double's range and never read here, quoted first) */
function readIdleNdctl(fixture: string): NdctlBus[] {
  const text = readFileSync(join(fixtureDir(fixture), 'ndctl-idle.json'), 'utf8').replace(/("iset_id":)(-?\d+)/g, '$1"$2"');
  const parsed = JSON.parse(text) as NdctlBus[] | NdctlBus;
  return Array.isArray(parsed) ? parsed : [parsed];
}

/** bytes by mode: each namespace's region space in its mode (ndctl -i), the regions' available and total sizes */
function capacityOf(fixture: string): Capacity {
  const out = zeroCapacity();
  for (const region of regionsOf(readIdleNdctl(fixture))) {
    let occupied = 0;
    for (const ns of region.namespaces ?? []) {
      const space = Number(readFileSync(join(fixtureDir(fixture), 'sys/bus/nd/devices', ns.dev, 'size'), 'utf8'));
      const devices = ns.daxregion?.devices ?? [];
      const mode = ns.mode === 'devdax' && devices.length > 0 && devices.every((d) => d.mode === 'system-ram') ? 'system-ram' : ns.mode;
      if (!(mode in out)) throw new Error(`${fixture}: ${ns.dev} has mode ${mode}, which this spec does not count`);
      out[mode as keyof Capacity] += space;
      occupied += space;
    }
    // ndctl's own figures tie the namespace sizes together: what they take plus what is available is the region
    expect(occupied + (region.available_size ?? 0), `${fixture} ${region.dev}: namespaces + available_size = size`).toBe(region.size);
    out.free += region.available_size ?? 0;
    out.total += region.size;
  }
  return out;
}

/** DAX-capable mounts of the tree's mounts.txt by dax mode (dax.rst: bare `dax` = always; none given: inode, ext2: never) */
function filesystemsOf(fixture: string): FsCounts {
  const out: FsCounts = { inode: 0, always: 0, never: 0, without_device_dax: 0 };
  for (const line of readFileSync(join(fixtureDir(fixture), 'mounts.txt'), 'utf8').split('\n')) {
    const [, tail] = line.split(' - ');
    if (tail === undefined) continue;
    const [fstype = '', source = '', options = ''] = tail.split(' ');
    if (!DAX_FSTYPES.has(fstype)) continue;
    const opts = options.split(',');
    const given = opts.find((o) => /^dax(=(always|never|inode))?$/.test(o));
    const mode = given === undefined ? (fstype === 'ext2' ? 'never' : 'inode') : given === 'dax' ? 'always' : given.slice(4) as 'always' | 'never' | 'inode';
    out[mode] += 1;
    if (source.startsWith('/dev/')) {
      let dax = '';
      try { dax = readFileSync(join(fixtureDir(fixture), 'sys/block', source.slice(5), 'queue/dax'), 'utf8').trim(); } catch { /* not in the tree */ }
      if (dax !== '1') out.without_device_dax += 1;
    }
  }
  return out;
}

/** The recorded tree a host reads (lab/fixtures/NAME/sys), or "live" for an agent on this machine's /sys */
function fixtureOfHost(sysfsRoot: string): string {
  if (sysfsRoot === '/sys') return 'live';
  const rel = relative(join(repoRoot, 'lab/fixtures'), sysfsRoot).split(sep);
  if (rel.length !== 2 || rel[1] !== 'sys' || rel[0] === '..') {
    throw new Error(`host reads ${sysfsRoot}, not a recorded tree under lab/fixtures: this spec cannot compute its capacity independently`);
  }
  return rel[0]!;
}

/** This machine has no NVDIMM (an agent on /sys is a host without pmem): checked, not assumed */
function liveHasNoRegions(): boolean {
  return !existsSync('/sys/bus/nd/devices') || !readdirSync('/sys/bus/nd/devices').some((name) => name.startsWith('region'));
}

type Expected = { fixture: string; capacity: Capacity; filesystems: FsCounts };
async function expected(): Promise<{ hosts: Map<string, Expected>; totals: Capacity; filesystems: FsCounts; withoutPmem: number }> {
  const list = await hubJson<HostList>(hubUrl(), 'GET', '/hosts', 200, { token: adminToken() });
  const hosts = new Map<string, Expected>();
  const totals = zeroCapacity();
  const filesystems: FsCounts = { inode: 0, always: 0, never: 0, without_device_dax: 0 };
  let withoutPmem = 0;
  for (const host of list.hosts) {
    const fixture = fixtureOfHost(host.sysfs_root);
    if (fixture === 'live' && !liveHasNoRegions()) throw new Error('this machine has NVDIMM regions: the spec expects none here');
    const capacity = fixture === 'live' ? zeroCapacity() : capacityOf(fixture);
    const fs = fixture === 'live' ? { inode: 0, always: 0, never: 0, without_device_dax: 0 } : filesystemsOf(fixture);
    hosts.set(host.id, { fixture, capacity, filesystems: fs });
    if (capacity.total === 0) { withoutPmem += 1; continue; }   // no NVDIMM: counted in hosts_without_pmem only
    for (const mode of MODES) totals[mode] += capacity[mode];
    for (const key of ['inode', 'always', 'never', 'without_device_dax'] as const) filesystems[key] += fs[key];
  }
  return { hosts, totals, filesystems, withoutPmem };
}

test('the capacity page shows the bytes by mode and the filesystems by dax mode of every recorded host', async ({ page }) => {
  const want = await expected();
  expect([...want.hosts.values()].map((h) => h.fixture)).toEqual(expect.arrayContaining(['two-dimm-all-modes', 'four-dimm-mixed', 'one-dimm-label-less']));
  // the premise: the trees have every mode but sector-free ones, and both kinds of mounts
  expect(want.totals['system-ram']).toBeGreaterThan(0);
  expect(want.filesystems.inode).toBeGreaterThan(0);
  expect(want.filesystems.always).toBeGreaterThan(0);

  // the REST answer, field by field
  const api = await hubJson<FleetCapacity>(hubUrl(), 'GET', '/fleet/capacity', 200, { token: adminToken() });
  expect(api.totals).toEqual(want.totals);
  expect(api.filesystems).toEqual(want.filesystems);
  expect(api.hosts_without_pmem).toBe(want.withoutPmem);
  for (const [id, host] of want.hosts) {
    const row = api.hosts.find((h) => h.host_id === id);
    if (host.capacity.total === 0) { expect(row).toBeUndefined(); continue; }
    expect(row?.capacity, id).toEqual(host.capacity);
    expect(row?.filesystems, id).toEqual({ inode: host.filesystems.inode, always: host.filesystems.always, never: host.filesystems.never });
  }

  // the page
  await page.goto(`${hubUrl()}/capacity`);
  await expect(page.getByRole('heading', { level: 1, name: 'Capacity by mode' })).toBeVisible();
  const totals = page.getByRole('table', { name: 'Capacity by mode' });
  for (const mode of MODES) {
    const row = totals.getByRole('row').filter({ has: page.getByRole('rowheader', { name: mode, exact: true }) });
    await expect(row.locator('data'), `fleet ${mode}`).toHaveAttribute('value', String(want.totals[mode]));
  }
  const byHost = page.getByRole('table', { name: 'Capacity by host' });
  const headers = (await byHost.getByRole('columnheader').allTextContents()).map((h) => h.trim());
  const column = (name: string) => {
    const index = headers.indexOf(name);
    if (index < 0) throw new Error(`no column "${name}" in ${headers.join(' | ')}`);
    return index;
  };
  const withPmem = [...want.hosts].filter(([, host]) => host.capacity.total > 0);
  await expect(byHost.locator('tbody tr')).toHaveCount(withPmem.length);
  for (const [id, host] of withPmem) {
    const row = byHost.getByRole('row').filter({ has: page.getByRole('link', { name: `DAX of ${id}`, exact: true }) });
    await expect(row).toHaveCount(1);
    const cells = row.locator(':scope > th, :scope > td');
    for (const mode of MODES.filter((m) => m !== 'total')) {
      await expect(cells.nth(column(mode)).locator('data'), `${id} ${mode}`).toHaveAttribute('value', String(host.capacity[mode]));
    }
    const fs = host.filesystems;
    await expect(cells.nth(column('Filesystems (inode / always / never)')), `${id} filesystems`).toHaveText(`${fs.inode} / ${fs.always} / ${fs.never}`);
  }
  await expect(page.getByRole('table', { name: 'Filesystems by DAX mode' }).locator('tbody td'))
    .toHaveText([want.filesystems.inode, want.filesystems.always, want.filesystems.never, want.filesystems.without_device_dax].map(String));
});

test('a viewer sees a planned change but no Execute button; an operator has one', async ({ page, browser }, testInfo) => {
  // The simulated agents read recorded trees and refuse DAX changes; an agent on this machine's /sys (no NVDIMM) can
  // plan a DAX policy on a directory of its ext4 root. Planning is a dry run: nothing on this machine changes.
  const hostId = 'sim-live-dax';
  const target = testInfo.outputPath('policy-target');
  mkdirSync(target, { recursive: true });
  const agent = await startDaxfleet(`agent-${hostId}`, [
    '--role', 'agent', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', testInfo.outputPath('agent-data'),
    '--hub-url', hubUrl(), '--hostname', hostId, '--host-id', hostId, '--interval', '1000',
    '--join-token', await createJoinToken(hubUrl(), adminToken()),
  ], testInfo.outputPath('logs'));
  try {
    await expect.poll(async () => (await hubRequest(hubUrl(), 'GET', `/hosts/${hostId}`, { token: adminToken() })).status, { timeout: 30_000 }).toBe(200);
    const operator = await loginForCookie(hubUrl(), USERS.operator.username, USERS.operator.password);
    const response = await hubRequest(hubUrl(), 'POST', `/hosts/${hostId}/dax/changes`, {
      cookie: operator.header, body: { request: { kind: 'fs-dax-policy', path: target, dax: true, existing: 'none' } },
    });
    const change = await response.json() as DaxChange;
    expect(response.status, JSON.stringify(change)).toBe(201);
    expect(change.status, change.plan.refusal).toBe('planned');

    // the viewer: the host's DAX page lists it, its page says an operator must execute it, no Execute button
    await page.goto(`${hubUrl()}/hosts/${hostId}/dax`);
    const listed = page.getByRole('table', { name: 'DAX changes' }).locator(`a[href="/dax/changes/${change.id}"]`);
    await expect(listed).toHaveText(`Set DAX policy: ${target} (on, existing: none)`);
    await listed.click();
    await expect(page).toHaveURL(new RegExp(`/dax/changes/${change.id}$`));
    await expect(page.getByLabel('Change status')).toHaveText('planned');
    await expect(page.getByRole('table', { name: 'Flag changes' })).toContainText(target);
    await expect(page.getByRole('region', { name: 'Execute' }).getByRole('note')).toContainText('An operator must execute this change.');
    await expect(page.getByRole('button', { name: /^Execute/ })).toHaveCount(0);
    // the hub refuses the viewer's session as well, and the change stays planned
    const refused = await hubRequest(hubUrl(), 'POST', `/dax/changes/${change.id}/execute`, {
      cookie: readStorageCookie(storageStateFor('viewer')), body: { digest: change.plan.digest },
    });
    expect(refused.status).toBe(403);
    expect((await hubJson<DaxChange>(hubUrl(), 'GET', `/dax/changes/${change.id}`, 200, { token: adminToken() })).status).toBe('planned');

    // the same page for an operator has the button (so its absence above is the role, not the page)
    const context = await browser.newContext({ storageState: storageStateFor('operator') });
    try {
      const operatorPage = await context.newPage();
      await operatorPage.goto(`${hubUrl()}/dax/changes/${change.id}`);
      await expect(operatorPage.getByRole('button', { name: 'Execute…' })).toBeVisible();
    } finally {
      await context.close();
    }
  } finally {
    await agent.stop();
  }
});
