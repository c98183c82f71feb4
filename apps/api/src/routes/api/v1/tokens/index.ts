/** /api/v1/tokens (admin): API tokens for orchestration. The secret is shown once, at creation. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ApiTokenListSchema, ApiTokenSchema, CreateApiTokenBodySchema, CreatedApiTokenSchema, TokenIdParamsSchema,
} from '@daxfleet/shared';
import { callerOf } from '../../../../plugins/app/auth.js';
import { errorResponses } from '../../../../schemas.js';
import { createApiToken, listApiTokens, revokeApiToken } from '../../../../services/api-tokens.js';

const SMALL_BODY_LIMIT = 4 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

const tokenRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'admin' },
    schema: {
      tags: ['tokens'],
      summary: 'List API tokens (never their secrets)',
      response: { 200: ApiTokenListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ tokens: await listApiTokens(fastify.prisma) }));

  fastify.post('', {
    config: { auth: 'admin', audit: 'token.create' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['tokens'],
      summary: 'Create an API token: the answer\'s `token` is the only time the secret is shown',
      body: CreateApiTokenBodySchema,
      response: { 201: CreatedApiTokenSchema, ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const { name, scope, expires_in_days: days } = request.body;
    request.auditTarget = name;
    const created = await createApiToken(fastify.prisma, {
      name, scope, createdBy: callerOf(request).name,
      ...(days !== undefined ? { expiresAt: new Date(Date.now() + days * DAY_MS) } : {}),
    });
    return reply.code(201).send(created);
  });

  fastify.delete('/:tokenId', {
    config: { auth: 'admin', audit: 'token.revoke' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['tokens'],
      summary: 'Revoke an API token (it is refused from now on; the entry stays listed)',
      params: TokenIdParamsSchema,
      response: { 200: ApiTokenSchema, ...errorResponses(400, 401, 403, 404, 413, 500) },
    },
  }, async (request) => {
    const token = await revokeApiToken(fastify.prisma, request.params.tokenId);
    request.auditTarget = token.name;
    return token;
  });
};

export default tokenRoutes;
