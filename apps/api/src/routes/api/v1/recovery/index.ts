/**
 * /api/v1/recovery/plans: recovery plans across the fleet (viewer), one plan (viewer), and executing a plan
 * (operator). Plans are made per host: POST /api/v1/hosts/:hostId/recovery/plans (routes/api/v1/hosts/recovery.ts).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  RecoveryExecuteBodySchema, RecoveryPlanListSchema, RecoveryPlanSchema, RecoveryStatusSchema,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { callerOf } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import {
  DEFAULT_PLAN_LIST_LIMIT, executeRecoveryPlan, getRecoveryPlan, listRecoveryPlans,
} from '../../../../services/recovery-plans.js';

export const RecoveryPlanQuerySchema = Type.Object({
  host: Type.Optional(Type.String({ maxLength: 128, description: 'host id' })),
  status: Type.Optional(RecoveryStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: DEFAULT_PLAN_LIST_LIMIT })),
  /** opaque cursor from next_before */
  before: Type.Optional(Type.String({ maxLength: 128, description: 'next_before of the previous page' })),
});

export const RecoveryPlanIdParamsSchema = Type.Object({
  planId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

const recoveryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/plans', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['recovery'],
      summary: 'Recovery plans of every host, newest first',
      description: 'Filters: host, status (a planned plan past its expires_at counts as expired). Keyset paged: ' +
        'pass next_before as before for the next page.',
      querystring: closed(RecoveryPlanQuerySchema),
      response: { 200: RecoveryPlanListSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => {
    const q = request.query;
    return listRecoveryPlans(fastify.prisma, {
      limit: q.limit ?? DEFAULT_PLAN_LIST_LIMIT,
      ...(q.host !== undefined ? { host: q.host } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
  });

  fastify.get('/plans/:planId', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['recovery'],
      summary: 'One recovery plan: steps, data loss, checks and, once started, its execution',
      description: 'execution follows the agent\'s progress reports (steps, progress of the running step, then the ' +
        'verification by a re-read of the bad blocks); the media stream\'s `recovery` event says when it changed.',
      params: RecoveryPlanIdParamsSchema,
      response: { 200: RecoveryPlanSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getRecoveryPlan(fastify, request.params.planId));

  fastify.post('/plans/:planId/execute', {
    bodyLimit: 4096,
    config: { auth: 'operator', audit: 'recovery.execute' },
    schema: {
      tags: ['recovery'],
      summary: 'Execute a planned recovery (send the digest of the plan you reviewed)',
      description: 'Only a planned plan, before its expires_at, with body.digest equal to its plan.digest: else 409 ' +
        'DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED (the plan becomes expired), DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE (it was ' +
        'refused), DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED (it is executing or finished; of two concurrent executes ' +
        'exactly one starts it), DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH. The plan becomes executing and the hub sends ' +
        'the signed recovery-execute command; the agent plans again and starts only when nothing changed: else the ' +
        'plan becomes refused with the agent\'s fresh plan and the answer is 409 DAXFLEET_ERR_RECOVERY_HOST_CHANGED ' +
        '(plan again); when it did not start for a passing reason (another recovery runs on the device, the agent is ' +
        'stopping, its re-plan failed) the plan stays planned and the answer is 409 ' +
        'DAXFLEET_ERR_RECOVERY_NOT_STARTED (execute it again); when the agent already runs or ran this plan (an ' +
        'earlier execute\'s answer was lost) the plan stays executing and the answer is 409 ' +
        'DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED (its reports follow). When the agent cannot ' +
        'be reached the plan goes back to planned (502); when it does not answer within 60 s the plan stays executing ' +
        '(502: it may be running; without a progress report it becomes interrupted after 5 minutes). 202 once the agent ' +
        'started it; progress then comes from the agent (GET the plan, or the media stream\'s recovery event).',
      params: RecoveryPlanIdParamsSchema,
      body: RecoveryExecuteBodySchema,
      response: { 202: RecoveryPlanSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500, 502) },
    },
  }, async (request, reply) => {
    const caller = callerOf(request);
    request.auditTarget = `plan:${request.params.planId}`;
    const plan = await executeRecoveryPlan(fastify, {
      planId: request.params.planId, digest: request.body.digest, executedBy: `${caller.kind}:${caller.name}`,
    });
    return reply.code(202).send(plan);
  });
};

export default recoveryRoutes;
