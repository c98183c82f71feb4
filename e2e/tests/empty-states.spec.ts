import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startDaxfleet } from '../support/daxfleet-process';
import { expect, test } from '../support/fixtures';
import { ADMIN_ENV, loginThroughUi } from '../support/hub-auth';

/**
 * The first thing an operator sees on a new hub. These tests start their own hub processes (the shared
 * fleet of global setup is not empty), on loopback with a data folder in the test's output directory, each with
 * its first admin from DAXFLEET_ADMIN_PASSWORD; the page logs in through the login page first.
 */
test.use({ role: 'anonymous' });

test('a hub nobody reports to says how to add hosts', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('empty-hub');
  const hub = await startDaxfleet('empty-hub', [
    '--role', 'hub', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
  ], workDir, 30_000, ADMIN_ENV);
  try {
    await loginThroughUi(page, hub.url);
    const notice = page.getByRole('region', { name: 'No hosts yet' });
    await expect(notice).toContainText('No agent has reported to this hub.');
    // the agent enrolls with a join token an admin creates under Admin → Agents
    await expect(notice.locator('pre').first()).toHaveText(`pnpm exec daxfleet serve --role agent --hub-url ${hub.url} --join-token <join token>`);
    await expect(notice).toContainText('Admin → Agents');
    await expect(notice.locator('pre').nth(1)).toContainText('--sysfs-root lab/fixtures/<name>/sys');
    // a simulated host keeps its own host id and data folder, apart from a local agent's ./data
    await expect(notice.locator('pre').nth(1)).toContainText('--host-id sim-1 --data-dir data/sim-1');
    // this hub listens on loopback: the page says other hosts need an address they can reach
    await expect(notice).toContainText('DAXFLEET_HOST=0.0.0.0 bash scripts/start.sh');
    await expect(notice).toContainText(`not ${new URL(hub.url).host}`);
    await expect(page.getByRole('table')).toHaveCount(0);
  } finally {
    await hub.stop();
  }
});

test('a hub with a local agent on a machine without NVDIMMs says so plainly', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('local-no-pmem');
  // an empty directory is a sysfs tree without any NVDIMM bus, whatever the test machine has
  const sysfsRoot = join(workDir, 'empty-sys');
  mkdirSync(sysfsRoot, { recursive: true });
  const hub = await startDaxfleet('local-no-pmem', [
    '--role', 'all', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
    '--sysfs-root', sysfsRoot, '--hostname', 'no-pmem-box', '--interval', '1000',
  ], workDir, 30_000, ADMIN_ENV);
  try {
    await loginThroughUi(page, hub.url);
    const notice = page.getByRole('region', { name: 'No persistent memory on this machine' });
    await expect(notice).toContainText(`This machine has no persistent memory (no NVDIMM bus found under ${sysfsRoot})`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'no-pmem-box', exact: true }) });
    await expect(row).toContainText('no persistent memory');
    await expect(row).toContainText('no DIMMs');
    await expect(page.getByRole('region', { name: 'Add hosts' }).locator('pre').first())
      .toHaveText(`pnpm exec daxfleet serve --role agent --hub-url ${hub.url} --join-token <join token>`);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-fleet-no-pmem.png', fullPage: true });
  } finally {
    await hub.stop();
  }
});

test('when the hub goes away the open fleet page keeps the last data and says the refresh failed', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('vanishing-hub');
  const sysfsRoot = join(workDir, 'empty-sys');
  mkdirSync(sysfsRoot, { recursive: true });
  const hub = await startDaxfleet('vanishing-hub', [
    '--role', 'all', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
    '--sysfs-root', sysfsRoot, '--hostname', 'short-lived', '--interval', '1000',
  ], workDir, 30_000, ADMIN_ENV);
  try {
    await loginThroughUi(page, hub.url);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'short-lived', exact: true }) });
    await expect(row).toHaveCount(1);
    await hub.stop();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('The fleet below may be out of date: the last refresh failed', { timeout: 30_000 });
    await expect(alert).toContainText('Cannot reach the daxfleet hub');
    await expect(row).toHaveCount(1);
  } finally {
    await hub.stop();
  }
});

test('a new hub without DAXFLEET_ADMIN_PASSWORD prints a one-time admin password that must be changed at first login', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('first-admin');
  const hub = await startDaxfleet('first-admin', [
    '--role', 'hub', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
  ], workDir, 30_000, { DAXFLEET_ADMIN_PASSWORD: '' });
  try {
    const printed = /daxfleet: created admin user "admin" with one-time password: (\S+) \(change it at first login\)/;
    let oneTime = '';
    await expect.poll(() => {
      oneTime = printed.exec(readFileSync(hub.logPath, 'utf8'))?.[1] ?? '';
      return oneTime;
    }).not.toBe('');

    await page.goto(hub.url);
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    await page.screenshot({ path: '/tmp/daxfleet-e2e-login.png', fullPage: true });
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(oneTime);
    await page.getByRole('button', { name: 'Log in' }).click();

    // the one-time password opens nothing but the change-password page
    await expect(page).toHaveURL(/\/change-password$/);
    await expect(page.getByRole('region', { name: 'Choose your own password' })).toBeVisible();
    expect((await page.request.get(`${hub.url}/api/v1/hosts`)).status()).toBe(403);
    await page.goto(hub.url);
    await expect(page).toHaveURL(/\/change-password$/);

    await page.getByLabel('Current password').fill(oneTime);
    await page.getByLabel(/^New password \(at least/).fill('my-own-admin-password-42');
    await page.getByLabel('New password again').fill('my-own-admin-password-42');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
    await expect(page.getByRole('region', { name: 'No hosts yet' })).toBeVisible();
    expect((await page.request.get(`${hub.url}/api/v1/hosts`)).status()).toBe(200);
  } finally {
    await hub.stop();
  }
});
