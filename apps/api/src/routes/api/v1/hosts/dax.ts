/**
 * /api/v1/hosts/:hostId/dax/changes: plan a DAX change on the host (a dry run by its agent, stored with an id and an
 * expiry) and list the host's changes; /api/v1/hosts/:hostId/fs-dax: the DAX state of a path on the host, as its
 * agent reads it. services/dax-changes.ts does the work; executing a change is POST
 * /api/v1/dax/changes/:changeId/execute (routes/api/v1/dax).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  DAX_CHANGE_TTL_SECONDS, DaxChangeCreateBodySchema, DaxChangeListSchema, DaxChangeSchema, FS_DAX_INSPECT_DEFAULT_LIMIT,
  FsDaxInspectRequestSchema, FsDaxInspectResultSchema, HostIdParamsSchema, type DaxChangeKind,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { callerOf } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import {
  createDaxChange, DEFAULT_CHANGE_LIST_LIMIT, inspectHostFsDax, listDaxChanges,
} from '../../../../services/dax-changes.js';
import { requireHost } from '../../../../services/ledger.js';
import { allowSlowAnswer } from '../../../../slow-answer.js';
import { DaxChangeQuerySchema, SLOW_ANSWER_MS } from '../dax/index.js';

const CHANGE_BODY_LIMIT = 16 * 1024;

const HostDaxChangeQuerySchema = Type.Omit(DaxChangeQuerySchema, ['host']);

const COMMAND_ERRORS = '404 DAXFLEET_ERR_HOST_NOT_FOUND / DAXFLEET_ERR_AGENT_NOT_ENROLLED, 409 ' +
  'DAXFLEET_ERR_HOST_NO_AGENT_URL (the agent has not reported a URL the hub can reach) when the command has nowhere ' +
  'to go; 502 DAXFLEET_ERR_AGENT_UNREACHABLE when the agent cannot be reached or does not answer within 120 s, 502 ' +
  'DAXFLEET_ERR_AGENT_REFUSED with the agent\'s message when it refuses the command (an agent reading a recorded ' +
  'sysfs tree, or one that predates DAX changes).';

const hostDaxRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/:hostId/dax/changes', {
    bodyLimit: CHANGE_BODY_LIMIT,
    // operators only: the dry run changes nothing, but the agent (root) reads the metadata of any path it is given
    config: { auth: 'operator', audit: 'dax.plan' },
    schema: {
      tags: ['dax'],
      summary: 'Plan a DAX change on the host: a namespace, a dax device or a filesystem DAX flag policy (a dry run)',
      description: 'The hub sends the signed dax-change-plan command to the host\'s agent, which works out the ' +
        'steps (the libndctl / libdaxctl calls or the FS_IOC_FSSETXATTR flag changes), the data that will be lost, ' +
        'every precondition with its outcome and, for fs-dax-policy, the list of flag changes, changing nothing. ' +
        'The answer is stored as it came: status planned when every precondition holds (executable until ' +
        `expires_at = now + ttl_seconds, default ${DAX_CHANGE_TTL_SECONDS} s), else refused with plan.refusal ` +
        `saying why. Audited as dax.plan with target change:<id>. ${COMMAND_ERRORS}`,
      params: HostIdParamsSchema,
      body: DaxChangeCreateBodySchema,
      response: { 201: DaxChangeSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500, 502) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    allowSlowAnswer(request, SLOW_ANSWER_MS);
    const change = await createDaxChange(fastify, {
      hostId: request.params.hostId, request: request.body.request, createdBy: `${caller.kind}:${caller.name}`,
      ...(request.body.ttl_seconds !== undefined ? { ttlSeconds: request.body.ttl_seconds } : {}),
    });
    request.auditTarget = `change:${change.id}`;
    return reply.code(201).send(change);
  });

  fastify.get('/:hostId/dax/changes', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['dax'],
      summary: 'One host\'s DAX changes, newest first',
      description: 'Filters: kind, status (a planned change past its expires_at counts as expired); keyset paged: ' +
        'pass next_before as before for the next page. 404 DAXFLEET_ERR_HOST_NOT_FOUND.',
      params: HostIdParamsSchema,
      querystring: closed(HostDaxChangeQuerySchema),
      response: { 200: DaxChangeListSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    const { hostId } = request.params;
    await requireHost(fastify.prisma, hostId);
    const q = request.query;
    return listDaxChanges(fastify.prisma, {
      host: hostId, limit: q.limit ?? DEFAULT_CHANGE_LIST_LIMIT,
      ...(q.kind !== undefined ? { kind: q.kind as DaxChangeKind } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });

  fastify.get('/:hostId/fs-dax', {
    // operators only: the agent (root) reads the metadata of any path it is given and names the processes holding files
    config: { auth: 'operator' },
    schema: {
      tags: ['dax'],
      summary: 'The DAX state of a path on the host: flag, effective state, pending changes and why',
      description: 'The hub sends the signed fs-dax-inspect command; the agent reads the path (and its children, or ' +
        'with recursive the whole subtree on the same filesystem): each entry\'s FS_XFLAG_DAX flag, its effective ' +
        'S_DAX state (statx), whether the mount asks for DAX, and for a file whose state differs from its flag the ' +
        'reason and the processes holding it. mismatches_only lists only the pending entries (the audit of ' +
        `requested vs effective DAX). At most limit entries (default ${FS_DAX_INSPECT_DEFAULT_LIMIT}); truncated ` +
        `says when more exist. A path on a filesystem that cannot do DAX answers with error set. ${COMMAND_ERRORS}`,
      params: HostIdParamsSchema,
      querystring: FsDaxInspectRequestSchema,
      response: { 200: FsDaxInspectResultSchema, ...errorResponses(400, 401, 403, 404, 409, 500, 502) },
    },
  }, async (request) => {
    allowSlowAnswer(request, SLOW_ANSWER_MS);
    return inspectHostFsDax(fastify, request.params.hostId, request.query);
  });
};

export default hostDaxRoutes;
