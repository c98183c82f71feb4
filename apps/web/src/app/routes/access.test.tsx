import type { Role } from '@daxfleet/shared';
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hostSummary } from '@/testing/host-summary';
import { renderApp } from '@/testing/render-app';
import { principal, stubHub, type StubRoutes } from '@/testing/stub-hub';

afterEach(() => {
  vi.unstubAllGlobals();
});

const host = {
  ...hostSummary(),
  inventory: { schema_version: 1, sysfs_root: '/sys', buses: [], dax_regions: [], health_source: 'none', warnings: [] },
};

function hubFor(role: Role, extra: StubRoutes = {}) {
  return stubHub({
    'GET /auth/me': { body: principal(role) },
    'GET /hosts': { body: { hosts: [hostSummary()] } },
    'GET /hosts/host-a': { body: host },
    'GET /hosts/host-a/inventory/history': { body: { versions: [] } },
    'GET /hosts/host-a/recovery/plans': { body: { plans: [] } },
    'GET /info': { body: { version: '0.1.0', role: 'hub' } },
    ...extra,
  });
}

describe('what each role sees', () => {
  it("a viewer's host page has no Rescan button", async () => {
    hubFor('viewer');
    renderApp('/hosts/host-a');
    await screen.findByRole('heading', { level: 1, name: 'pmem-a' });
    await screen.findByRole('heading', { name: 'History' });
    expect(screen.queryByRole('button', { name: 'Rescan now' })).toBeNull();
  });

  it("an operator's host page has Rescan now, which asks the hub and says it was accepted", async () => {
    const calls = hubFor('operator', { 'POST /hosts/host-a/rescan': { status: 202, body: { accepted: true } } });
    renderApp('/hosts/host-a');
    fireEvent.click(await screen.findByRole('button', { name: 'Rescan now' }));
    expect((await screen.findByText(/^Rescan accepted/)).textContent).toContain('the agent is scanning');
    expect(calls.filter((call) => call.method === 'POST').map((call) => call.path)).toEqual(['/hosts/host-a/rescan']);
  });

  it("shows the hub's refusal of a rescan in words", async () => {
    hubFor('operator', {
      'POST /hosts/host-a/rescan': {
        status: 409,
        body: { statusCode: 409, code: 'DAXFLEET_ERR_HOST_NO_AGENT_URL', error: 'Conflict', message: 'host-a never said where its agent listens; restart the agent' },
      },
    });
    renderApp('/hosts/host-a');
    fireEvent.click(await screen.findByRole('button', { name: 'Rescan now' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The rescan was not started');
    expect(alert.textContent).toContain('DAXFLEET_ERR_HOST_NO_AGENT_URL');
  });

  it("a viewer's navigation has no Admin", async () => {
    hubFor('viewer');
    renderApp('/');
    await screen.findByRole('heading', { name: 'Fleet' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((link) => link.textContent)).toEqual(['Fleet', 'Media errors', 'Recovery', 'Capacity']);
  });

  it("an admin's navigation has Admin", async () => {
    hubFor('admin');
    renderApp('/');
    await screen.findByRole('heading', { name: 'Fleet' });
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(within(nav).getAllByRole('link').map((link) => link.textContent)).toEqual(['Fleet', 'Media errors', 'Recovery', 'Capacity', 'Admin']);
  });

  it.each(['viewer', 'operator'] as const)('a %s who opens /admin/users directly is told it needs the admin role', async (role) => {
    const calls = hubFor(role);
    renderApp('/admin/users');
    const notice = await screen.findByRole('region', { name: 'You need the admin role' });
    expect(notice.textContent).toContain(`with the ${role} role`);
    expect(screen.queryByRole('table', { name: 'Users' })).toBeNull();
    expect(calls.some((call) => call.path === '/users')).toBe(false);
  });

  it('an admin sees the users with the guard-rail error when demoting the last admin', async () => {
    hubFor('admin', {
      'GET /users': { body: { users: [{ id: 'user-admin', username: 'admin', role: 'admin', created_at: new Date().toISOString(), disabled: false, must_change_password: false }] } },
      'PATCH /users/user-admin': {
        status: 409,
        body: { statusCode: 409, code: 'DAXFLEET_ERR_USER_LAST_ADMIN', error: 'Conflict', message: 'admin is the last admin; make another user admin first' },
      },
    });
    renderApp('/admin/users');
    const table = await screen.findByRole('table', { name: 'Users' });
    fireEvent.change(within(table).getByRole('combobox', { name: 'Role of admin' }), { target: { value: 'viewer' } });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not change the role of admin');
    expect(alert.textContent).toContain('make another user admin first');
  });
});
