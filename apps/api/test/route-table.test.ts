/**
 * Acceptance: walks the whole route table of the hub (every route Fastify has, so routes added later are covered
 * without editing this file) and checks that every route other than the liveness probe, login and enrollment
 * refuses missing, wrong, expired and revoked credentials, a scope too small, an agent credential on a user route
 * and a user token on an agent route, each with 401 or 403 in the one error shape.
 */
import Fastify from 'fastify';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorSchema, ROLE_RANK, type ApiError, type Role } from '@daxfleet/shared';
import authPlugin, { type DeclaredRoute } from '../src/plugins/app/auth.js';
import configPlugin from '../src/plugins/app/config.js';
import errorHandler from '../src/plugins/app/error-handler.js';
import { revokeAgentCredential } from '../src/services/agent-credentials.js';
import { createApiToken, revokeApiToken } from '../src/services/api-tokens.js';
import { AGENT_CREDENTIAL_PREFIX, newSecret, TOKEN_PREFIX } from '../src/services/secrets.js';
import { createSession } from '../src/services/sessions.js';
import { createUser } from '../src/services/users.js';
import { agentCredentialFor, authed, loginCookie, startTestHub, type TestHub } from './helpers.js';

const PUBLIC_ROUTES = ['GET /api/v1/health', 'POST /api/v1/auth/login', 'POST /api/v1/agents/enroll'];

describe.each([
  { role: 'hub' as const },
  // role all also serves the local agent's command endpoint, authenticated by the hub's signature ('signed')
  { role: 'all' as const },
])('route table of role $role', ({ role }) => {
  let hub: TestHub;
  let routes: DeclaredRoute[];
  const commandsRun: unknown[] = [];
  const creds = {} as {
    viewer: string; operator: string; admin: string; expired: string; revoked: string; wrong: string;
    agent: string; revokedAgent: string; wrongAgent: string;
    viewerCookie: string; operatorCookie: string; expiredCookie: string; unknownCookie: string;
  };

  beforeAll(async () => {
    hub = role === 'hub' ? await startTestHub() : await startTestHub({ role: 'all', localHostId: 'host-a' }, {
      agentCommands: { commandKey: () => 'a-command-key-the-test-never-signs-with', run: async (c) => { commandsRun.push(c); } },
    });
    const prisma = hub.server.prisma;
    routes = hub.server.routeTable.filter((r) => r.url.startsWith('/api/') || r.url === '/docs' || r.url.startsWith('/docs/'));
    creds.viewer = await hub.tokenFor('viewer');
    creds.operator = await hub.tokenFor('operator');
    creds.admin = hub.adminToken;
    creds.expired = await hub.tokenFor('admin', new Date(Date.now() - 60_000));
    const revoked = await createApiToken(prisma, { name: 'revoked', scope: 'admin', createdBy: 'test' });
    await revokeApiToken(prisma, revoked.id);
    creds.revoked = revoked.token;
    creds.wrong = newSecret(TOKEN_PREFIX);
    creds.agent = await agentCredentialFor(hub, 'host-a');
    creds.revokedAgent = await agentCredentialFor(hub, 'host-revoked');
    await revokeAgentCredential(prisma, 'host-revoked');
    creds.wrongAgent = newSecret(AGENT_CREDENTIAL_PREFIX);
    for (const role of ['viewer', 'operator'] as const) {
      await createUser(prisma, { username: `a-${role}`, password: `password-of-${role}`, role });
    }
    creds.viewerCookie = await loginCookie(hub, 'a-viewer', 'password-of-viewer');
    creds.operatorCookie = await loginCookie(hub, 'a-operator', 'password-of-operator');
    const adminId = (await prisma.user.findUniqueOrThrow({ where: { username: 'admin' } })).id;
    const old = await createSession(prisma, adminId, '127.0.0.1', 'test', new Date(Date.now() - 9 * 3600_000));
    creds.expiredCookie = `daxfleet_session=${old.secret}`;
    creds.unknownCookie = 'daxfleet_session=dxf_ses_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
  });
  afterAll(async () => {
    await hub.close();
  });

  /** a concrete URL for a route pattern */
  function urlOf(route: DeclaredRoute): string {
    return route.url.replace(/:hostId/g, 'host-a').replace(/:(\w+)/g, 'some-id').replace(/\*$/, 'index.html');
  }

  const name = (r: DeclaredRoute): string => `${r.method} ${r.url}`;

  async function call(route: DeclaredRoute, headers: Record<string, string>): Promise<{ status: number; body?: ApiError }> {
    const res = await hub.server.inject({ method: route.method as 'GET', url: urlOf(route), headers });
    if (route.method === 'HEAD') return { status: res.statusCode };
    const body = res.json<ApiError>();
    expect(Value.Check(ErrorSchema, body), `${name(route)}: not the error shape: ${res.body}`).toBe(true);
    return { status: res.statusCode, body };
  }

  async function expectRefused(route: DeclaredRoute, headers: Record<string, string>, status: 401 | 403, code?: string): Promise<void> {
    const res = await call(route, headers);
    expect(res.status, `${name(route)} with ${JSON.stringify(Object.keys(headers))}: ${JSON.stringify(res.body)}`).toBe(status);
    if (code && res.body) expect(res.body.code, name(route)).toBe(code);
  }

  const bearer = (token: string): Record<string, string> => authed(token);
  const cookie = (value: string): Record<string, string> => ({ cookie: value });

  describe('routes', () => {
    it('has the API, and every route under /api and /docs declares who may call it', () => {
      expect(routes.length).toBeGreaterThan(20);
      for (const r of routes) expect(r.auth, name(r)).toMatch(/^(public|signed|agent|viewer|operator|admin)$/);
    });

    it('has exactly three public routes: the liveness probe, login and enrollment', () => {
      const publicRoutes = routes.filter((r) => r.auth === 'public' && r.method !== 'HEAD').map(name);
      expect(publicRoutes.sort()).toEqual([...PUBLIC_ROUTES].sort());
    });

    it('refuses to start an app with an API route that does not declare config.auth', async () => {
      const app = Fastify();
      await app.register(configPlugin, hub.server.config);
      await app.register(errorHandler);
      await app.register(authPlugin);
      app.get('/api/v1/forgotten', async () => ({ open: true }));
      await expect(app.ready()).rejects.toThrow(/routes without config\.auth.*GET \/api\/v1\/forgotten/);
      await app.close().catch(() => undefined);
    });

    it('every non-public route refuses missing, wrong, expired and revoked credentials', async () => {
      const guarded = routes.filter((r) => r.auth !== 'public');
      expect(guarded.length).toBeGreaterThan(15);
      for (const r of guarded) {
        await expectRefused(r, {}, 401, r.auth === 'signed' ? undefined : 'DAXFLEET_ERR_AUTH_REQUIRED');
        await expectRefused(r, { authorization: 'Bearer not-a-token' }, 401);
        await expectRefused(r, { authorization: 'Basic YWRtaW46YWRtaW4=' }, 401);
        await expectRefused(r, cookie(creds.unknownCookie), r.auth === 'agent' ? 403 : 401);
        if (r.auth === 'agent') {
          await expectRefused(r, bearer(creds.wrongAgent), 401, 'DAXFLEET_ERR_AUTH_INVALID');
          await expectRefused(r, bearer(creds.revokedAgent), 401, 'DAXFLEET_ERR_AUTH_REVOKED');
          // user credentials of any kind on an agent route, even valid admin ones
          await expectRefused(r, bearer(creds.admin), 403, 'DAXFLEET_ERR_AUTH_FORBIDDEN');
          await expectRefused(r, bearer(creds.expired), 403);
          await expectRefused(r, cookie(creds.operatorCookie), 403, 'DAXFLEET_ERR_AUTH_FORBIDDEN');
        } else if (r.auth === 'signed') {
          for (const h of [bearer(creds.admin), bearer(creds.agent), cookie(creds.operatorCookie)]) await expectRefused(r, h, 401);
        } else {
          await expectRefused(r, bearer(creds.wrong), 401, 'DAXFLEET_ERR_AUTH_INVALID');
          await expectRefused(r, bearer(creds.expired), 401, 'DAXFLEET_ERR_AUTH_EXPIRED');
          await expectRefused(r, bearer(creds.revoked), 401, 'DAXFLEET_ERR_AUTH_REVOKED');
          await expectRefused(r, cookie(creds.expiredCookie), 401, 'DAXFLEET_ERR_AUTH_EXPIRED');
          // an agent credential, even a valid one, opens no user route
          await expectRefused(r, bearer(creds.agent), 403, 'DAXFLEET_ERR_AUTH_FORBIDDEN');
        }
      }
    });

    it('every operator and admin route refuses a scope too small, tokens and sessions alike', async () => {
      const below: Record<Role, Record<string, string>[]> = {
        viewer: [],
        operator: [bearer(creds.viewer), cookie(creds.viewerCookie)],
        admin: [bearer(creds.viewer), bearer(creds.operator), cookie(creds.viewerCookie), cookie(creds.operatorCookie)],
      };
      const ranked = routes.filter((r): r is DeclaredRoute & { auth: Role } => r.auth !== undefined && r.auth in ROLE_RANK);
      expect(ranked.filter((r) => r.auth === 'admin').length).toBeGreaterThan(5);
      for (const r of ranked) {
        for (const headers of below[r.auth]) await expectRefused(r, headers, 403, 'DAXFLEET_ERR_AUTH_FORBIDDEN');
      }
    });

    it('the right credential gets past authentication on every route (the refusals above are not blanket ones)', async () => {
      // one login (a scrypt hash: tens of ms, seconds under load) and one agent credential for all the routes, in an
      // order where none is ended before its last use: the agent routes first (a user route revokes host-a's
      // credential), each kind's routes that end the credential they are called with (rotate, logout) last
      const endsItsCredential = (r: DeclaredRoute): boolean => /\/auth\/logout$|\/credential\/rotate$/.test(r.url);
      const checked = routes.filter((x) => x.auth !== 'public' && x.auth !== 'signed');
      const ordered = [true, false].flatMap((agent) => {
        const ofKind = checked.filter((r) => (r.auth === 'agent') === agent);
        return [...ofKind.filter((r) => !endsItsCredential(r)), ...ofKind.filter(endsItsCredential)];
      });
      expect(ordered.filter(endsItsCredential).map(name).sort()).toEqual(['POST /api/v1/agents/credential/rotate', 'POST /api/v1/auth/logout']);
      const agentHeaders = bearer(await agentCredentialFor(hub, 'host-a'));
      const sessionHeaders = cookie(await loginCookie(hub));
      for (const r of ordered) {
        const headers = r.auth === 'agent' ? agentHeaders : sessionHeaders;
        const res = await hub.server.inject({ method: r.method as 'GET', url: urlOf(r), headers });
        const code = res.body && String(res.headers['content-type'] ?? '').includes('json') ? (res.json<Partial<ApiError>>().code ?? '') : '';
        expect(code.startsWith('DAXFLEET_ERR_AUTH_'), `${name(r)}: ${res.statusCode} ${res.body.slice(0, 300)}`).toBe(false);
        expect(res.statusCode, name(r)).toBeLessThan(500);
      }
    });

    it('role all: the signed command route is there and ran nothing', () => {
      const signed = routes.filter((r) => r.auth === 'signed').map(name);
      expect(signed).toEqual(role === 'all' ? ['POST /api/v1/agent/commands'] : []);
      expect(commandsRun).toEqual([]);
    });

    it('public routes answer without credentials', async () => {
      expect((await hub.server.inject({ url: '/api/v1/health' })).statusCode).toBe(200);
      const login = await hub.server.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: 'nope' } });
      expect(login.json<ApiError>().code).toBe('DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS');
    });
  });
});
