/**
 * /api/v1/dax/changes: DAX changes across the fleet (viewer), one change (viewer), and executing a change
 * (operator). Changes are planned per host: POST /api/v1/hosts/:hostId/dax/changes (routes/api/v1/hosts/dax.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DAX_CHANGE_KINDS, DaxChangeExecuteBodySchema, DaxChangeListSchema, DaxChangeSchema, DaxChangeStatusSchema,
  type DaxChangeKind,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { callerOf } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import { allowSlowAnswer } from '../../../../slow-answer.js';
import {
  DEFAULT_CHANGE_LIST_LIMIT, executeDaxChange, getDaxChange, listDaxChanges,
} from '../../../../services/dax-changes.js';

/** the kinds, as literals (DAX_CHANGE_KINDS) */
export const DaxChangeKindSchema = Type.Union(DAX_CHANGE_KINDS.map((kind) => Type.Literal(kind)));

export const DaxChangeQuerySchema = Type.Object({
  host: Type.Optional(Type.String({ maxLength: 128, description: 'host id' })),
  kind: Type.Optional(DaxChangeKindSchema),
  status: Type.Optional(DaxChangeStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: DEFAULT_CHANGE_LIST_LIMIT })),
  /** opaque cursor from next_before */
  before: Type.Optional(Type.String({ maxLength: 128, description: 'next_before of the previous page' })),
});

/** the hub waits up to 120 s for the agent's answer to a DAX command; its client's socket must outlast that */
export const SLOW_ANSWER_MS = 150_000;

export const DaxChangeIdParamsSchema = Type.Object({
  changeId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

const daxRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/changes', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['dax'],
      summary: 'DAX changes of every host, newest first',
      description: 'Filters: host, kind, status (a planned change past its expires_at counts as expired). Keyset ' +
        'paged: pass next_before as before for the next page.',
      querystring: closed(DaxChangeQuerySchema),
      response: { 200: DaxChangeListSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => {
    const q = request.query;
    return listDaxChanges(fastify.prisma, {
      limit: q.limit ?? DEFAULT_CHANGE_LIST_LIMIT,
      ...(q.host !== undefined ? { host: q.host } : {}),
      ...(q.kind !== undefined ? { kind: q.kind as DaxChangeKind } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });

  fastify.get('/changes/:changeId', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['dax'],
      summary: 'One DAX change: its plan (steps, data lost, checks, digest) and, once executed, its result',
      description: 'The result holds the steps as the agent ran them and the verification from a fresh scan of the ' +
        'host; the media stream\'s `dax` event says when a change was planned or changed status. 404 ' +
        'DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND.',
      params: DaxChangeIdParamsSchema,
      response: { 200: DaxChangeSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getDaxChange(fastify, request.params.changeId));

  fastify.post('/changes/:changeId/execute', {
    bodyLimit: 4096,
    config: { auth: 'operator', audit: 'dax.execute' },
    schema: {
      tags: ['dax'],
      summary: 'Execute a planned DAX change (send the digest of the plan you reviewed); answers with its result',
      description: 'Only a planned change, before its expires_at, with body.digest equal to its plan.digest: else 409 ' +
        'DAXFLEET_ERR_DAX_CHANGE_EXPIRED (the change becomes expired), DAXFLEET_ERR_DAX_NOT_EXECUTABLE (it was ' +
        'refused at plan time), DAXFLEET_ERR_DAX_ALREADY_EXECUTED (it is executing or finished; of two concurrent ' +
        'executes exactly one runs it), DAXFLEET_ERR_DAX_DIGEST_MISMATCH. The change becomes executing and the hub ' +
        'sends the signed dax-change-execute command; the agent plans again and runs the steps only when its plan is ' +
        'the same and executable: else the change becomes refused with the agent\'s fresh plan and the answer is 409 ' +
        'DAXFLEET_ERR_DAX_HOST_CHANGED (plan again); when another DAX change runs on the host the change stays ' +
        'planned and the answer is 409 DAXFLEET_ERR_DAX_BUSY (execute it again). Otherwise the agent runs the steps, ' +
        'verifies them by a fresh scan and answers: 200 with status verified or failed and the result. When the ' +
        'agent cannot be reached or refuses the command the change goes back to planned (502). When it does not ' +
        'answer within 120 s, or closes the connection before answering, the answer is 200 with status ' +
        'interrupted and result.error saying so: the agent may ' +
        'have made the change, the host\'s next inventory shows its state. Audited as dax.execute, and dax.result ' +
        '(the outcome and the verification) once the result is known.',
      params: DaxChangeIdParamsSchema,
      body: DaxChangeExecuteBodySchema,
      response: { 200: DaxChangeSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500, 502) },
    },
  }, async (request) => {
    const caller = callerOf(request);
    request.auditTarget = `change:${request.params.changeId}`;
    allowSlowAnswer(request, SLOW_ANSWER_MS);
    return executeDaxChange(fastify, {
      changeId: request.params.changeId, digest: request.body.digest, caller: { kind: caller.kind, name: caller.name },
      sourceIp: request.ip,
    });
  });
};

export default daxRoutes;
