import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startDaxfleet, type DaxfleetProcess } from '../support/daxfleet-process';
import { expect, test } from '../support/fixtures';
import { hubRequest, USERS } from '../support/hub-auth';
import { fixtureDir } from '../support/paths';
import { hubUrl } from '../support/simulated-hosts';

/** The admin area on the shared e2e hub: users with their guard rails, and an agent enrolled and revoked from the UI. */
test.use({ role: 'admin' });

test('an admin creates a user, changes its role, cannot lock themselves out, and deletes it', async ({ page }) => {
  const username = `e2e-temp-${Date.now()}`;
  await page.goto(`${hubUrl()}/admin/users`);
  const form = page.getByRole('form', { name: 'Create a user' });
  await form.getByLabel(/^Username/).fill(username);
  await form.getByLabel(/^Password/).fill('temporary-password-123');
  await form.getByLabel('Role').selectOption('operator');
  await form.getByRole('button', { name: 'Create user' }).click();

  const table = page.getByRole('table', { name: 'Users' });
  const row = table.getByRole('row').filter({ hasText: username });
  await expect(row.getByRole('combobox', { name: `Role of ${username}` })).toHaveValue('operator');
  await expect(row).toContainText('must change password');
  // the new user logs in with that password (and must change it first)
  expect((await hubRequest(hubUrl(), 'POST', '/auth/login', { body: { username, password: 'temporary-password-123' } })).status).toBe(200);

  await row.getByRole('combobox', { name: `Role of ${username}` }).selectOption('viewer');
  await expect(page.getByRole('status').filter({ hasText: `${username} is now viewer.` })).toBeVisible();
  await page.reload();
  await expect(row.getByRole('combobox', { name: `Role of ${username}` })).toHaveValue('viewer');

  // guard rail: the logged-in admin cannot disable themselves; the hub's answer is shown
  const self = table.getByRole('row').filter({ hasText: `${USERS.admin.username} (you)` });
  await self.getByRole('button', { name: 'Disable' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText(`Could not disable ${USERS.admin.username}`);
  await expect(alert).toContainText('HTTP 409');
  await expect(self).toContainText('active');
  await page.screenshot({ path: '/tmp/daxfleet-e2e-admin-users.png', fullPage: true });

  await row.getByRole('button', { name: 'Delete' }).click();
  await row.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(table.getByRole('row').filter({ hasText: username })).toHaveCount(0);
  expect((await hubRequest(hubUrl(), 'POST', '/auth/login', { body: { username, password: 'temporary-password-123' } })).status).toBe(401);
});

test('an admin enrolls an agent with the command the join token dialog gives, then revokes it', async ({ page }, testInfo) => {
  const hostId = 'sim-enrolled';
  await page.goto(`${hubUrl()}/admin/agents`);
  await page.getByRole('form', { name: 'Create a join token' }).getByRole('button', { name: 'Create join token' }).click();
  const dialog = page.getByRole('dialog', { name: 'Join token' });
  await expect(dialog.getByRole('note')).toContainText('only time daxfleet shows it');
  const secret = (await dialog.getByLabel('Secret').textContent()) ?? '';
  expect(secret).toMatch(/^dxf_join_[A-Za-z0-9_-]{40,}$/);
  await expect(dialog.getByLabel('Agent command'))
    .toHaveText(`pnpm exec daxfleet serve --role agent --hub-url ${hubUrl()} --join-token ${secret}`);
  await page.screenshot({ path: '/tmp/daxfleet-e2e-admin-join-token.png', fullPage: true });
  await dialog.getByRole('button', { name: /close/ }).click();

  await expect(page.getByText(secret)).toHaveCount(0);

  // the command's arguments, as an operator would run it on the new host (plus a recorded tree to scan)
  const workDir = testInfo.outputPath('enrolled-agent');
  let agent: DaxfleetProcess | undefined = await startDaxfleet(`agent-${hostId}`, [
    '--role', 'agent', '--hub-url', hubUrl(), '--join-token', secret,
    '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'data'),
    '--sysfs-root', join(fixtureDir('one-dimm-label-less'), 'sys'), '--hostname', hostId, '--host-id', hostId, '--interval', '1000',
  ], workDir);
  try {
    const exited = new Promise<number | null>((resolve) => agent?.child.once('exit', (code) => resolve(code)));
    await page.reload();
    const agents = page.getByRole('table', { name: 'Enrolled agents' });
    const agentRow = agents.getByRole('row').filter({ hasText: hostId });
    await expect(agentRow).toContainText('active');
    await expect(page.getByRole('table', { name: 'Join tokens' }).getByRole('row').filter({ hasText: `used by ${hostId}` })).toHaveCount(1);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-admin-agents.png', fullPage: true });

    await agentRow.getByRole('button', { name: 'Revoke' }).click();
    await agentRow.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect(agentRow).toContainText('revoked');
    // its next report is refused: the agent says so and stops
    expect(await exited).toBe(1);
    await agent.stop();
    expect(readFileSync(agent.logPath, 'utf8')).toContain('re-enroll with a new join token');
    agent = undefined;
  } finally {
    await agent?.stop();
  }
});
