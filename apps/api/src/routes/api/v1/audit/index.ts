/** /api/v1/audit (admin): the audit log, newest first, filtered and paged by id. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditPageSchema, AuditQuerySchema } from '@daxfleet/shared';
import { errorResponses } from '../../../../schemas.js';
import { queryAudit, type AuditFilter } from '../../../../services/audit.js';

const DEFAULT_LIMIT = 50;

const auditRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'admin' },
    schema: {
      tags: ['audit'],
      summary: 'Audit entries, newest first',
      description: 'Filters: actor (exact), action (exact, e.g. user.create), target (exact, e.g. plan:<id> for a recovery plan: ' +
        'recovery.plan, recovery.execute, recovery.step, recovery.result), result, since (inclusive) and until ' +
        '(exclusive) as date-times. Page with `before` = the previous page\'s `next_before`.',
      querystring: AuditQuerySchema,
      response: { 200: AuditPageSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => {
    const q = request.query;
    const filter: AuditFilter = { limit: q.limit ?? DEFAULT_LIMIT };
    if (q.actor !== undefined) filter.actor = q.actor;
    if (q.action !== undefined) filter.action = q.action;
    if (q.target !== undefined) filter.target = q.target;
    if (q.result !== undefined) filter.result = q.result;
    if (q.since !== undefined) filter.since = new Date(q.since);
    if (q.until !== undefined) filter.until = new Date(q.until);
    if (q.before !== undefined) filter.before = q.before;
    return queryAudit(fastify.prisma, filter);
  });
};

export default auditRoutes;
