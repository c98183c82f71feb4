/** /api/v1/hosts/:hostId/ledger and /health (viewer): one host's bad-block ledger and DIMM health history. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthHistorySchema, HostIdParamsSchema, LedgerPageSchema, LedgerQuerySchema } from '@daxfleet/shared';
import { Type } from 'typebox';
import { closed, errorResponses } from '../../../../schemas.js';
import { HEALTH_SAMPLE_CAP, queryHealth } from '../../../../services/events.js';
import { queryLedger, requireHost } from '../../../../services/ledger.js';
import { DEFAULT_PAGE_LIMIT, LEDGER_DESCRIPTION } from '../media/index.js';

const HostLedgerQuerySchema = Type.Omit(LedgerQuerySchema, ['host']);

const HealthQuerySchema = Type.Object({
  dimm: Type.Optional(Type.String({ maxLength: 64, description: 'only this DIMM (nmemN)' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'sampled at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'sampled before' })),
});

const hostMediaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/:hostId/ledger', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts', 'media'],
      summary: 'One host\'s bad-block ledger, paged',
      description: LEDGER_DESCRIPTION,
      params: HostIdParamsSchema,
      querystring: closed(HostLedgerQuerySchema),
      response: { 200: LedgerPageSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    const { hostId } = request.params;
    await requireHost(fastify.prisma, hostId);
    const q = request.query;
    return queryLedger(fastify.prisma, {
      host: hostId,
      limit: q.limit ?? DEFAULT_PAGE_LIMIT,
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.dimm !== undefined ? { dimm: q.dimm } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
  });

  fastify.get('/:hostId/health', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts', 'media'],
      summary: 'DIMM health samples of a host, oldest first',
      description: `Samples the host's agent sent (about one a minute per DIMM, and one with every health event). ` +
        `Filters: dimm, since (inclusive), until (exclusive). At most ${HEALTH_SAMPLE_CAP} samples: when the window ` +
        'holds more, the answer has its newest ones and truncated: true (narrow since/until for older samples).',
      params: HostIdParamsSchema,
      querystring: closed(HealthQuerySchema),
      response: { 200: HealthHistorySchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    const { hostId } = request.params;
    await requireHost(fastify.prisma, hostId);
    const q = request.query;
    return queryHealth(fastify.prisma, hostId, {
      ...(q.dimm !== undefined ? { dimm: q.dimm } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
    });
  });
};

export default hostMediaRoutes;
