/**
 * Credentials of the e2e fleet. Global setup starts the hub with DAXFLEET_ADMIN_PASSWORD (so no one-time
 * password to change), then creates, through the REST API with the admin's session: an admin API token for the
 * tests' own API calls, a viewer and an operator user, and a join token per simulated agent. Each role's
 * logged-in browser state is saved for `test.use({ storageState })`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { Role } from '@daxfleet/shared';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'e2e-admin-password-0001';
/** the environment a hub needs to create its first admin with a known password */
export const ADMIN_ENV = { DAXFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD } as const;

export const USERS: Readonly<Record<Role, { username: string; password: string }>> = {
  admin: { username: ADMIN_USERNAME, password: ADMIN_PASSWORD },
  operator: { username: 'e2e-operator', password: 'e2e-operator-password-01' },
  viewer: { username: 'e2e-viewer', password: 'e2e-viewer-password-0001' },
};

/** Where global setup tells the tests the admin API token and the per-role browser states are. */
export const ADMIN_TOKEN_ENV = 'DAXFLEET_E2E_ADMIN_TOKEN';
export const STATE_DIR_ENV = 'DAXFLEET_E2E_STATE_DIR';

export function adminToken(): string {
  const token = process.env[ADMIN_TOKEN_ENV];
  if (token === undefined || token === '') throw new Error(`${ADMIN_TOKEN_ENV} is not set: run the tests through playwright.config.ts (global setup creates it)`);
  return token;
}

/** The saved browser state (session cookie) of a user with this role, for `test.use({ storageState: ... })`. */
export function storageStateFor(role: Role): string {
  const dir = process.env[STATE_DIR_ENV];
  if (dir === undefined || dir === '') throw new Error(`${STATE_DIR_ENV} is not set: run the tests through playwright.config.ts`);
  return join(dir, `${role}.json`);
}

/** A JSON request to the hub's REST API; `auth` is an API token, an agent credential or a session cookie header. */
export async function hubRequest(hubUrl: string, method: string, path: string, options: { body?: unknown; token?: string; cookie?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  return fetch(`${hubUrl}/api/v1${path}`, { method, headers, ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}) });
}

/** Like hubRequest, but the answer must have `status`; returns the parsed body. */
export async function hubJson<T>(hubUrl: string, method: string, path: string, status: number, options: { body?: unknown; token?: string; cookie?: string } = {}): Promise<T> {
  const response = await hubRequest(hubUrl, method, path, options);
  const text = await response.text();
  if (response.status !== status) throw new Error(`${method} ${path} answered ${response.status}, expected ${status}: ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

/** POST /auth/login; returns the session cookie (`daxfleet_session=...`) and its attributes. */
export async function loginForCookie(hubUrl: string, username: string, password: string): Promise<{ header: string; value: string; expires: number }> {
  const response = await hubRequest(hubUrl, 'POST', '/auth/login', { body: { username, password } });
  if (response.status !== 200) throw new Error(`login as ${username} answered ${response.status}: ${await response.text()}`);
  const setCookie = response.headers.getSetCookie().find((cookie) => cookie.startsWith('daxfleet_session='));
  if (setCookie === undefined) throw new Error(`login as ${username} set no daxfleet_session cookie`);
  const value = setCookie.slice('daxfleet_session='.length).split(';')[0] ?? '';
  const maxAge = /;\s*max-age=(\d+)/i.exec(setCookie)?.[1];
  const expiresAttribute = /;\s*expires=([^;]+)/i.exec(setCookie)?.[1];
  const expires = maxAge !== undefined
    ? Math.floor(Date.now() / 1000) + Number(maxAge)
    : expiresAttribute !== undefined ? Math.floor(Date.parse(expiresAttribute) / 1000) : -1;
  return { header: `daxfleet_session=${value}`, value, expires };
}

/** Logs in through the REST API and writes a Playwright storage state holding that session cookie. */
export async function saveStorageState(hubUrl: string, role: Role, dir: string): Promise<string> {
  const { username, password } = USERS[role];
  const cookie = await loginForCookie(hubUrl, username, password);
  const path = join(dir, `${role}.json`);
  writeFileSync(path, JSON.stringify({
    cookies: [{
      name: 'daxfleet_session', value: cookie.value, domain: new URL(hubUrl).hostname, path: '/',
      expires: cookie.expires, httpOnly: true, secure: false, sameSite: 'Strict',
    }],
    origins: [],
  }));
  return path;
}

export function readStorageCookie(path: string): string {
  const state = JSON.parse(readFileSync(path, 'utf8')) as { cookies: { name: string; value: string }[] };
  const cookie = state.cookies.find((candidate) => candidate.name === 'daxfleet_session');
  if (cookie === undefined) throw new Error(`${path} has no session cookie`);
  return `daxfleet_session=${cookie.value}`;
}

/** Creates a one-time join token with the admin token; returns its secret. */
export async function createJoinToken(hubUrl: string, token: string): Promise<string> {
  const created = await hubJson<{ token: string }>(hubUrl, 'POST', '/agents/join-tokens', 201, { body: {}, token });
  return created.token;
}

/** Enrolls `hostId` with a fresh join token (as an agent does) and returns its agent credential. */
export async function enrollHost(hubUrl: string, token: string, hostId: string, hostname = hostId): Promise<string> {
  const joinToken = await createJoinToken(hubUrl, token);
  const enrolled = await hubJson<{ agent_credential: string }>(hubUrl, 'POST', '/agents/enroll', 200, {
    body: { join_token: joinToken, host_id: hostId, hostname },
  });
  return enrolled.agent_credential;
}

/** Logs in through the login page of the hub at `hubUrl` (a page with no session is sent there). */
export async function loginThroughUi(page: Page, hubUrl: string, role: Role = 'admin'): Promise<void> {
  const { username, password } = USERS[role];
  await page.goto(hubUrl);
  await expect(page).toHaveURL(/\/login(\?|$)/);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('group', { name: 'Logged in user' })).toContainText(username);
}
