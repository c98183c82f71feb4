/** /api/v1/users (admin): operators and their roles. Guard rails: not yourself, never the last enabled admin. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateUserBodySchema, UpdateUserBodySchema, UserIdParamsSchema, UserListSchema, UserSchema,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { callerOf } from '../../../../plugins/app/auth.js';
import { errorResponses } from '../../../../schemas.js';
import { createUser, deleteUser, listUsers, updateUser } from '../../../../services/users.js';

const SMALL_BODY_LIMIT = 4 * 1024;

const userRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'admin' },
    schema: {
      tags: ['users'],
      summary: 'List users',
      response: { 200: UserListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ users: await listUsers(fastify.prisma) }));

  fastify.post('', {
    config: { auth: 'admin', audit: 'user.create' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['users'],
      summary: 'Create a user (they change the password at first login)',
      body: CreateUserBodySchema,
      response: { 201: UserSchema, ...errorResponses(400, 401, 403, 409, 413, 415, 500) },
    },
  }, async (request, reply) => {
    request.auditTarget = request.body.username;
    const user = await createUser(fastify.prisma, { ...request.body, mustChangePassword: true });
    return reply.code(201).send(user);
  });

  fastify.patch('/:userId', {
    config: { auth: 'admin', audit: 'user.update' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['users'],
      summary: 'Change a user\'s role, password (to be changed at next login) or disabled flag',
      params: UserIdParamsSchema,
      body: UpdateUserBodySchema,
      response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    const user = await updateUser(fastify.prisma, caller.kind === 'user' ? caller.id : undefined, request.params.userId, request.body);
    request.auditTarget = user.username;
    return user;
  });

  fastify.delete('/:userId', {
    config: { auth: 'admin', audit: 'user.delete' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['users'],
      summary: 'Delete a user (their sessions end)',
      params: UserIdParamsSchema,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 409, 413, 500) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const user = await deleteUser(fastify.prisma, caller.kind === 'user' ? caller.id : undefined, request.params.userId);
    request.auditTarget = user.username;
    return reply.code(204).send(null);
  });
};

export default userRoutes;
