import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NOT_LOGGED_IN, principal, stubHub } from '@/testing/stub-hub';
import { renderApp } from '@/testing/render-app';

afterEach(() => {
  vi.unstubAllGlobals();
});

function logIn(username: string, password: string) {
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: username } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
}

describe('login', () => {
  it('sends a visitor without a session to the login page, remembering where they were going', async () => {
    stubHub({ 'GET /auth/me': NOT_LOGGED_IN });
    const { router } = renderApp('/hosts/host-a?tab=x');
    await screen.findByRole('heading', { name: 'Log in' });
    expect(router.state.location.pathname).toBe('/login');
    expect(new URLSearchParams(router.state.location.search).get('next')).toBe('/hosts/host-a?tab=x');
  });

  it('says the credentials are wrong, without saying which one', async () => {
    const calls = stubHub({
      'GET /auth/me': NOT_LOGGED_IN,
      'POST /auth/login': { status: 401, body: { statusCode: 401, code: 'DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS', error: 'Unauthorized', message: 'wrong username or password' } },
    });
    renderApp('/login');
    await screen.findByRole('heading', { name: 'Log in' });
    logIn('alice', 'not-her-password');
    expect((await screen.findByRole('alert')).textContent).toBe('Wrong username or password. Check both and try again.');
    expect(calls.find((call) => call.method === 'POST')?.body).toEqual({ username: 'alice', password: 'not-her-password' });
  });

  it('says how long to wait when the hub slows down repeated failures (429 Retry-After)', async () => {
    stubHub({
      'GET /auth/me': NOT_LOGGED_IN,
      'POST /auth/login': {
        status: 429, headers: { 'retry-after': '120' },
        body: { statusCode: 429, code: 'DAXFLEET_ERR_AUTH_RATE_LIMITED', error: 'Too Many Requests', message: 'too many failed logins' },
      },
    });
    renderApp('/login');
    await screen.findByRole('heading', { name: 'Log in' });
    logIn('alice', 'guess-number-six');
    expect((await screen.findByRole('alert')).textContent).toBe('Too many failed logins. Try again in 2 minutes.');
  });

  /** a hub that answers 401 until POST /auth/login, then knows a viewer, with an empty fleet */
  function stubHubWhereLoginSucceeds(): void {
    let loggedIn = false;
    stubHub({
      'GET /auth/me': () => (loggedIn ? { body: principal('viewer') } : NOT_LOGGED_IN),
      'POST /auth/login': () => { loggedIn = true; return { body: principal('viewer') }; },
      'GET /hosts': { body: { hosts: [] } },
      'GET /info': { body: { version: '0.1.0', role: 'hub' } },
    });
  }

  it('goes where the user was going after logging in, and shows who is logged in', async () => {
    stubHubWhereLoginSucceeds();
    const { router } = renderApp('/login?next=%2F%3Fq%3Dpmem');
    await screen.findByRole('heading', { name: 'Log in' });
    logIn('viewer-1', 'correct horse battery');
    await screen.findByRole('heading', { name: 'Fleet' });
    expect(`${router.state.location.pathname}${router.state.location.search}`).toBe('/?q=pmem');
    const user = screen.getByRole('group', { name: 'Logged in user' });
    expect(user.textContent).toContain('viewer-1');
    expect(user.textContent).toContain('viewer');
  });

  it('never follows a next= that leaves the UI', async () => {
    stubHubWhereLoginSucceeds();
    const { router } = renderApp('/login?next=%2F%2Fevil.example%2F');
    await screen.findByRole('heading', { name: 'Log in' });
    logIn('viewer-1', 'correct horse battery');
    await screen.findByRole('heading', { name: 'Fleet' });
    expect(router.state.location.pathname).toBe('/');
  });

  it('sends a user with a one-time password to change it first', async () => {
    stubHub({ 'GET /auth/me': { body: principal('admin', { must_change_password: true }) } });
    const { router } = renderApp('/');
    await screen.findByRole('heading', { name: 'Change your password' });
    expect(router.state.location.pathname).toBe('/change-password');
  });

  it('logs out: ends the session on the hub and goes back to the login page', async () => {
    let loggedIn = true;
    const calls = stubHub({
      'GET /auth/me': () => (loggedIn ? { body: principal('viewer') } : NOT_LOGGED_IN),
      'POST /auth/logout': () => { loggedIn = false; return { status: 204 }; },
      'GET /hosts': { body: { hosts: [] } },
      'GET /info': { body: { version: '0.1.0', role: 'hub' } },
    });
    const { router } = renderApp('/');
    fireEvent.click(await screen.findByRole('button', { name: 'Log out' }));
    await screen.findByRole('heading', { name: 'Log in' });
    expect(router.state.location.pathname).toBe('/login');
    expect(calls.some((call) => call.method === 'POST' && call.path === '/auth/logout')).toBe(true);
  });

  it('a 401 from any request (the session ended) leads to the login page', async () => {
    let sessionAlive = true;
    stubHub({
      'GET /auth/me': () => (sessionAlive ? { body: principal('viewer') } : NOT_LOGGED_IN),
      'GET /hosts': () => { sessionAlive = false; return NOT_LOGGED_IN; },
      'GET /info': NOT_LOGGED_IN,
    });
    const { router } = renderApp('/');
    await screen.findByRole('heading', { name: 'Log in' });
    await waitFor(() => expect(router.state.location.pathname).toBe('/login'));
  });
});

describe('session check', () => {
  it('keeps the pages when the hub cannot be reached after the session was known', async () => {
    let hubUp = true;
    const unreachable = () => { throw new TypeError('fetch failed'); };
    stubHub({
      'GET /auth/me': () => (hubUp ? { body: principal('viewer') } : unreachable()),
      'GET /hosts': { body: { hosts: [] } },
      'GET /info': { body: { version: '0.1.0', role: 'hub' } },
    });
    const { queryClient, router } = renderApp('/');
    await screen.findByRole('heading', { name: 'Fleet' });
    hubUp = false;
    await act(() => queryClient.refetchQueries({ queryKey: ['auth', 'me'] }));
    expect(queryClient.getQueryState(['auth', 'me'])?.status).toBe('error');
    expect(screen.getByRole('heading', { name: 'Fleet' })).toBeTruthy();
    expect(screen.queryByText('Could not check your session')).toBeNull();
    expect(router.state.location.pathname).toBe('/');
  });
});
