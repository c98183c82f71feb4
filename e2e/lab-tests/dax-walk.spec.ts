/// <reference lib="dom" />
/**
 * Filesystem DAX and device DAX end to end, in Chromium against the real hub UI, with the agent in a QEMU guest on
 * emulated NVDIMMs (lab/test.sh, test dax-walk). The guest made an fsdax namespace with ext4 -b 4096 mounted
 * dax=inode and a small tree, and left a second region free (lab/tests/dax-walk.sh). Logged in as an operator
 * (made through the REST API), the walk: (1) finds the mount on the host's DAX page as dax=inode on a device with
 * DAX; (2) sets a DAX policy on a directory (dax on, existing none): the dry run lists exactly the directory, the
 * flag is set, a file the guest creates afterwards inherits it and is DAX while the older file stays not DAX;
 * (3) a policy with existing=all over a file the guest holds open leaves that file pending, "not evicted", with its
 * holder; (4) creates a devdax namespace in the free region, changes it to fsdax (data-loss confirmation), destroys
 * it, each verified, and a mode change of the mounted namespace is refused with the reason; (5) the fleet capacity
 * page shows the host's bytes by mode as ndctl lists them in the guest. Every state is also asked of the guest
 * (e2e/lab-tests/dax-guest.ts), whose answers come from ndctl, xfs_io and statx, never from daxfleet.
 */
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';
import type { DaxChange, DaxFilesystem, HostInventory } from '@daxfleet/shared';
import { hubCall, labAdminToken, labHubUrl } from './lab-env';
import { daxWalkSetup, guest, type DaxWalkSetup, type GuestAttrs, type GuestNdctl } from './dax-guest';

test.describe.configure({ mode: 'serial' });

const OPERATOR = { username: 'lab-operator', password: 'lab-operator-password-001' };

let setup: DaxWalkSetup;
let page: Page;
/** the namespace the walk creates in the free region */
let created = '';

const admin = () => ({ token: labAdminToken() });
const flagOf = (attrs: Record<string, GuestAttrs>, path: string) => {
  const a = attrs[path];
  if (a === undefined || 'missing' in a) throw new Error(`the guest has no ${path}: ${JSON.stringify(attrs)}`);
  return a;
};

async function logIn(browser: Browser, username: string, password: string): Promise<Page> {
  const p = await browser.newPage();
  await p.goto(labHubUrl());
  await expect(p).toHaveURL(/\/login(\?|$)/);
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Log in' }).click();
  await expect(p.getByRole('group', { name: 'Logged in user' })).toContainText(username);
  return p;
}

/** An operator through the REST API; the first password (an admin's) is changed as a new user must. */
async function createOperator(): Promise<void> {
  const firstPassword = `first-${OPERATOR.password}`;
  const made = await hubCall('POST', '/users', admin(), { username: OPERATOR.username, password: firstPassword, role: 'operator' });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const first = await fetch(`${labHubUrl()}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: OPERATOR.username, password: firstPassword }),
  });
  expect(first.status).toBe(200);
  const cookie = first.headers.getSetCookie().find((c) => c.startsWith('daxfleet_session='))!.split(';')[0]!;
  const changed = await hubCall('POST', '/auth/password', { cookie }, { current_password: firstPassword, new_password: OPERATOR.password });
  expect(changed.status, JSON.stringify(changed.body)).toBe(204);
}

async function changeOf(id: string): Promise<DaxChange> {
  const { status, body } = await hubCall<DaxChange>('GET', `/dax/changes/${id}`, admin());
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

/** On a change page just opened by "Plan (dry run)": its id, from the URL */
async function changeIdFromUrl(p: Page): Promise<string> {
  await expect(p).toHaveURL(/\/dax\/changes\/dc_[A-Za-z0-9_-]+$/, { timeout: 90_000 });
  return /\/dax\/changes\/(dc_[A-Za-z0-9_-]+)$/.exec(p.url())![1]!;
}

/** Execute… → (the data-loss checkbox when the plan loses data) → Execute → the verified result */
async function executeAndVerify(p: Page, id: string, losesData: boolean): Promise<DaxChange> {
  await expect(p.getByLabel('Change status')).toHaveText('planned');
  await p.getByRole('button', { name: 'Execute…' }).click();
  const dialog = p.getByRole('dialog', { name: 'Execute this DAX change?' });
  const go = dialog.getByRole('button', { name: 'Execute', exact: true });
  const understand = dialog.getByRole('checkbox', { name: 'I understand this data will be lost' });
  if (losesData) {
    await expect(go).toBeDisabled();
    await understand.check();
  } else {
    await expect(dialog).toContainText('This change destroys no data.');
    await expect(understand).toHaveCount(0);
  }
  await go.click();
  await expect(p.getByLabel('Change status')).toHaveText(/verified|failed|refused|interrupted/, { timeout: 130_000 });
  const change = await changeOf(id);
  const failed = change.result?.verification.filter((c) => !c.ok).map((c) => `${c.id}: ${c.detail}`) ?? [];
  expect(change.status, `${change.result?.error ?? change.plan.refusal ?? ''} ${failed.join('; ')}`).toBe('verified');
  await expect(p.getByLabel('Change status')).toHaveText('verified');
  const result = p.getByRole('region', { name: 'Result' });
  await expect(result.getByRole('heading', { name: 'Result: Verified' })).toBeVisible();
  for (const check of change.result!.verification) {
    await expect(result.getByRole('table', { name: 'Verification checks' }).getByRole('row').filter({ hasText: check.detail }).getByLabel('passed')).toHaveText('✓');
  }
  return change;
}

async function daxPage(p: Page): Promise<void> {
  await p.goto(`${labHubUrl()}/hosts/${setup.host_id}/dax`);
  await expect(p.getByRole('heading', { level: 1, name: `DAX on ${setup.host_id}` })).toBeVisible();
}

/** The host's DAX page, opened again until `check` passes: the agent reports its rescan shortly after a change */
async function onDaxPage(p: Page, check: () => Promise<void>): Promise<void> {
  await expect(async () => {
    await daxPage(p);
    await check();
  }).toPass({ timeout: 60_000, intervals: [1_000, 2_000, 3_000] });   // check's expects: { timeout: SHORT } so that it reloads
}

const SHORT = { timeout: 5_000 };

/** "Plan (dry run)" in a change form: the id of the change page it opens */
async function planIn(form: Locator): Promise<string> {
  await form.getByRole('button', { name: 'Plan (dry run)' }).click();
  return changeIdFromUrl(form.page());
}

/** the namespaces ndctl lists in the free region */
const inFree = (snap: GuestNdctl) => snap.regions.find((r) => r.dev === setup.free_region)?.namespaces ?? [];

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The host's DAX page, the mount chosen in the filesystems table, then `dir` opened in the path browser */
async function browse(p: Page, dir: string): Promise<Locator> {
  await daxPage(p);
  await p.getByRole('button', { name: `Browse ${setup.mountpoint}` }).click();
  const form = p.getByRole('form', { name: 'Browse a path' });
  await expect(form.getByLabel('Path')).toHaveValue(setup.mountpoint);
  await form.getByRole('button', { name: 'Show' }).click();
  await p.getByRole('table', { name: `Entries of ${setup.mountpoint}` }).getByRole('button', { name: `Open ${dir}` }).click();
  await expect(form.getByLabel('Path')).toHaveValue(dir);
  const entries = p.getByRole('table', { name: `Entries of ${dir}` });
  await expect(entries).toBeVisible({ timeout: 60_000 });
  return entries;
}

/** The cell of `row` under the column headed `column` in `table` */
async function cellOf(table: Locator, row: Locator, column: string): Promise<Locator> {
  const headers = (await table.getByRole('columnheader').allTextContents()).map((h) => h.trim());
  const index = headers.indexOf(column);
  if (index < 0) throw new Error(`no column "${column}" in ${headers.join(' | ')}`);
  return row.locator(':scope > th, :scope > td').nth(index);
}

/** The row of a path browser table whose path is exactly `path` */
const entryRow = (entries: Locator, path: string) =>
  entries.getByRole('row').filter({ has: entries.page().locator('th code').filter({ hasText: new RegExp(`^${escapeRegExp(path)}$`) }) });

async function expectEntry(entries: Locator, path: string, want: { flag: 'on' | 'off'; effective?: string; state: string }): Promise<Locator> {
  const row = entryRow(entries, path);
  await expect(row, path).toHaveCount(1);
  await expect(await cellOf(entries, row, 'Flag'), `${path} flag`).toHaveText(want.flag);
  if (want.effective !== undefined) await expect(await cellOf(entries, row, 'Effective'), `${path} effective`).toHaveText(want.effective);
  await expect(row.getByLabel(`State of ${path}`), `${path} state`).toHaveText(want.state);
  return row;
}

/** "Set DAX policy…" on the path browser's path, the flag on, `existing`, then "Plan (dry run)" */
async function planPolicy(p: Page, path: string, existing: 'none' | 'all'): Promise<string> {
  await p.getByRole('form', { name: 'Browse a path' }).getByRole('button', { name: 'Set DAX policy…' }).click();
  const form = p.getByRole('form', { name: `Set DAX policy on ${path}` });
  await form.getByRole('radio', { name: 'On' }).check();
  await form.getByLabel('Existing files and directories').selectOption(existing);
  await form.getByRole('button', { name: 'Plan (dry run)' }).click();
  return changeIdFromUrl(p);
}

test.beforeAll(async ({ browser }) => {
  setup = daxWalkSetup();
  await createOperator();
  page = await logIn(browser, OPERATOR.username, OPERATOR.password);
});

test.afterAll(async () => {
  await page?.close();
});

test('the host DAX page lists the ext4 mount as dax=inode on a device with DAX', async () => {
  const { body } = await hubCall<HostInventory>('GET', `/hosts/${setup.host_id}/inventory`, admin());
  const fs = body.inventory.filesystems?.find((f: DaxFilesystem) => f.mountpoint === setup.mountpoint);
  expect(fs, JSON.stringify(body.inventory.filesystems)).toMatchObject({
    fstype: 'ext4', source: `/dev/${setup.blockdev}`, namespace: setup.namespace, dax: 'inode', dax_option: 'dax=inode', device_dax: true, per_inode: true,
  });
  await daxPage(page);
  const row = page.getByRole('table', { name: 'DAX filesystems' }).getByRole('row').filter({ hasText: setup.mountpoint });
  await expect(row).toHaveCount(1);
  const cells = row.getByRole('cell');
  await expect(cells.nth(0)).toHaveText('ext4');
  await expect(cells.nth(1)).toContainText(`/dev/${setup.blockdev}`);
  await expect(cells.nth(2)).toHaveText('dax=inode');
  await expect(cells.nth(3)).toHaveText('yes');
  await expect(cells.nth(4)).toHaveText('yes');
});

test('a DAX policy on a directory: the dry run lists exactly it, new files inherit the flag, old ones keep theirs', async () => {
  const before = await browse(page, setup.dir);
  await expectEntry(before, setup.old_file, { flag: 'off', effective: 'not DAX', state: 'not-dax' });
  const id = await planPolicy(page, setup.dir, 'none');
  const planned = await changeOf(id);
  expect(planned.plan.executable, planned.plan.refusal).toBe(true);
  expect(planned.plan.request).toEqual({ kind: 'fs-dax-policy', path: setup.dir, dax: true, existing: 'none' });
  expect(planned.plan.changes?.map((c) => [c.path, c.kind, c.flag_before, c.flag_after])).toEqual([[setup.dir, 'dir', false, true]]);
  const list = page.getByRole('table', { name: 'Flag changes' }).locator('tbody tr');
  await expect(list).toHaveCount(1);
  await expect(list.first()).toContainText(setup.dir);
  await expect(list.first()).toContainText('off → on');
  await expect(page.getByRole('region', { name: 'Data loss' })).toContainText('None');

  const done = await executeAndVerify(page, id, false);
  expect(done.result?.changed).toBe(1);
  // the guest: the directory flagged, its subdirectory and older file untouched
  const attrs = await guest.attrs(setup, [setup.dir, setup.subdir, setup.old_file]);
  expect(flagOf(attrs, setup.dir).flag, JSON.stringify(attrs)).toBe(true);
  expect(flagOf(attrs, setup.subdir).flag).toBe(false);
  expect(flagOf(attrs, setup.old_file)).toMatchObject({ flag: false, dax: false });

  // a file made in it now inherits the flag and is DAX at once (a new inode); the browser shows both files
  const made = flagOf(await guest.createFile(setup, setup.new_file), setup.new_file);
  expect(made).toMatchObject({ flag: true, dax: true });
  const after = await browse(page, setup.dir);
  await expectEntry(after, setup.dir, { flag: 'on', state: 'n/a' });
  await expectEntry(after, setup.subdir, { flag: 'off', state: 'n/a' });
  await expectEntry(after, setup.new_file, { flag: 'on', effective: 'DAX', state: 'dax' });
  await expectEntry(after, setup.old_file, { flag: 'off', effective: 'not DAX', state: 'not-dax' });
});

test('a policy over a file held open leaves it pending, not evicted, with its holder', async () => {
  const holder = await guest.holdOpen(setup, setup.held_file);
  await browse(page, setup.logs);
  const id = await planPolicy(page, setup.logs, 'all');
  const planned = await changeOf(id);
  expect(planned.plan.executable, planned.plan.refusal).toBe(true);
  expect(planned.plan.changes?.map((c) => `${c.path} ${c.kind} ${c.flag_after}`).sort()).toEqual([`${setup.logs} dir true`, `${setup.held_file} file true`].sort());
  // the dry run already says the held file will be pending
  expect(planned.plan.changes?.find((c) => c.path === setup.held_file)?.pending_reason).toBe('not-evicted');
  await expect(page.getByRole('table', { name: 'Flag changes' }).getByRole('row').filter({ hasText: setup.held_file })).toContainText('not evicted');

  const done = await executeAndVerify(page, id, false);
  expect(done.result).toMatchObject({ changed: 2, pending: 1 });
  const attrs = await guest.attrs(setup, [setup.logs, setup.held_file]);
  expect(flagOf(attrs, setup.logs).flag).toBe(true);
  expect(flagOf(attrs, setup.held_file), 'held open: flag set, statx not DAX yet').toMatchObject({ flag: true, dax: false });

  const entries = await browse(page, setup.logs);
  const row = await expectEntry(entries, setup.held_file, { flag: 'on', effective: 'not DAX', state: 'pending' });
  await expect(row).toContainText('not evicted');
  await expect(row.getByRole('list', { name: `Holders of ${setup.held_file}` }).getByRole('listitem')).toHaveText([`pid ${holder.pid} (sleep)`]);
});

test('a devdax namespace in the free region: its device to system-ram (online, movable), offline, online, back to devdax, each verified', async () => {
  test.setTimeout(360_000);   // five changes, each planned and executed in a TCG guest (~10-20 s apiece under load)
  // create: devdax, 256 MiB (≈250 MiB usable after the info block: one whole 128 MiB memory block for kmem)
  await daxPage(page);
  await page.getByRole('table', { name: 'Regions' }).getByRole('button', { name: `Create namespace in ${setup.free_region}` }).click();
  const create = page.getByRole('form', { name: `Create a namespace in ${setup.free_region}` });
  await create.getByRole('combobox', { name: 'Mode', exact: true }).selectOption('devdax');
  await create.getByRole('textbox', { name: 'Size', exact: true }).fill('256M');
  let id = await planIn(create);
  expect((await changeOf(id)).plan.request).toMatchObject({ kind: 'namespace-create', region: setup.free_region, mode: 'devdax', size: 256 * 2 ** 20 });
  await executeAndVerify(page, id, false);
  const afterCreate = await guest.ndctl(setup, 'after-create');
  expect(inFree(afterCreate).map((n) => n.mode)).toEqual(['devdax']);
  created = inFree(afterCreate)[0]!.dev;
  expect(inFree(afterCreate)[0]!.devices.map((d) => d.mode)).toEqual(['devdax']);
  const device = inFree(afterCreate)[0]!.devices[0]!.chardev;
  const row = (p: Page) => p.getByRole('table', { name: 'Dax devices' }).getByRole('row')
    .filter({ has: p.locator('th code').filter({ hasText: new RegExp(`^${escapeRegExp(device)}$`) }) });

  // to system-ram, the memory onlined movable: the device's contents are lost, so the dialog asks
  await onDaxPage(page, () => expect(row(page)).toContainText('n/a', SHORT));
  await row(page).getByRole('button', { name: `Change ${device} to system-ram` }).click();
  const toRam = page.getByRole('form', { name: `Change the mode of ${device}` });
  await toRam.getByRole('combobox', { name: 'Device mode' }).selectOption('system-ram');
  await toRam.getByRole('checkbox', { name: 'Online the memory' }).check();
  await toRam.getByRole('checkbox', { name: 'Movable (ZONE_MOVABLE)' }).check();
  id = await planIn(toRam);
  const toRamPlan = await changeOf(id);
  expect(toRamPlan.plan.request).toMatchObject({ kind: 'daxdev-reconfigure', device, mode: 'system-ram', online: true, movable: true });
  expect(toRamPlan.plan.data_loss.length, JSON.stringify(toRamPlan.plan)).toBeGreaterThan(0);
  await executeAndVerify(page, id, true);
  const ram = await guest.daxctl(setup, 'after-ram', device);
  const blocks = ram.blocks.length;
  expect(blocks, JSON.stringify(ram)).toBeGreaterThanOrEqual(1);
  expect(ram.device, JSON.stringify(ram)).toMatchObject({ mode: 'system-ram', online_memblocks: blocks, total_memblocks: blocks, movable: true });
  expect(ram.blocks.map((b) => [b.state, b.zone])).toEqual(ram.blocks.map(() => ['online', 'Movable']));

  // offline: the blocks leave the guest's RAM
  await onDaxPage(page, () => expect(row(page)).toContainText(`${blocks}/${blocks} blocks online, movable`, SHORT));
  await row(page).getByRole('button', { name: `Offline memory of ${device}` }).click();
  id = await planIn(page.getByRole('form', { name: `Offline the memory of ${device}` }));
  expect((await changeOf(id)).plan.request).toMatchObject({ kind: 'daxdev-offline', device });
  await executeAndVerify(page, id, false);
  const off = await guest.daxctl(setup, 'after-offline', device);
  expect(off.device, JSON.stringify(off)).toMatchObject({ mode: 'system-ram', online_memblocks: 0, total_memblocks: blocks });
  expect(off.blocks.map((b) => b.state)).toEqual(ram.blocks.map(() => 'offline'));
  expect(ram.mem_total - off.mem_total, 'MemTotal online - offline = the blocks').toBe(blocks * ram.block_size);

  // online again, movable (the form's default)
  await onDaxPage(page, () => expect(row(page)).toContainText(`0/${blocks} blocks online`, SHORT));
  await expect(row(page).getByRole('button', { name: `Offline memory of ${device}` })).toBeDisabled();
  await row(page).getByRole('button', { name: `Online memory of ${device}` }).click();
  const online = page.getByRole('form', { name: `Online the memory of ${device}` });
  await expect(online.getByRole('checkbox', { name: 'Movable (ZONE_MOVABLE)' })).toBeChecked();
  id = await planIn(online);
  expect((await changeOf(id)).plan.request).toMatchObject({ kind: 'daxdev-online', device, movable: true });
  await executeAndVerify(page, id, false);
  const on = await guest.daxctl(setup, 'after-online', device);
  expect(on.device, JSON.stringify(on)).toMatchObject({ mode: 'system-ram', online_memblocks: blocks, total_memblocks: blocks, movable: true });
  expect(on.blocks.map((b) => [b.state, b.zone])).toEqual(ram.blocks.map(() => ['online', 'Movable']));
  expect(on.mem_total).toBe(ram.mem_total);

  // back to devdax: the memory is offlined and removed, /dev/daxX.Y is back
  await onDaxPage(page, () => expect(row(page)).toContainText(`${blocks}/${blocks} blocks online, movable`, SHORT));
  await row(page).getByRole('button', { name: `Change ${device} to devdax` }).click();
  const toDevdax = page.getByRole('form', { name: `Change the mode of ${device}` });
  await expect(toDevdax.getByRole('combobox', { name: 'Device mode' })).toHaveValue('devdax');
  id = await planIn(toDevdax);
  expect((await changeOf(id)).plan.request).toMatchObject({ kind: 'daxdev-reconfigure', device, mode: 'devdax' });
  await executeAndVerify(page, id, false);
  const back = await guest.daxctl(setup, 'after-devdax', device);
  expect(back.device, JSON.stringify(back)).toMatchObject({ mode: 'devdax' });
  expect(back.blocks).toEqual([]);
  await onDaxPage(page, () => expect(row(page).getByRole('button', { name: `Change ${device} to system-ram` })).toBeVisible(SHORT));
});

test('the namespace changed raw → sector 4096 → fsdax, then destroyed, each verified', async () => {
  test.setTimeout(300_000);   // four changes in a TCG guest
  expect(created, 'the previous test created the namespace').not.toBe('');
  const nsRow = (p: Page) => p.getByRole('table', { name: 'Namespaces' }).getByRole('row').filter({ hasText: created });
  let was = 'devdax';
  for (const step of [
    { mode: 'raw', label: 'after-raw' },
    { mode: 'sector', sectorSize: 4096, label: 'after-sector' },
    { mode: 'fsdax', label: 'after-reconfigure' },
  ] as const) {
    // each mode change loses the namespace's data, so the dialog asks for the confirmation
    await onDaxPage(page, () => expect(nsRow(page)).toContainText(was, SHORT));
    await nsRow(page).getByRole('button', { name: `Change mode of ${created}` }).click();
    const reconfigure = page.getByRole('form', { name: `Change the mode of ${created}` });
    await reconfigure.getByRole('combobox', { name: 'Mode', exact: true }).selectOption(step.mode);
    if ('sectorSize' in step) await reconfigure.getByRole('combobox', { name: 'Sector size' }).selectOption(String(step.sectorSize));
    const id = await planIn(reconfigure);
    const reconf = await changeOf(id);
    expect(reconf.plan.request).toMatchObject({ kind: 'namespace-reconfigure', namespace: created, mode: step.mode,
      ...('sectorSize' in step ? { sector_size: step.sectorSize } : {}) });
    expect(reconf.plan.data_loss.length).toBeGreaterThan(0);
    await expect(page.getByRole('region', { name: 'Data loss' })).toContainText(reconf.plan.data_loss[0]!.description);
    await executeAndVerify(page, id, true);
    const now = await guest.ndctl(setup, step.label);
    expect(inFree(now).map((n) => [n.dev, n.mode])).toEqual([[created, step.mode]]);
    if ('sectorSize' in step) expect(inFree(now)[0]!.sector_size).toBe(step.sectorSize);
    was = step.mode;
  }
  await onDaxPage(page, async () => {
    await expect(nsRow(page)).toContainText('fsdax', SHORT);
    await expect(nsRow(page)).toContainText('/dev/pmem', SHORT);
  });

  // destroy it: the region is free again
  await nsRow(page).getByRole('button', { name: `Destroy ${created}` }).click();
  const id = await planIn(page.getByRole('form', { name: `Destroy ${created}` }));
  await executeAndVerify(page, id, true);
  const afterDestroy = await guest.ndctl(setup, 'after-destroy');
  expect(inFree(afterDestroy)).toEqual([]);
  await onDaxPage(page, () => expect(nsRow(page)).toHaveCount(0, SHORT));
});

test('a mode change of the mounted namespace is refused, and says why', async () => {
  await daxPage(page);
  await page.getByRole('table', { name: 'Namespaces' }).getByRole('row').filter({ hasText: setup.namespace })
    .getByRole('button', { name: `Change mode of ${setup.namespace}` }).click();
  const form = page.getByRole('form', { name: `Change the mode of ${setup.namespace}` });
  await form.getByRole('combobox', { name: 'Mode', exact: true }).selectOption('devdax');
  await form.getByRole('button', { name: 'Plan (dry run)' }).click();
  const id = await changeIdFromUrl(page);
  const change = await changeOf(id);
  expect(change.status).toBe('refused');
  const failed = change.plan.checks.find((c) => c.id === 'namespace-not-mounted');
  expect(failed, JSON.stringify(change.plan.checks)).toMatchObject({ ok: false });
  expect(failed!.detail).toContain(setup.mountpoint);
  await expect(page.getByLabel('Change status')).toHaveText('refused');
  await expect(page.getByRole('alert', { name: 'Refused' })).toContainText(change.plan.refusal!);
  await expect(page.getByRole('table', { name: 'Preconditions' }).getByRole('row').filter({ hasText: failed!.detail }).getByLabel('failed')).toHaveText('✗');
  await expect(page.getByRole('button', { name: 'Execute…' })).toHaveCount(0);
  // and nothing changed in the guest
  const now = await guest.ndctl(setup, 'after-refusal');
  expect(now.regions.flatMap((r) => r.namespaces).find((n) => n.dev === setup.namespace)?.mode).toBe('fsdax');
});

test('the fleet capacity page shows the host\'s bytes by mode as ndctl lists them in the guest', async () => {
  const ndctl = await guest.ndctl(setup, 'capacity');
  test.info().annotations.push({ type: 'guest capacity', description: JSON.stringify(ndctl.capacity) });
  console.log(`ndctl in the guest, bytes by mode: ${JSON.stringify(ndctl.capacity)}`);
  expect(ndctl.consistent, 'in the guest, per region: namespace space + ndctl available_size = ndctl size').toBe(true);
  await page.goto(`${labHubUrl()}/capacity`);
  await expect(page.getByRole('heading', { level: 1, name: 'Capacity by mode' })).toBeVisible();
  const table = page.getByRole('table', { name: 'Capacity by host' });
  const row = table.getByRole('row').filter({ has: page.getByRole('link', { name: `DAX of ${setup.host_id}` }) });
  await expect(row).toHaveCount(1);
  for (const mode of ['fsdax', 'devdax', 'system-ram', 'sector', 'raw', 'free'] as const) {
    await expect((await cellOf(table, row, mode)).locator('data'), `${mode} bytes of ${setup.host_id}`).toHaveAttribute('value', String(ndctl.capacity[mode]));
  }
  // the fleet is this one host: the totals are its figures, total included
  const totals = page.getByRole('table', { name: 'Capacity by mode' });
  for (const mode of ['fsdax', 'devdax', 'system-ram', 'sector', 'raw', 'free', 'total'] as const) {
    await expect(totals.getByRole('row').filter({ has: page.getByRole('rowheader', { name: mode, exact: true }) }).locator('data'), `fleet ${mode}`)
      .toHaveAttribute('value', String(ndctl.capacity[mode]));
  }
  const fs = page.getByRole('table', { name: 'Filesystems by DAX mode' }).locator('tbody td');
  await expect(fs).toHaveText(['1', '0', '0', '0']);   // the ext4 dax=inode on a device with DAX
});
