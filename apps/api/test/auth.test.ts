/**
 * Access control end to end through the REST API: the first admin, login and sessions, the one-time password
 * gate, login throttling, users with the admin guard rails, API tokens, and the audit log.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError, ApiToken, AuditEntry, Principal, User } from '@daxfleet/shared';
import { buildServer } from '../src/server.js';
import { sha256, verifyPassword } from '../src/services/secrets.js';
import {
  authed, loginCookie, startTestHub, tempDir, TEST_ADMIN_PASSWORD, withEnv, type TestHub,
} from './helpers.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';

let hub: TestHub;
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

const code = (res: LightMyRequestResponse): string => res.json<ApiError>().code;

function login(username: string, password: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return hub.server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, headers });
}

async function createUser(username: string, role: 'viewer' | 'operator' | 'admin', password = `${username}-password-1`): Promise<User> {
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/users', headers: authed(hub.adminToken), payload: { username, password, role },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<User>();
}

/** creates a user and changes the admin-set password, as the user would at first login */
async function activeUser(username: string, role: 'viewer' | 'operator' | 'admin'): Promise<{ user: User; cookie: string }> {
  const user = await createUser(username, role);
  const first = await loginCookie(hub, username, `${username}-password-1`);
  const changed = await hub.server.inject({
    method: 'POST', url: '/api/v1/auth/password', headers: { cookie: first },
    payload: { current_password: `${username}-password-1`, new_password: `${username}-password-2` },
  });
  expect(changed.statusCode, changed.body).toBe(204);
  return { user, cookie: first };
}

async function audit(query = ''): Promise<AuditEntry[]> {
  const res = await hub.server.inject({ url: `/api/v1/audit${query}`, headers: authed(hub.adminToken) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ entries: AuditEntry[] }>().entries;
}

describe('first admin', () => {
  it('takes the password from DAXFLEET_ADMIN_PASSWORD, or prints a one-time password once', async () => {
    expect((await login('admin', TEST_ADMIN_PASSWORD)).json<Principal>()).toMatchObject({
      kind: 'user', name: 'admin', role: 'admin', must_change_password: false,
    });

    const tmp = tempDir();
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    const config = {
      role: 'hub' as const, version: 'test', databaseFile: `${tmp.dir}/d.db`, migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: `${tmp.dir}/none`,
    };
    try {
      const server = await withEnv({ DAXFLEET_ADMIN_PASSWORD: undefined, DAXFLEET_ADMIN_USERNAME: 'root' },
        () => buildServer({ config }));
      await server.close();
      // a second start with users present creates nobody and prints nothing
      const again = await withEnv({ DAXFLEET_ADMIN_PASSWORD: undefined }, () => buildServer({ config }));
      const rows = await again.prisma.user.findMany();
      await again.close();
      process.stdout.write = write;
      const lines = printed.join('').split('\n').filter((l) => l.includes('one-time password'));
      expect(lines).toHaveLength(1);
      const match = /^daxfleet: created admin user "root" with one-time password: (\S+) \(change it at first login\)$/.exec(lines[0] ?? '');
      expect(match, lines[0]).not.toBeNull();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ username: 'root', role: 'admin', mustChangePassword: true });
      // stored as scrypt, never in clear
      expect(rows[0]?.passwordHash).toMatch(/^scrypt\$/);
      expect(rows[0]?.passwordHash).not.toContain(match?.[1]);
      expect(await verifyPassword(match?.[1] ?? '', rows[0]?.passwordHash ?? '')).toBe(true);
    } finally {
      process.stdout.write = write;
      tmp.remove();
    }
  });
});

describe('login, sessions, logout', () => {
  it('sets an httpOnly SameSite=Strict cookie whose sha256 is the stored session; logout ends it on the server', async () => {
    const res = await login('admin', TEST_ADMIN_PASSWORD, { 'user-agent': 'vitest' });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^daxfleet_session=dxf_ses_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    const cookie = setCookie.split(';')[0] ?? '';
    const secret = cookie.slice('daxfleet_session='.length);
    const row = await hub.server.prisma.session.findUnique({ where: { id: sha256(secret) } });
    expect(row).toMatchObject({ sourceIp: '127.0.0.1', userAgent: 'vitest' });
    expect(await hub.server.prisma.session.count({ where: { id: secret } })).toBe(0);

    const me = await hub.server.inject({ url: '/api/v1/auth/me', headers: { cookie } });
    expect(me.json<Principal>()).toMatchObject({ kind: 'user', name: 'admin', role: 'admin' });
    expect(Date.parse(me.json<Principal>().expires_at ?? '') - Date.now()).toBeGreaterThan(7.9 * 3600_000);

    const out = await hub.server.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie } });
    expect(out.statusCode).toBe(204);
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    expect(await hub.server.prisma.session.count()).toBe(0);
    const after = await hub.server.inject({ url: '/api/v1/hosts', headers: { cookie } });
    expect(after.statusCode).toBe(401);
    expect(code(after)).toBe('DAXFLEET_ERR_AUTH_INVALID');
  });

  it('the same answer for a wrong password, an unknown user and a disabled user', async () => {
    const { user } = await activeUser('dora', 'viewer');
    await hub.server.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: authed(hub.adminToken), payload: { disabled: true } });
    for (const [u, p] of [['admin', 'wrong-password'], ['nobody', 'whatever-password'], ['dora', 'dora-password-2']] as const) {
      const res = await login(u, p, { 'x-forwarded-for': u });
      expect(res.statusCode).toBe(401);
      expect(res.json<ApiError>()).toMatchObject({ code: 'DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS', message: 'wrong username or password: check both and retry' });
    }
  });

  it('Secure cookie when DAXFLEET_COOKIE_SECURE=1', async () => {
    const res = await withEnv({ DAXFLEET_COOKIE_SECURE: '1' }, () => login('admin', TEST_ADMIN_PASSWORD));
    expect(String(res.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('slows down repeated failures per username: 429 with Retry-After after 5, growing, even for the right password', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    hub.server.loginThrottle.now = () => now;
    for (let i = 0; i < 5; i++) expect((await login('admin', `wrong-${i}`)).statusCode).toBe(401);
    const blocked = await login('admin', TEST_ADMIN_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(code(blocked)).toBe('DAXFLEET_ERR_AUTH_RATE_LIMITED');
    expect(blocked.headers['retry-after']).toBe('2');
    now += 2000;
    expect((await login('admin', 'wrong-again')).statusCode).toBe(401);
    expect((await login('admin', TEST_ADMIN_PASSWORD)).headers['retry-after']).toBe('4');
    now += 4000;
    expect((await login('admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(200);
    // success clears the count
    expect((await login('admin', 'wrong-once-more')).statusCode).toBe(401);
    expect((await login('admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(200);
    // every attempt is audited, the throttled ones too
    const attempts = await audit('?action=auth.login&limit=500');
    expect(attempts).toHaveLength(11);
    expect(attempts.filter((e) => e.status_code === 429)).toHaveLength(2);
    expect(attempts.every((e) => e.actor === 'admin')).toBe(true);
    expect(attempts[0]).toMatchObject({ result: 'success', actor_kind: 'user', source_ip: '127.0.0.1' });
    expect(attempts[1]).toMatchObject({ result: 'failure', actor_kind: 'anonymous', detail: 'DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS' });
  });

  it('slows down repeated failures per source address across usernames', async () => {
    hub.server.loginThrottle.now = () => 0;
    for (let i = 0; i < 5; i++) expect((await login(`user${i}`, 'wrong-password')).statusCode).toBe(401);
    expect((await login('admin', TEST_ADMIN_PASSWORD)).statusCode).toBe(429);
  });
});

describe('one-time passwords', () => {
  it('a user with an admin-set password can only see themselves, change it, or log out', async () => {
    await createUser('olga', 'operator');
    const cookie = await loginCookie(hub, 'olga', 'olga-password-1');
    const me = await hub.server.inject({ url: '/api/v1/auth/me', headers: { cookie } });
    expect(me.json<Principal>()).toMatchObject({ role: 'operator', must_change_password: true });
    const hosts = await hub.server.inject({ url: '/api/v1/hosts', headers: { cookie } });
    expect(hosts.statusCode).toBe(403);
    expect(code(hosts)).toBe('DAXFLEET_ERR_AUTH_PASSWORD_CHANGE_REQUIRED');

    const wrong = await hub.server.inject({
      method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { current_password: 'nope', new_password: 'olga-password-2' },
    });
    expect(code(wrong)).toBe('DAXFLEET_ERR_USER_CURRENT_PASSWORD_WRONG');
    const short = await hub.server.inject({
      method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { current_password: 'olga-password-1', new_password: 'short' },
    });
    expect(short.json<ApiError>().message).toContain('body/new_password');
    const ok = await hub.server.inject({
      method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { current_password: 'olga-password-1', new_password: 'olga-password-2' },
    });
    expect(ok.statusCode).toBe(204);
    expect((await hub.server.inject({ url: '/api/v1/hosts', headers: { cookie } })).statusCode).toBe(200);
    expect((await login('olga', 'olga-password-1')).statusCode).toBe(401);
    expect((await login('olga', 'olga-password-2')).statusCode).toBe(200);
  });
});

describe('users', () => {
  it('admins create, list, change and delete users; duplicates refused', async () => {
    const created = await createUser('vera', 'viewer');
    expect(created).toMatchObject({ username: 'vera', role: 'viewer', disabled: false, must_change_password: true });
    expect(JSON.stringify(created)).not.toContain('password-1');
    const dup = await hub.server.inject({
      method: 'POST', url: '/api/v1/users', headers: authed(hub.adminToken), payload: { username: 'vera', password: 'another-password', role: 'admin' },
    });
    expect(dup.statusCode).toBe(409);
    expect(code(dup)).toBe('DAXFLEET_ERR_USER_EXISTS');
    const list = await hub.server.inject({ url: '/api/v1/users', headers: authed(hub.adminToken) });
    expect(list.json<{ users: User[] }>().users.map((u) => u.username)).toEqual(['admin', 'vera']);
    const patched = await hub.server.inject({
      method: 'PATCH', url: `/api/v1/users/${created.id}`, headers: authed(hub.adminToken), payload: { role: 'operator' },
    });
    expect(patched.json<User>().role).toBe('operator');
    const unknownField = await hub.server.inject({
      method: 'PATCH', url: `/api/v1/users/${created.id}`, headers: authed(hub.adminToken), payload: { role: 'operator', colour: 'red' },
    });
    expect(unknownField.json<ApiError>().message).toBe('body/colour is not a known field: remove it (unknown fields are rejected)');
    const del = await hub.server.inject({ method: 'DELETE', url: `/api/v1/users/${created.id}`, headers: authed(hub.adminToken) });
    expect(del.statusCode).toBe(204);
    const gone = await hub.server.inject({ method: 'DELETE', url: `/api/v1/users/${created.id}`, headers: authed(hub.adminToken) });
    expect(code(gone)).toBe('DAXFLEET_ERR_USER_NOT_FOUND');
    const actions = (await audit()).map((e) => [e.action, e.target, e.result, e.actor_kind, e.actor]);
    expect(actions.slice(0, 5)).toEqual([
      ['user.delete', created.id, 'failure', 'token', 'test-admin'],
      ['user.delete', 'vera', 'success', 'token', 'test-admin'],
      ['user.update', created.id, 'failure', 'token', 'test-admin'],
      ['user.update', 'vera', 'success', 'token', 'test-admin'],
      ['user.create', 'vera', 'failure', 'token', 'test-admin'],
    ]);
  });

  it('guard rails: an admin cannot delete, disable or demote themselves, nor remove the last admin', async () => {
    const adminCookie = await loginCookie(hub);
    const adminId = (await hub.server.inject({ url: '/api/v1/auth/me', headers: { cookie: adminCookie } })).json<Principal>().id;
    for (const req of [
      { method: 'DELETE' as const, payload: undefined },
      { method: 'PATCH' as const, payload: { disabled: true } },
      { method: 'PATCH' as const, payload: { role: 'viewer' } },
    ]) {
      const res = await hub.server.inject({ method: req.method, url: `/api/v1/users/${adminId}`, headers: { cookie: adminCookie }, ...(req.payload ? { payload: req.payload } : {}) });
      expect(res.statusCode, res.body).toBe(409);
      expect(code(res)).toBe('DAXFLEET_ERR_USER_SELF');
    }
    // through a token (no "self"): the last enabled admin stays
    const last = await hub.server.inject({ method: 'DELETE', url: `/api/v1/users/${adminId}`, headers: authed(hub.adminToken) });
    expect(code(last)).toBe('DAXFLEET_ERR_USER_LAST_ADMIN');
    const demote = await hub.server.inject({ method: 'PATCH', url: `/api/v1/users/${adminId}`, headers: authed(hub.adminToken), payload: { role: 'operator' } });
    expect(code(demote)).toBe('DAXFLEET_ERR_USER_LAST_ADMIN');
    // with a second admin, the first can be removed by the second
    const { cookie: secondCookie } = await activeUser('second', 'admin');
    const removed = await hub.server.inject({ method: 'DELETE', url: `/api/v1/users/${adminId}`, headers: { cookie: secondCookie } });
    expect(removed.statusCode).toBe(204);
    expect((await hub.server.inject({ url: '/api/v1/auth/me', headers: { cookie: adminCookie } })).statusCode).toBe(401);
  });

  it('disabling a user ends their sessions at once', async () => {
    const { user, cookie } = await activeUser('ivan', 'viewer');
    expect((await hub.server.inject({ url: '/api/v1/hosts', headers: { cookie } })).statusCode).toBe(200);
    await hub.server.inject({ method: 'PATCH', url: `/api/v1/users/${user.id}`, headers: authed(hub.adminToken), payload: { disabled: true } });
    expect((await hub.server.inject({ url: '/api/v1/hosts', headers: { cookie } })).statusCode).toBe(401);
  });
});

describe('API tokens', () => {
  it('created by an admin: secret shown once, stored as sha256, scoped, revocable', async () => {
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/tokens', headers: authed(hub.adminToken), payload: { name: 'ci', scope: 'operator', expires_in_days: 30 },
    });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json<ApiToken & { token: string }>();
    expect(created.token).toMatch(/^dxf_tok_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    expect(Date.parse(created.expires_at ?? '') - Date.now()).toBeGreaterThan(29 * 86400_000);
    const row = await hub.server.prisma.apiToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(sha256(created.token));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const list = await hub.server.inject({ url: '/api/v1/tokens', headers: authed(hub.adminToken) });
    expect(list.body).not.toContain(created.token);
    expect(list.json<{ tokens: ApiToken[] }>().tokens.map((t) => t.name)).toContain('ci');

    const me = await hub.server.inject({ url: '/api/v1/auth/me', headers: authed(created.token) });
    expect(me.json<Principal>()).toMatchObject({ kind: 'token', name: 'ci', role: 'operator' });
    expect((await hub.server.inject({ url: '/api/v1/users', headers: authed(created.token) })).statusCode).toBe(403);
    const revoked = await hub.server.inject({ method: 'DELETE', url: `/api/v1/tokens/${created.id}`, headers: authed(hub.adminToken) });
    expect(revoked.json<ApiToken>().revoked_at).toBeDefined();
    const after = await hub.server.inject({ url: '/api/v1/hosts', headers: authed(created.token) });
    expect(code(after)).toBe('DAXFLEET_ERR_AUTH_REVOKED');
  });
});

describe('audit log', () => {
  it('filters by actor, action, result and time, pages newest first by id; reads are not audited', async () => {
    for (let i = 0; i < 3; i++) await login('admin', `wrong-${i}`);
    await hub.server.inject({ method: 'POST', url: '/api/v1/tokens', headers: authed(hub.adminToken), payload: { name: 'x', scope: 'viewer' } });
    await hub.server.inject({ url: '/api/v1/hosts', headers: authed(hub.adminToken) });
    const all = await audit();
    expect(all.map((e) => e.action)).toEqual(['token.create', 'auth.login', 'auth.login', 'auth.login']);
    expect(all.map((e) => e.id)).toEqual([...all.map((e) => e.id)].sort((a, b) => b - a));
    expect((await audit('?result=success')).map((e) => e.action)).toEqual(['token.create']);
    expect((await audit('?actor=admin')).length).toBe(3);
    expect((await audit('?action=token.create'))[0]).toMatchObject({ actor: 'test-admin', actor_kind: 'token', target: 'x', status_code: 201 });
    const page1 = await hub.server.inject({ url: '/api/v1/audit?limit=2', headers: authed(hub.adminToken) });
    const p1 = page1.json<{ entries: AuditEntry[]; next_before?: number }>();
    expect(p1.entries).toHaveLength(2);
    const p2 = (await hub.server.inject({ url: `/api/v1/audit?limit=2&before=${p1.next_before}`, headers: authed(hub.adminToken) }))
      .json<{ entries: AuditEntry[] }>();
    expect([...p1.entries, ...p2.entries].map((e) => e.id)).toEqual(all.map((e) => e.id));
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await audit(`?since=${encodeURIComponent(future)}`)).toEqual([]);
    expect((await audit(`?until=${encodeURIComponent(future)}`)).length).toBe(4);
    const bad = await hub.server.inject({ url: '/api/v1/audit?since=yesterday', headers: authed(hub.adminToken) });
    expect(bad.statusCode).toBe(400);
  });

  it('is for admins only', async () => {
    const res = await hub.server.inject({ url: '/api/v1/audit', headers: authed(await hub.tokenFor('operator')) });
    expect(res.json<ApiError>()).toMatchObject({ statusCode: 403, code: 'DAXFLEET_ERR_AUTH_FORBIDDEN', message: "needs role admin; this token's scope is operator" });
  });
});

describe('logging', () => {
  it('never writes a password, token, agent credential or session cookie to the log, even at trace level', async () => {
    const lines: string[] = [];
    const tmp = tempDir();
    const server = await withEnv({ DAXFLEET_ADMIN_PASSWORD: 'logged-admin-password' }, () => buildServer({
      config: { role: 'hub', version: 'test', databaseFile: `${tmp.dir}/d.db`, migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: `${tmp.dir}/none` },
      logger: { level: 'trace', stream: { write: (line: string) => { lines.push(line); } } },
    }));
    try {
      const res = await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'logged-admin-password' } });
      const cookie = String(res.headers['set-cookie']).split(';')[0] ?? '';
      const token = (await server.inject({
        method: 'POST', url: '/api/v1/tokens', headers: { cookie }, payload: { name: 'logged', scope: 'viewer' },
      })).json<{ token: string }>().token;
      await server.inject({ url: '/api/v1/hosts', headers: authed(token) });
      await server.inject({ url: '/api/v1/hosts/%20', headers: authed(token) });
      await server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'wrong-logged-password' } });
      await server.inject({ method: 'POST', url: '/api/v1/auth/password', headers: { cookie }, payload: { current_password: 'x', new_password: 'short' } });
      expect(lines.length).toBeGreaterThan(3);
      const log = lines.join('');
      for (const secret of ['logged-admin-password', 'wrong-logged-password', token, cookie.split('=')[1] ?? '']) {
        expect(secret.length).toBeGreaterThan(10);
        expect(log).not.toContain(secret);
      }
    } finally {
      await server.close();
      tmp.remove();
    }
  });
});
