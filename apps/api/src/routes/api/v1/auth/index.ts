/**
 * /api/v1/auth: log in (public; slowed down after repeated failures), log out, who am I, change my password.
 * The session is an httpOnly, SameSite=Strict cookie (`daxfleet_session`) holding a random secret; the hub stores
 * its sha256 only.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ChangeOwnPasswordBodySchema, LoginBodySchema, PrincipalSchema, type Principal } from '@daxfleet/shared';
import { Type } from 'typebox';
import { errorBody } from '../../../../plugins/app/error-handler.js';
import { callerOf, sessionCookie } from '../../../../plugins/app/auth.js';
import { throttleKeys } from '../../../../plugins/app/login-throttle.js';
import { errorResponses } from '../../../../schemas.js';
import { createSession, deleteSession } from '../../../../services/sessions.js';
import { changeOwnPassword, checkPassword, roleOf } from '../../../../services/users.js';
import { ApiError } from '../../../../errors.js';

/** a login or password body is a few hundred bytes */
const SMALL_BODY_LIMIT = 4 * 1024;

const authRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/login', {
    config: { auth: 'public', audit: 'auth.login' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['auth'],
      summary: 'Log in with username and password',
      description: 'Sets the session cookie (httpOnly, SameSite=Strict, 8 h sliding). After 5 failed attempts for a ' +
        'username or from an address, further attempts wait exponentially longer (429 with Retry-After).',
      security: [],
      body: LoginBodySchema,
      response: { 200: PrincipalSchema, ...errorResponses(400, 401, 413, 415, 429, 500) },
    },
  }, async (request, reply) => {
    const { username, password } = request.body;
    request.auditActor = username;
    const keys = throttleKeys(username, request.ip);
    const throttle = fastify.loginThrottle;
    const wait = throttle.retryAfterSeconds(keys);
    if (wait > 0) {
      return reply.code(429).header('retry-after', String(wait)).send(errorBody(request, 429, 'DAXFLEET_ERR_AUTH_RATE_LIMITED',
        `too many failed logins for this username or from this address: wait ${wait} s (Retry-After), then retry`));
    }
    const user = await checkPassword(fastify.prisma, username, password);
    if (!user) {
      throttle.recordFailure(keys);
      throw new ApiError('DAXFLEET_ERR_AUTH_INVALID_CREDENTIALS', 'wrong username or password: check both and retry');
    }
    throttle.recordSuccess(keys);
    const now = new Date();
    const session = await createSession(fastify.prisma, user.id, request.ip, request.headers['user-agent'] ?? '', now);
    await fastify.prisma.user.update({ where: { id: user.id }, data: { lastLoginAt: now } });
    const principal: Principal = {
      kind: 'user',
      id: user.id,
      name: user.username,
      role: roleOf(user),
      expires_at: session.expiresAt.toISOString(),
      must_change_password: user.mustChangePassword,
    };
    request.principal = principal;
    reply.header('set-cookie', sessionCookie(request, session.secret));
    return principal;
  });

  fastify.post('/logout', {
    config: { auth: 'viewer', audit: 'auth.logout', allowPendingPasswordChange: true },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['auth'],
      summary: 'Log out: ends this session on the server and clears the cookie',
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 413, 500) },
    },
  }, async (request, reply) => {
    if (request.sessionId === null) {
      throw new ApiError('DAXFLEET_ERR_USER_SESSION_REQUIRED',
        'logout ends a login session; an API token is ended by revoking it (DELETE /api/v1/tokens/:tokenId)');
    }
    await deleteSession(fastify.prisma, request.sessionId);
    reply.header('set-cookie', sessionCookie(request, '', true));
    return reply.code(204).send(null);
  });

  fastify.get('/me', {
    config: { auth: 'viewer', allowPendingPasswordChange: true },
    schema: {
      tags: ['auth'],
      summary: 'The caller: user or token, its role, and whether a password change is pending',
      response: { 200: PrincipalSchema, ...errorResponses(401, 403, 500) },
    },
  }, async (request) => callerOf(request));

  fastify.post('/password', {
    config: { auth: 'viewer', audit: 'auth.password', allowPendingPasswordChange: true },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['auth'],
      summary: 'Change your own password (also ends your other sessions)',
      body: ChangeOwnPasswordBodySchema,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    if (caller.kind !== 'user' || request.sessionId === null) {
      throw new ApiError('DAXFLEET_ERR_USER_SESSION_REQUIRED', 'an API token has no password: log in as the user to change it');
    }
    await changeOwnPassword(fastify.prisma, caller.id, request.body.current_password, request.body.new_password, request.sessionId);
    return reply.code(204).send(null);
  });
};

export default authRoutes;
