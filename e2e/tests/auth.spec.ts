import type { AuditEntry, HostList } from '@daxfleet/shared';
import { expect, test } from '../support/fixtures';
import { adminToken, hubRequest, loginThroughUi, storageStateFor, readStorageCookie, USERS } from '../support/hub-auth';
import { hubUrl, SIMULATED_HOSTS } from '../support/simulated-hosts';

/**
 * Access control as a user meets it, on the shared e2e hub: logging in and out, what a viewer cannot reach,
 * an operator's rescan, an admin's API token (shown once, then revoked) and the audit log of all of it.
 */
const host = SIMULATED_HOSTS[0];
if (host === undefined) throw new Error('no simulated host');

test.describe('an admin who logs in and out', () => {
  test.use({ role: 'anonymous' });

  test('logs in, sees the fleet, logs out, and the session no longer opens the API', async ({ page, context }) => {
    await page.goto(`${hubUrl()}/hosts/${host.hostId}`);
    // nobody is logged in: the login page, remembering where the user was going
    await expect(page).toHaveURL(new RegExp(`/login\\?next=${encodeURIComponent(`/hosts/${host.hostId}`)}$`));
    await expect(page).toHaveTitle('Log in · daxfleet');

    await page.getByLabel('Username').fill(USERS.admin.username);
    await page.getByLabel('Password').fill('not the admin password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password. Check both and try again.');

    await page.getByLabel('Password').fill(USERS.admin.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page).toHaveURL(new RegExp(`/hosts/${host.hostId}$`));
    await expect(page.getByRole('heading', { level: 1, name: host.hostname })).toBeVisible();
    const user = page.getByRole('group', { name: 'Logged in user' });
    await expect(user).toContainText(USERS.admin.username);
    await expect(user).toContainText('admin');

    await page.getByRole('link', { name: 'Fleet', exact: true }).first().click();
    await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
    for (const simulated of SIMULATED_HOSTS) {
      await expect(page.getByRole('link', { name: simulated.hostname, exact: true })).toBeVisible();
    }
    const session = (await context.cookies()).find((cookie) => cookie.name === 'daxfleet_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');

    await user.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
    // the hub ended the session: neither the browser nor the old cookie opens the fleet API any more
    expect((await page.request.get(`${hubUrl()}/api/v1/hosts`)).status()).toBe(401);
    const replayed = await hubRequest(hubUrl(), 'GET', '/hosts', { cookie: `daxfleet_session=${session?.value ?? ''}` });
    expect(replayed.status).toBe(401);
    // and the fleet page sends the user back to the login page
    await page.goto(hubUrl());
    await expect(page).toHaveURL(/\/login$/);
  });
});

test.describe('a viewer', () => {
  test.use({ role: 'viewer' });

  test('reads the host page but has no Rescan button, no Admin area, and the API refuses both', async ({ page }) => {
    await page.goto(`${hubUrl()}/hosts/${host.hostId}`);
    await expect(page.getByRole('heading', { level: 1, name: host.hostname })).toBeVisible();
    await expect(page.getByRole('region', { name: 'History', exact: true })).toBeVisible();
    const user = page.getByRole('group', { name: 'Logged in user' });
    await expect(user.getByText(USERS.viewer.username, { exact: true })).toBeVisible();
    await expect(user.getByText('viewer', { exact: true })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Rescan now' })).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveText(['Fleet', 'Media errors', 'Recovery', 'Capacity']);

    await page.goto(`${hubUrl()}/admin/users`);
    await expect(page.getByRole('region', { name: 'You need the admin role' })).toContainText('with the viewer role');
    await expect(page.getByRole('table', { name: 'Users' })).toHaveCount(0);

    const cookie = readStorageCookie(storageStateFor('viewer'));
    expect((await hubRequest(hubUrl(), 'POST', `/hosts/${host.hostId}/rescan`, { cookie })).status).toBe(403);
    expect((await hubRequest(hubUrl(), 'GET', '/users', { cookie })).status).toBe(403);
  });
});

test.describe('an operator', () => {
  test.use({ role: 'operator' });

  test('asks a host to rescan now and sees it accepted', async ({ page }) => {
    await page.goto(`${hubUrl()}/hosts/${host.hostId}`);
    await expect(page.getByRole('heading', { level: 1, name: host.hostname })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link')).toHaveText(['Fleet', 'Media errors', 'Recovery', 'Capacity']);
    await page.getByRole('button', { name: 'Rescan now' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Rescan accepted' })).toBeVisible();
    await expect(page.getByRole('alert')).toHaveCount(0);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-host-operator.png' });
  });
});

test.describe('an admin', () => {
  test.use({ role: 'admin' });

  test('creates an API token that is shown once, uses it, revokes it, and finds it all in the audit log', async ({ page }) => {
    const name = `e2e-ci-${Date.now()}`;
    await page.goto(hubUrl());
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API tokens' }).click();
    await expect(page).toHaveURL(/\/admin\/tokens$/);

    const form = page.getByRole('form', { name: 'Create an API token' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Scope').selectOption('viewer');
    await form.getByLabel(/^Expires after/).fill('7');
    await form.getByRole('button', { name: 'Create token' }).click();

    const dialog = page.getByRole('dialog', { name: `API token "${name}" (viewer)` });
    await expect(dialog.getByRole('note')).toContainText('only time daxfleet shows it');
    await expect(dialog.getByRole('button', { name: 'Copy' })).toBeVisible();
    const secret = (await dialog.getByLabel('Secret').textContent()) ?? '';
    expect(secret).toMatch(/^dxf_tok_[A-Za-z0-9_-]{40,}$/);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-admin-token-created.png', fullPage: true });

    // the token works as a bearer token, with its scope
    const hosts = await hubRequest(hubUrl(), 'GET', '/hosts', { token: secret });
    expect(hosts.status).toBe(200);
    expect(((await hosts.json()) as HostList).hosts.map((listed) => listed.id)).toContain(host.hostId);
    expect((await hubRequest(hubUrl(), 'POST', `/hosts/${host.hostId}/rescan`, { token: secret })).status).toBe(403);

    await dialog.getByRole('button', { name: /close/ }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.getByText(secret)).toHaveCount(0);
    const row = page.getByRole('table', { name: 'API tokens' }).getByRole('row').filter({ hasText: name });
    await expect(row).toContainText(secret.slice(0, 11));
    await expect(row).toContainText('active');
    await page.reload();
    await expect(page.getByText(secret)).toHaveCount(0);
    await page.screenshot({ path: '/tmp/daxfleet-e2e-admin-tokens.png', fullPage: true });

    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Yes, revoke' }).click();
    await expect(row.getByText('revoked', { exact: true })).toBeVisible();
    expect((await hubRequest(hubUrl(), 'GET', '/hosts', { token: secret })).status).toBe(401);

    await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Audit' }).click();
    const entries = page.getByRole('table', { name: 'Audit entries' });
    await expect(entries.getByRole('row').filter({ hasText: 'auth.login' }).first()).toBeVisible();
    await expect(entries.getByRole('row').filter({ hasText: 'token.create' }).filter({ hasText: name })).toHaveCount(1);
    await expect(entries.getByRole('row').filter({ hasText: 'token.revoke' }).first()).toBeVisible();
    // newest first: the revoke is above the creation
    const actions = await entries.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(actions.indexOf('token.revoke')).toBeLessThan(actions.indexOf('token.create'));
    await page.screenshot({ path: '/tmp/daxfleet-e2e-audit.png', fullPage: true });

    // filters: only failed logins (the wrong password of the first test, at least)
    await page.getByLabel('Action').fill('auth.login');
    await page.getByLabel('Result').selectOption('failure');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect(entries.locator('tbody tr').first()).toContainText('failure');
    const filtered = await entries.locator('tbody tr td:nth-child(4)').allTextContents();
    expect(new Set(filtered)).toEqual(new Set(['auth.login']));

    const api = await hubRequest(hubUrl(), 'GET', '/audit?action=token.revoke', { token: adminToken() });
    expect(((await api.json()) as { entries: AuditEntry[] }).entries.length).toBeGreaterThan(0);
  });
});

test('a fresh login through the page works for every role', async ({ browser }) => {
  for (const role of ['viewer', 'operator'] as const) {
    const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
    const page = await context.newPage();
    await loginThroughUi(page, hubUrl(), role);
    await expect(page.getByRole('heading', { level: 1, name: 'Fleet' })).toBeVisible();
    await context.close();
  }
});
