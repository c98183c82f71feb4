import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { freePort, startDaxfleet } from '../support/daxfleet-process';

/**
 * The first thing an operator sees on a new hub. These tests start their own hub processes (the shared
 * fleet of global setup is not empty), on loopback with a data folder in the test's output directory.
 */
test('a hub nobody reports to says how to add hosts', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('empty-hub');
  const hub = await startDaxfleet('empty-hub', [
    '--role', 'hub', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
  ], workDir);
  try {
    await page.goto(hub.url);
    const notice = page.getByRole('region', { name: 'No hosts yet' });
    await expect(notice).toContainText('No agent has reported to this hub.');
    await expect(notice.locator('pre').first()).toHaveText(`pnpm exec daxfleet serve --role agent --hub-url ${hub.url}`);
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
  ], workDir);
  try {
    await page.goto(hub.url);
    const notice = page.getByRole('region', { name: 'No persistent memory on this machine' });
    await expect(notice).toContainText(`This machine has no persistent memory (no NVDIMM bus found under ${sysfsRoot})`);
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'no-pmem-box', exact: true }) });
    await expect(row).toContainText('no persistent memory');
    await expect(row).toContainText('no DIMMs');
    await expect(page.getByRole('region', { name: 'Add hosts' }).locator('pre').first())
      .toHaveText(`pnpm exec daxfleet serve --role agent --hub-url ${hub.url}`);
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
  ], workDir);
  try {
    await page.goto(hub.url);
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
