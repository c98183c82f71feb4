import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { DaxChange, FleetCapacity, HostList } from '@daxfleet/shared';
import { expect, test } from '../support/fixtures';
import { adminToken, hubJson, hubRequest, loginForCookie, readStorageCookie, storageStateFor, USERS } from '../support/hub-auth';
import { namespacesOf, readNdctlFixture, regionsOf } from '../support/ndctl-fixture';
import { fixtureDir, repoRoot } from '../support/paths';
import { hubUrl } from '../support/simulated-hosts';

/**
 * The fleet capacity page on the shared e2e hub, whose agents read sysfs trees recorded in the lab. What the page
 * must show is computed here from each recorded tree's witnesses, never from the hub: ndctl.json (what `ndctl list`
 * printed: namespace sizes by mode, a devdax namespace counted as system-ram when its device is, the regions'
 * available and total sizes) and mounts.txt (the mounted ext2/ext4/xfs/virtiofs/erofs by dax mode; a device without
 * DAX per the tree's /sys/block/X/queue/dax). Which tree a host reads is its sysfs_root. Then a viewer sees a
 * planned change but cannot execute it, where an operator can.
 */
type Capacity = FleetCapacity['totals'];
type FsCounts = FleetCapacity['filesystems'];
const MODES = ['raw', 'sector', 'fsdax', 'devdax', 'system-ram', 'free', 'total'] as const;
const DAX_FSTYPES = new Set(['ext2', 'ext4', 'xfs', 'virtiofs', 'erofs']);
const zeroCapacity = (): Capacity => ({ raw: 0, sector: 0, fsdax: 0, devdax: 0, 'system-ram': 0, free: 0, total: 0 });

/** bytes by mode as ndctl.json of the tree lists them */
function capacityOf(fixture: string): Capacity {
  const buses = readNdctlFixture(fixture);
  const out = zeroCapacity();
  for (const ns of namespacesOf(buses)) {
    const mode = ns.mode === 'devdax' && (ns.daxregion?.devices ?? []).some((d) => d.mode === 'system-ram') ? 'system-ram' : ns.mode;
    if (mode in out) out[mode as keyof Capacity] += ns.size;
  }
  for (const region of regionsOf(buses)) {
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

/** The recorded tree a host reads: lab/fixtures/NAME/sys */
function fixtureOfHost(sysfsRoot: string): string {
  const rel = relative(join(repoRoot, 'lab/fixtures'), sysfsRoot).split(sep);
  if (rel.length !== 2 || rel[1] !== 'sys' || rel[0] === '..') {
    throw new Error(`host reads ${sysfsRoot}, not a recorded tree under lab/fixtures: this spec cannot compute its capacity independently`);
  }
  return rel[0]!;
}

async function expected(): Promise<{ hosts: Map<string, { fixture: string; capacity: Capacity; filesystems: FsCounts }>; totals: Capacity; filesystems: FsCounts }> {
  const list = await hubJson<HostList>(hubUrl(), 'GET', '/hosts', 200, { token: adminToken() });
  const hosts = new Map<string, { fixture: string; capacity: Capacity; filesystems: FsCounts }>();
  const totals = zeroCapacity();
  const filesystems: FsCounts = { inode: 0, always: 0, never: 0, without_device_dax: 0 };
  for (const host of list.hosts) {
    const fixture = fixtureOfHost(host.sysfs_root);
    const capacity = capacityOf(fixture);
    const fs = filesystemsOf(fixture);
    hosts.set(host.id, { fixture, capacity, filesystems: fs });
    if (capacity.total === 0) continue;   // no NVDIMM: counted in hosts_without_pmem only
    for (const mode of MODES) totals[mode] += capacity[mode];
    for (const key of ['inode', 'always', 'never', 'without_device_dax'] as const) filesystems[key] += fs[key];
  }
  return { hosts, totals, filesystems };
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

test('a viewer sees a planned change but no Execute button; an operator has one', async ({ page, browser }) => {
  // an operator plans a devdax namespace in the free space of sim-four-dimm's region3 (a dry run: nothing changes)
  const operator = await loginForCookie(hubUrl(), USERS.operator.username, USERS.operator.password);
  const response = await hubRequest(hubUrl(), 'POST', '/hosts/sim-four-dimm/dax/changes', {
    cookie: operator.header, body: { request: { kind: 'namespace-create', region: 'region3', mode: 'devdax', size: 64 * 2 ** 20 } },
  });
  const change = await response.json() as DaxChange;
  expect(response.status, JSON.stringify(change)).toBe(201);
  expect(change.status, change.plan.refusal).toBe('planned');

  // the viewer: the host's DAX page lists it, its page says an operator must execute it, no Execute button
  await page.goto(`${hubUrl()}/hosts/sim-four-dimm/dax`);
  const listed = page.getByRole('table', { name: 'DAX changes' }).locator(`a[href="/dax/changes/${change.id}"]`);
  await expect(listed).toHaveText('Create namespace: region3 → devdax');
  await listed.click();
  await expect(page).toHaveURL(new RegExp(`/dax/changes/${change.id}$`));
  await expect(page.getByLabel('Change status')).toHaveText('planned');
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
});
