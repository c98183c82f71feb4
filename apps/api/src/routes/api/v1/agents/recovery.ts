/**
 * POST /api/v1/agents/recovery: an agent's progress report of a recovery plan it executes, after every step and at
 * the end (services/recovery-plans.ts applyProgressReport stores and audits it).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { RecoveryProgressAckSchema, RecoveryProgressReportSchema } from '@daxfleet/shared';
import { ApiError } from '../../../../errors.js';
import { errorResponses } from '../../../../schemas.js';
import { applyProgressReport } from '../../../../services/recovery-plans.js';

/** a report carries the whole execution: steps, progress, verification; far below this */
const PROGRESS_BODY_LIMIT = 256 * 1024;

const agentRecoveryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/recovery', {
    bodyLimit: PROGRESS_BODY_LIMIT,
    // the hub audits each step and the result itself (recovery.step, recovery.result), not each report
    config: { auth: 'agent', audit: false },
    schema: {
      tags: ['agents', 'recovery'],
      summary: 'Ingest a recovery plan\'s progress report from the agent executing it',
      description: 'Agent credential only; the plan must be one of the credential\'s host (403) and exist (404). ' +
        'Applied only when seq is above the stored seq: a re-sent or late report is acknowledged without change. ' +
        'A report that would apply to a plan neither executing nor interrupted (planned, refused, expired, ' +
        'finished) is refused with 409 DAXFLEET_ERR_RECOVERY_NOT_EXECUTING and changes nothing. ' +
        'Stores the execution and status, audits every step that newly reached done or failed (recovery.step) and ' +
        'the final status once (recovery.result), and sends the media stream\'s `recovery` event. The answer\'s ' +
        'seq is the highest the hub has for the plan.',
      body: RecoveryProgressReportSchema,
      response: { 200: RecoveryProgressAckSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const principal = request.principal;
    if (principal?.kind !== 'agent') throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', 'only an agent credential reports recovery progress');
    return applyProgressReport(fastify, {
      hostId: principal.host_id, report: request.body, sourceIp: request.ip, statusCode: reply.statusCode,
    });
  });
};

export default agentRecoveryRoutes;
