/**
 * /api/v1/hosts/:hostId/recovery/plans: plan a recovery action on one of the host's open bad ranges (a dry run by
 * the host's agent, stored with an id and an expiry) and list the host's plans. services/recovery-plans.ts does
 * the work; executing a plan is POST /api/v1/recovery/plans/:planId/execute (routes/api/v1/recovery).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  HostIdParamsSchema, RECOVERY_PLAN_TTL_SECONDS, RecoveryPlanListSchema, RecoveryPlanSchema, RecoveryRequestSchema,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { callerOf } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import { requireHost } from '../../../../services/ledger.js';
import { createRecoveryPlan, DEFAULT_PLAN_LIST_LIMIT, listRecoveryPlans } from '../../../../services/recovery-plans.js';
import { RecoveryPlanQuerySchema } from '../recovery/index.js';

const PLAN_BODY_LIMIT = 16 * 1024;

const HostRecoveryPlanQuerySchema = Type.Omit(RecoveryPlanQuerySchema, ['host']);

const hostRecoveryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/:hostId/recovery/plans', {
    bodyLimit: PLAN_BODY_LIMIT,
    // operators only: the dry run changes nothing, but the agent (root) reads the metadata of any path it is given
    // (size, owner, mode, times) and names the processes that hold it: not for viewers
    config: { auth: 'operator', audit: 'recovery.plan' },
    schema: {
      tags: ['recovery'],
      summary: 'Plan a recovery action on an open bad range (a dry run on the host)',
      description: 'The hub checks the request (path for punch-hole, truncate and delete-restore; backup_path for ' +
        'delete-restore only; size for truncate only: else 400 DAXFLEET_ERR_REQUEST_VALIDATION saying what to send) ' +
        'and that `range` is an open bad range of the host in its ledger (else 404 ' +
        'DAXFLEET_ERR_RECOVERY_RANGE_NOT_FOUND: GET /api/v1/hosts/{hostId}/ledger?state=open lists them). It then ' +
        'sends the signed recovery-plan command to the host\'s agent, which works out the exact steps, the data ' +
        'that will be lost and every precondition with its outcome, changing nothing. The answer is stored as it ' +
        'came: status planned when every precondition holds (executable until expires_at = now + ttl_seconds, ' +
        `default ${RECOVERY_PLAN_TTL_SECONDS} s), else refused with plan.refusal saying why. 404 ` +
        'DAXFLEET_ERR_HOST_NOT_FOUND / DAXFLEET_ERR_AGENT_NOT_ENROLLED, 409 DAXFLEET_ERR_HOST_NO_AGENT_URL (the ' +
        'agent has not reported a URL the hub can reach) when the command has nowhere to go; 502 when the agent ' +
        'cannot be reached or refuses the command.',
      params: HostIdParamsSchema,
      body: RecoveryRequestSchema,
      response: { 201: RecoveryPlanSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500, 502) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    const plan = await createRecoveryPlan(fastify, {
      hostId: request.params.hostId, request: request.body, createdBy: `${caller.kind}:${caller.name}`,
    });
    request.auditTarget = `plan:${plan.id}`;
    return reply.code(201).send(plan);
  });

  fastify.get('/:hostId/recovery/plans', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['recovery'],
      summary: 'One host\'s recovery plans, newest first',
      description: 'Filter by status (a planned plan past its expires_at counts as expired); keyset paged: pass ' +
        'next_before as before for the next page.',
      params: HostIdParamsSchema,
      querystring: closed(HostRecoveryPlanQuerySchema),
      response: { 200: RecoveryPlanListSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    const { hostId } = request.params;
    await requireHost(fastify.prisma, hostId);
    const q = request.query;
    return listRecoveryPlans(fastify.prisma, {
      host: hostId, limit: q.limit ?? DEFAULT_PLAN_LIST_LIMIT,
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });
};

export default hostRecoveryRoutes;
