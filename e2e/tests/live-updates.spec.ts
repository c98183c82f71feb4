import { appendFileSync, cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startDaxfleet, type DaxfleetProcess } from '../support/daxfleet-process';
import { expect, test } from '../support/fixtures';
import { adminToken, createJoinToken } from '../support/hub-auth';
import { fixtureDir } from '../support/paths';
import { hubUrl } from '../support/simulated-hosts';

/**
 * The open pages follow the fleet without a reload: a host that starts reporting appears, a change in its
 * sysfs tree becomes a new inventory version with its changes in words, and a host that stops goes offline.
 * The agent reads a private copy of a recorded tree, so the test can change the copy between scans; it enrolls with
 * a join token an admin created.
 */
test('an open fleet page follows an agent that joins, changes and stops', async ({ page }, testInfo) => {
  const workDir = testInfo.outputPath('late-agent');
  const sysfsRoot = join(workDir, 'sys');
  cpSync(join(fixtureDir('two-dimm-all-modes'), 'sys'), sysfsRoot, { recursive: true, verbatimSymlinks: true });
  const badblocksFile = join(sysfsRoot, 'block', 'pmem0.3', 'badblocks');
  const before = readFileSync(badblocksFile, 'utf8');

  await page.goto(hubUrl());
  await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'sim-late', exact: true }) });
  await expect(row).toHaveCount(0);

  let agent: DaxfleetProcess | undefined = await startDaxfleet('agent-sim-late', [
    '--role', 'agent', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
    '--hub-url', hubUrl(), '--sysfs-root', sysfsRoot, '--hostname', 'sim-late', '--host-id', 'sim-late', '--interval', '1000',
    '--join-token', await createJoinToken(hubUrl(), adminToken()),
  ], workDir);
  try {
    await expect(row).toHaveCount(1);
    await expect(row.getByText('online', { exact: true })).toBeVisible();
    const badBlockCell = row.getByRole('cell').nth(3);
    const initialCount = Number(await badBlockCell.textContent());

    // 8 more bad sectors on the raw namespace's block device, far from the recorded ones
    appendFileSync(badblocksFile, `${before.endsWith('\n') || before === '' ? '' : '\n'}200000 8\n`);
    await expect(badBlockCell).toHaveText(String(initialCount + 8));

    await row.getByRole('link', { name: 'sim-late' }).click();
    const history = page.getByRole('region', { name: 'History', exact: true });
    await expect(history.getByRole('heading', { name: 'Version 2' })).toBeVisible();
    await expect(history.getByRole('list', { name: 'Changes in version 2' })).toContainText('namespace0.3');
    await expect(history.getByRole('list', { name: 'Changes in version 2' })).toContainText('200000+8');
    await expect(page.getByRole('table', { name: 'Bad blocks in /dev/pmem0.3 (block-device-relative sectors)' })
      .getByRole('row', { name: /^200,000 8 / })).toHaveCount(1);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-host-history.png', fullPage: true });

    await agent.stop();
    agent = undefined;
    await page.getByRole('link', { name: 'Fleet', exact: true }).first().click();
    await expect(row.getByText('offline', { exact: true })).toBeVisible({ timeout: 30_000 });
  } finally {
    await agent?.stop();
  }
});
