/// <reference lib="dom" />
/**
 * The recovery flow end to end, in Chromium against the real hub UI, with the agent in a QEMU guest on emulated
 * NVDIMMs (lab/test.sh, test recovery-walk). The guest made an fsdax namespace with ext4 mounted -o dax, a known file,
 * and a bad block under one 4 KiB block of it; its agent reported the range mapped to the file. Here an admin
 * finds the range on the media page, asks for a punch-hole, reviews the dry run (steps, the bytes that will read as
 * zeros, every precondition met), confirms and executes it, watches the steps advance, and reads the verdict: the
 * file was recovered but the range is still present, because QEMU's NVDIMM cannot clear poison. The audit log has
 * the plan, the execution, its steps and the result; the ledger still lists the range, now over free space. A viewer
 * (made through the REST API) cannot execute a plan. The guest checks the file itself afterwards
 * (lab/tests/recovery-walk.sh).
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import type { AuditEntry, LedgerPage, RecoveryPlan } from '@daxfleet/shared';
import { hubCall, labAdminPassword, labAdminToken, labHubUrl, labSetup, type LabSetup } from './lab-env';

test.describe.configure({ mode: 'serial' });

const VIEWER = { username: 'lab-viewer', password: 'lab-viewer-password-0001' };

let setup: LabSetup;
let page: Page;
/** the plan the walk makes (its id from the plan page's URL) */
let planId = '';

/** "region0+12345": how the UI and the ledger name a range */
const rangeName = (s: LabSetup) => `${s.region}+${s.region_offset}`;
const integer = (n: number) => n.toLocaleString('en-US');

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

async function planOf(id: string): Promise<RecoveryPlan> {
  const { status, body } = await hubCall<RecoveryPlan>('GET', `/recovery/plans/${id}`, { token: labAdminToken() });
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
}

test.beforeAll(async ({ browser }) => {
  setup = labSetup();
  page = await logIn(browser, 'admin', labAdminPassword());
});

test.afterAll(async () => {
  await page?.close();
});

/**
 * What the plan page shows over time while it executes, recorded in the page by a MutationObserver (so a state that
 * lasts a few milliseconds is not missed between two polls): the plan status, the Progress status line and each
 * step's state word.
 */
interface Snapshot { at: number; status: string; progress: string; steps: string[] }
async function recordSnapshots(p: Page): Promise<void> {
  await p.evaluate(() => {
    const w = window as unknown as { __rwSnapshots: Snapshot[] };
    w.__rwSnapshots = [];
    let last = '';
    const take = () => {
      const status = document.querySelector('[aria-label="Plan status"]')?.textContent?.trim() ?? '';
      const progress = document.querySelector('section[aria-label="Progress"] [role="status"]')?.textContent?.trim() ?? '';
      const steps = Array.from(document.querySelectorAll('ol[aria-label="Steps"] > li'), (li) => {
        const head = (li as HTMLElement).innerText.split('\n')[0] ?? '';
        return /\b(pending|running|done|failed|skipped)\s*$/.exec(head)?.[1] ?? 'planned';
      });
      const key = JSON.stringify([status, progress, steps]);
      if (key !== last) { last = key; w.__rwSnapshots.push({ at: performance.now(), status, progress, steps }); }
    };
    take();
    new MutationObserver(take).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}
const snapshotsOf = (p: Page) => p.evaluate(() => (window as unknown as { __rwSnapshots: Snapshot[] }).__rwSnapshots);

test('the media page shows the bad range and the file it hits, with Recover links', async () => {
  await page.goto(`${labHubUrl()}/media?host=${setup.host_id}`);
  const row = page.getByRole('table', { name: 'Bad-block ledger' }).getByRole('row').filter({ hasText: rangeName(setup) });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('link', { name: `Recover range ${rangeName(setup)}` })).toBeVisible();
  await row.getByRole('button', { name: /hits 1 file/ }).click();
  const details = page.getByRole('region', { name: `Files hit by ${rangeName(setup)}` });
  await expect(details).toContainText(`mounted on ${setup.mountpoint} (ext4, dax=always)`);
  const hit = details.getByRole('table', { name: `Hits of ${rangeName(setup)}` }).getByRole('row').filter({ hasText: setup.path });
  await expect(hit).toHaveCount(1);
  await expect(hit).toContainText(integer(setup.file_offset));
  await hit.getByRole('link', { name: `Recover ${setup.path} on ${rangeName(setup)}` }).click();
  await expect(page).toHaveURL(/\/recovery\/new\?/);
});

test('a punch-hole dry run shows the exact steps, the bytes lost and every precondition met', async () => {
  await expect(page.getByRole('heading', { level: 1, name: 'Recover a bad range' })).toBeVisible();
  const form = page.getByRole('form', { name: 'Choose a recovery action' });
  await expect(form.getByLabel('File', { exact: true })).toHaveValue(setup.path);
  await form.getByRole('radio', { name: 'Punch a hole' }).check();
  await form.getByRole('button', { name: 'Plan (dry run)' }).click();

  // the hub asks the agent in the guest (a signed command through the forwarded port) and stores its dry run
  await expect(page).toHaveURL(/\/recovery\/(?!new)[A-Za-z0-9_-]+$/, { timeout: 60_000 });
  planId = /\/recovery\/([A-Za-z0-9_-]+)$/.exec(page.url())![1]!;
  const plan = await planOf(planId);
  expect(plan.status).toBe('planned');
  expect(plan.plan.executable, plan.plan.refusal).toBe(true);
  expect(plan.plan.target.path).toBe(setup.path);
  expect(plan.plan.target.file_ranges).toEqual([{ offset: setup.file_offset, length: setup.file_length }]);
  expect(plan.plan.steps.map((s) => s.op)).toEqual(['punch-hole', 'fsync', 'reread-badblocks', 'remap-range', 'read-file']);
  const last = setup.file_offset + setup.file_length - 1;
  expect(plan.plan.data_loss).toHaveLength(1);
  expect(plan.plan.data_loss[0]).toMatchObject({ kind: 'file-bytes', path: setup.path, offset: setup.file_offset, length: setup.file_length });

  await expect(page.getByRole('heading', { level: 1, name: `Punch a hole: ${setup.path}` })).toBeVisible();
  await expect(page.getByLabel('Plan status')).toHaveText('planned');
  // the exact steps, as the agent described them
  const steps = page.getByRole('list', { name: 'Steps' }).getByRole('listitem');
  await expect(steps).toHaveCount(plan.plan.steps.length);
  for (const [i, step] of plan.plan.steps.entries()) {
    await expect(steps.nth(i)).toContainText(step.op);
    await expect(steps.nth(i)).toContainText(step.description);
  }
  await expect(steps.first()).toContainText(String(setup.file_offset));
  // the bytes that will read as zeros: this file, bytes 20480-24575 (the agent's sentence, computed here too)
  const loss = page.getByRole('region', { name: 'Data loss' });
  await expect(loss.getByRole('heading', { name: 'Data that will be lost' })).toBeVisible();
  await expect(loss).toContainText(plan.plan.data_loss[0]!.detail);
  await expect(loss).toContainText(setup.path);
  await expect(loss).toContainText(new RegExp(`(${setup.file_offset}|${integer(setup.file_offset)})\\s*[–-]\\s*(${last}|${integer(last)})`));
  // every precondition ✓
  const checks = page.getByRole('table', { name: 'Preconditions' }).getByRole('row');
  await expect(checks).toHaveCount(plan.plan.checks.length + 1);
  expect(plan.plan.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['range-still-bad', 'file-on-namespace', 'file-covers-range', 'not-open', 'fs-supports-punch']));
  for (const check of plan.plan.checks) {
    expect(check.ok, `${check.id}: ${check.detail}`).toBe(true);
    const row = checks.filter({ hasText: check.detail });
    await expect(row.getByLabel('passed')).toHaveText('✓');
  }
  await expect(page.getByRole('table', { name: 'Preconditions' }).getByLabel('failed')).toHaveCount(0);
  await expect(page.getByRole('timer', { name: 'Time left to execute' })).toHaveText(/^\d+:\d\d$/);
});

test('a viewer cannot execute the plan', async ({ browser }) => {
  const admin = { token: labAdminToken() };
  const firstPassword = `first-${VIEWER.password}`;
  const created = await hubCall('POST', '/users', admin, { username: VIEWER.username, password: firstPassword, role: 'viewer' });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  // a password an admin sets must be changed at the first login
  const first = await fetch(`${labHubUrl()}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: VIEWER.username, password: firstPassword }),
  });
  expect(first.status).toBe(200);
  const firstCookie = first.headers.getSetCookie().find((c) => c.startsWith('daxfleet_session='))!.split(';')[0]!;
  const changed = await hubCall('POST', '/auth/password', { cookie: firstCookie }, { current_password: firstPassword, new_password: VIEWER.password });
  expect(changed.status, JSON.stringify(changed.body)).toBe(204);

  const viewer = await logIn(browser, VIEWER.username, VIEWER.password);
  try {
    await viewer.goto(`${labHubUrl()}/recovery/${planId}`);
    await expect(viewer.getByLabel('Plan status')).toHaveText('planned');
    const execute = viewer.getByRole('region', { name: 'Execute' });
    await expect(execute.getByRole('note')).toContainText('An operator must execute this plan.');
    await expect(viewer.getByRole('button', { name: /^Execute/ })).toHaveCount(0);
    // and the REST API refuses the viewer's session, whatever the page shows
    const cookie = (await viewer.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const plan = await planOf(planId);
    const refused = await hubCall('POST', `/recovery/plans/${planId}/execute`, { cookie }, { digest: plan.plan.digest });
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect((await planOf(planId)).status).toBe('planned');
  } finally {
    await viewer.close();
  }
});

test('executing it needs the confirmation, shows the steps advancing and ends still present', async () => {
  await recordSnapshots(page);
  await page.getByRole('button', { name: 'Execute…' }).click();
  const confirm = page.getByRole('dialog', { name: 'Execute this recovery plan?' });
  await expect(confirm).toContainText((await planOf(planId)).plan.data_loss[0]!.detail);
  const go = confirm.getByRole('button', { name: 'Execute', exact: true });
  await expect(go).toBeDisabled();
  await confirm.getByRole('checkbox', { name: 'I understand this data will be lost' }).check();
  await expect(go).toBeEnabled();
  await go.click();

  await expect(page.getByLabel('Plan status')).toHaveText('still-present', { timeout: 120_000 });
  const plan = await planOf(planId);
  expect(plan.status).toBe('still-present');
  const total = plan.plan.steps.length;
  expect(plan.execution?.steps.map((s) => s.status)).toEqual(Array(total).fill('done'));

  // live: the page showed the execution while it ran, and the steps only ever moved forward
  const snapshots = await snapshotsOf(page);
  const doneCounts = snapshots.map((s) => s.steps.filter((x) => x === 'done').length);
  const live = snapshots.filter((s) => s.status === 'executing');
  const seen = snapshots.map((s) => `${Math.round(s.at)} ms ${s.status} [${s.steps.join(',')}] ${s.progress.slice(0, 60)}`);
  test.info().annotations.push({ type: 'progress seen', description: seen.join(' | ') });
  console.log(`progress seen on the plan page:\n  ${seen.join('\n  ')}`);
  expect(live.length, 'the page never showed the plan executing').toBeGreaterThan(0);
  expect(live.some((s) => /^Step \d+ of \d+/.test(s.progress)), 'no "Step N of M" progress line while executing').toBe(true);
  expect(live.some((s) => s.steps.filter((x) => x === 'done').length < total), 'no step was seen before it was done').toBe(true);
  expect(doneCounts, 'steps went backwards').toEqual([...doneCounts].sort((a, b) => a - b));
  expect(doneCounts.at(-1)).toBe(total);
  expect(snapshots.at(-1)?.steps).toEqual(Array(total).fill('done'));
  expect(live.some((s) => s.steps.includes('running')), 'no step was seen running').toBe(true);

  // the verdict: the file is recovered, the range still listed because QEMU's NVDIMM cannot clear poison
  const result = page.getByRole('region', { name: 'Result' });
  await expect(result.getByRole('heading', { name: 'Result: Still present' })).toBeVisible();
  const verification = plan.execution!.verification!;
  expect(verification.verdict).toBe('still-present');
  expect(verification.remaining).toEqual([{ region_offset: setup.region_offset, length: setup.length }]);
  await expect(result).toContainText(verification.detail);
  expect(verification.detail).toMatch(/allocat|poison|clear/i);
  const remaining = result.getByRole('list', { name: 'Remaining bad sectors' }).getByRole('listitem');
  await expect(remaining).toHaveCount(1);
  await expect(remaining.first()).toContainText(`${rangeName(setup)} (${setup.length} sectors)`);
  const checks = result.getByRole('table', { name: 'Verification checks' });
  for (const check of verification.checks) await expect(checks.getByRole('row').filter({ hasText: check.detail })).toHaveCount(1);
  for (const id of ['range-not-in-file', 'hole-zeroed', 'file-readable']) {
    expect(verification.checks.find((c) => c.id === id), `verification check ${id}`).toMatchObject({ ok: true });
  }
  await page.screenshot({ path: test.info().outputPath('recovery-result.png'), fullPage: true });
});

test('the audit log lists the plan, the execution, every step and the result', async () => {
  const { status, body } = await hubCall<{ entries: AuditEntry[] }>('GET', '/audit?limit=500', { token: labAdminToken() });
  expect(status).toBe(200);
  // a refusal before the route ran (the viewer's 403) names the plan by its id only: both forms count
  const mine = body.entries.filter((e) => e.target === `plan:${planId}` || e.target === planId).reverse();   // oldest first
  const steps = mine.filter((e) => e.action === 'recovery.step');
  expect(mine.filter((e) => e.action !== 'recovery.step').map((e) => `${e.action} ${e.result} ${e.actor}`)).toEqual([
    'recovery.plan success admin',
    `recovery.execute failure ${VIEWER.username}`,
    'recovery.execute success admin',
    `recovery.result success ${setup.host_id}`,
  ]);
  expect(steps.map((e) => `${e.result} ${e.actor_kind} ${e.actor} ${e.detail?.split(':')[0]}`)).toEqual(
    ['1 punch-hole', '2 fsync', '3 reread-badblocks', '4 remap-range', '5 read-file'].map((s) => `success agent ${setup.host_id} step ${s}`));
  expect(mine.find((e) => e.action === 'recovery.result')?.detail).toMatch(/^still-present: /);

  // the same in the UI: the plan page's link opens the audit log for the plan's lifetime
  await page.getByRole('region', { name: 'Result' }).getByRole('link', { name: 'Audit log of this plan' }).click();
  await expect(page).toHaveURL(/\/admin\/audit\?/);
  const rows = page.getByRole('table', { name: 'Audit entries' }).getByRole('row').filter({ hasText: `plan:${planId}` });
  for (const action of ['recovery.plan', 'recovery.execute', 'recovery.step', 'recovery.result']) {
    await expect(rows.filter({ hasText: action }).first()).toBeVisible();
  }
  await expect(rows.filter({ hasText: 'recovery.step' })).toHaveCount(steps.length);
  await expect(rows.filter({ hasText: 'recovery.result' })).toContainText('still-present');
});

test('the ledger follows: the range stays open, and now maps to free space instead of the file', async () => {
  // after the steps the agent rescans "so the hub's ledger follows": QEMU keeps the range listed (still open), and
  // the punched block belongs to no file any more (the agent's own remap-range step found it free)
  await page.goto(`${labHubUrl()}/recovery/${planId}`);
  await page.getByRole('region', { name: 'Result' }).getByRole('link', { name: 'Show the range in the ledger' }).click();
  await expect(page).toHaveURL(new RegExp(`/media\\?host=${setup.host_id}$`));
  const row = page.getByRole('table', { name: 'Bad-block ledger' }).getByRole('row').filter({ hasText: rangeName(setup) });
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('link', { name: `Recover range ${rangeName(setup)}` })).toBeVisible();
  // the agent scans every 5 s: a few cycles are plenty for its mapping to reach the page
  await expect(row.getByRole('button', { name: 'free space' })).toBeVisible({ timeout: 45_000 });
  const { body } = await hubCall<LedgerPage>('GET', `/hosts/${setup.host_id}/ledger?state=open`, { token: labAdminToken() });
  const entry = body.entries.find((e) => e.range.region === setup.region && e.range.region_offset === setup.region_offset);
  expect(entry?.state).toBe('open');
  expect(entry?.files?.hits.map((h) => h.kind)).toEqual(['free']);
});
