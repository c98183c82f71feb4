/**
 * Authentication and authorization for every route, secure by default.
 *
 * Every route under /api and /docs declares `config.auth`: 'public' | 'signed' | 'agent' | 'viewer' | 'operator'
 * | 'admin'; the app refuses to start when one does not (checked when the app is ready, so routes added later are
 * covered without anyone remembering). 'signed' routes authenticate the request themselves (the agent's command
 * endpoint checks the hub's HMAC signature); 'public' ones are the liveness probe, login and enrollment.
 *
 * Credentials, in this order: `Authorization: Bearer dxf_tok_…` (an API token; its scope is its role),
 * `Authorization: Bearer dxf_agent_…` (an agent credential, accepted only on 'agent' routes), the session cookie
 * `daxfleet_session`. The caller becomes `request.principal`. A user who must change a one-time password gets 403
 * everywhere except on routes with `config.allowPendingPasswordChange` (/auth/me, /auth/password, /auth/logout).
 */
import { ROLE_RANK, type Principal, type Role } from '@daxfleet/shared';
import type { FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';
import { verifyAgentCredential } from '../../services/agent-credentials.js';
import { verifyApiToken } from '../../services/api-tokens.js';
import { AGENT_CREDENTIAL_PREFIX, TOKEN_PREFIX } from '../../services/secrets.js';
import { findSession, SESSION_COOKIE } from '../../services/sessions.js';
import { roleOf } from '../../services/users.js';
import { LoginThrottle } from './login-throttle.js';

export type RouteAuth = 'public' | 'signed' | 'agent' | Role;
export const ROUTE_AUTH_VALUES: readonly RouteAuth[] = ['public', 'signed', 'agent', 'viewer', 'operator', 'admin'];

/** an enrolled agent, on 'agent' routes */
export interface AgentPrincipal { kind: 'agent'; host_id: string }
export type RequestPrincipal = Principal | AgentPrincipal;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call this route (required on every route under /api and /docs) */
    auth?: RouteAuth;
    /** the audit action name ('user.create'); false: not audited (agent reports). Default: METHOD + route */
    audit?: string | false;
    /** reachable by a user who still has to change a one-time password */
    allowPendingPasswordChange?: boolean;
  }
  interface FastifyRequest {
    /** the authenticated caller; null on public routes (and before authentication) */
    principal: RequestPrincipal | null;
    /** the session id (sha256 of the cookie) when the caller came with a session cookie */
    sessionId: string | null;
  }
  interface FastifyInstance {
    loginThrottle: LoginThrottle;
    /** every route of the app with its auth declaration, complete once the app is ready (tests walk it) */
    routeTable: readonly DeclaredRoute[];
  }
}

/** Pino redaction for the server logger: credentials never reach a log line. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
  'headers.authorization', 'headers.cookie', '*.password', '*.current_password', '*.new_password', '*.join_token',
  '*.agent_credential', '*.command_key', '*.token',
];

export interface DeclaredRoute {
  method: string;
  url: string;
  auth: RouteAuth | undefined;
  audit: string | false | undefined;
  /** the route's JSON schemas (params, querystring, body), for tests that generate requests */
  schema: { params?: unknown; querystring?: unknown; body?: unknown; hide?: boolean } | undefined;
}

/** Routes that need no auth declaration: outside the API (the web UI's static files) */
function needsDeclaration(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url === '/docs' || url.startsWith('/docs/');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionCookie(request: FastifyRequest, value: string, clear = false): string {
  const secure = request.protocol === 'https' || process.env.DAXFLEET_COOKIE_SECURE === '1';
  // no Max-Age: a browser-session cookie; the server ends it after 8 h without use (sliding) or at logout
  return [`${SESSION_COOKIE}=${clear ? '' : value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict',
    ...(clear ? ['Max-Age=0'] : []), ...(secure ? ['Secure'] : [])].join('; ');
}

const HOW_TO = 'log in or send Authorization: Bearer <token>';

function authFailure(reason: 'invalid' | 'expired' | 'revoked', what: string): ApiError {
  switch (reason) {
    case 'expired': return new ApiError('DAXFLEET_ERR_AUTH_EXPIRED', `this ${what} has expired: ${what === 'session' ? 'log in again' : 'ask an admin for a new one'}`);
    case 'revoked': return new ApiError('DAXFLEET_ERR_AUTH_REVOKED', `this ${what} was revoked: ${what === 'agent credential' ? 're-enroll the agent with a new join token' : 'ask an admin for a new one'}`);
    default: return new ApiError('DAXFLEET_ERR_AUTH_INVALID', `unknown ${what}: ${HOW_TO}`);
  }
}

async function authenticate(request: FastifyRequest, auth: Exclude<RouteAuth, 'public' | 'signed'>): Promise<void> {
  const prisma = request.server.prisma;
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer +(\S+) *$/i.exec(header);
    const presented = match?.[1];
    if (presented === undefined) {
      throw new ApiError('DAXFLEET_ERR_AUTH_INVALID', 'the Authorization header must be "Bearer <token>"');
    }
    if (presented.startsWith(AGENT_CREDENTIAL_PREFIX)) {
      if (auth !== 'agent') {
        throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN',
          'agent credentials are accepted only on agent routes: log in or use an API token (dxf_tok_…)');
      }
      const check = await verifyAgentCredential(prisma, presented);
      if (!check.ok) throw authFailure(check.reason, 'agent credential');
      request.principal = { kind: 'agent', host_id: check.hostId };
      return;
    }
    if (presented.startsWith(TOKEN_PREFIX)) {
      if (auth === 'agent') throw agentOnly();
      const check = await verifyApiToken(prisma, presented);
      if (!check.ok) throw authFailure(check.reason, 'API token');
      request.principal = { kind: 'token', id: check.token.id, name: check.token.name, role: roleOf({ role: check.token.scope }) };
    } else {
      throw new ApiError('DAXFLEET_ERR_AUTH_INVALID',
        `unknown token: send an API token (dxf_tok_…)${auth === 'agent' ? ' or, from an agent, its credential (dxf_agent_…)' : ''}`);
    }
  } else {
    const secret = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (secret === undefined || secret === '') {
      throw new ApiError('DAXFLEET_ERR_AUTH_REQUIRED',
        auth === 'agent' ? 'this route is for enrolled agents: send Authorization: Bearer <agent credential>' : HOW_TO);
    }
    if (auth === 'agent') throw agentOnly();
    const found = await findSession(prisma, secret);
    if (!found.ok) throw authFailure(found.reason, 'session');
    request.sessionId = found.session.id;
    request.principal = {
      kind: 'user',
      id: found.user.id,
      name: found.user.username,
      role: roleOf(found.user),
      expires_at: found.session.expiresAt.toISOString(),
      must_change_password: found.user.mustChangePassword,
    };
  }

  const principal = request.principal;
  if (ROLE_RANK[principal.role] < ROLE_RANK[auth]) {
    const whose = principal.kind === 'token' ? `this token's scope is ${principal.role}` : `your role is ${principal.role}`;
    throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', `needs role ${auth}; ${whose}`);
  }
  if (principal.kind === 'user' && principal.must_change_password && !request.routeOptions.config.allowPendingPasswordChange) {
    throw new ApiError('DAXFLEET_ERR_AUTH_PASSWORD_CHANGE_REQUIRED',
      'change your one-time password first: POST /api/v1/auth/password with current_password and new_password');
  }
}

function agentOnly(): ApiError {
  return new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN',
    'this route is for enrolled agents: send Authorization: Bearer <agent credential> (dxf_agent_…)');
}

/** The user or token behind a request on a user route (never an agent there). */
export function callerOf(request: FastifyRequest): Principal {
  const p = request.principal;
  if (!p || p.kind === 'agent') throw new ApiError('DAXFLEET_ERR_AUTH_REQUIRED', HOW_TO);
  return p;
}

export { refuseBody } from './validation.js';

export default fp(async (fastify) => {
  fastify.decorateRequest('principal', null);
  fastify.decorateRequest('sessionId', null);
  fastify.decorate('loginThrottle', new LoginThrottle());

  const declared: DeclaredRoute[] = [];
  const routes: { route: RouteOptions; methods: string[] }[] = [];
  fastify.decorate('routeTable', declared);
  fastify.addHook('onRoute', (route) => {
    // read at ready: plugins may fill a route's config after this hook ran (swagger-ui)
    routes.push({ route, methods: Array.isArray(route.method) ? route.method.map(String) : [String(route.method)] });
  });
  fastify.addHook('onReady', async () => {
    for (const { route, methods } of routes) {
      const config = (route.config ?? {}) as { auth?: RouteAuth; audit?: string | false };
      for (const method of methods) {
        declared.push({ method, url: route.url, auth: config.auth, audit: config.audit, schema: route.schema as DeclaredRoute['schema'] });
      }
    }
    const missing = declared.filter((r) => needsDeclaration(r.url) && !ROUTE_AUTH_VALUES.includes(r.auth as RouteAuth));
    if (missing.length > 0) {
      throw new Error(`routes without config.auth (one of ${ROUTE_AUTH_VALUES.join(', ')}): ` +
        missing.map((r) => `${r.method} ${r.url}`).join(', '));
    }
  });

  fastify.addHook('onRequest', async (request) => {
    const auth = request.routeOptions.config.auth;
    if (auth === undefined || auth === 'public' || auth === 'signed') return;
    await authenticate(request, auth);
  });
}, { name: 'auth', dependencies: ['config', 'error-handler'] });
