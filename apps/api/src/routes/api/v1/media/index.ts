/**
 * /api/v1/media (viewer): the fleet's bad-block ledger and the stored media events, both paged with opaque keyset
 * cursors (a page does not shift when new rows arrive meanwhile). The live stream is media/stream.ts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventPageSchema, LedgerPageSchema, LedgerQuerySchema, MediaEventTypeSchema } from '@daxfleet/shared';
import { Type } from 'typebox';
import { closed, errorResponses } from '../../../../schemas.js';
import { queryEvents } from '../../../../services/events.js';
import { queryLedger } from '../../../../services/ledger.js';

export const DEFAULT_PAGE_LIMIT = 100;

export const EventQuerySchema = Type.Object({
  host: Type.Optional(Type.String({ maxLength: 128, description: 'host id' })),
  type: Type.Optional(MediaEventTypeSchema),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'received by the hub at or after' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: DEFAULT_PAGE_LIMIT })),
  cursor: Type.Optional(Type.String({ maxLength: 64, description: 'next_cursor of the previous page' })),
});

const LEDGER_DESCRIPTION = 'One row per bad range (region + region-relative sectors) from the event that found it to ' +
  'the one that cleared it; a range found again after it was cleared opens a new row. Newest first by first_seen ' +
  '(the agent\'s detection time). Filters: host, state (open | cleared), dimm (ranges under that DIMM, nmemN), since ' +
  '(inclusive) and until (exclusive) on first_seen. open_count and open_sectors count the open ranges of the ' +
  'filter over all pages. last_seen of an open range is its host\'s latest report. Page with cursor = next_cursor.';

const mediaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/ledger', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['media'],
      summary: 'The fleet\'s bad-block ledger, paged',
      description: LEDGER_DESCRIPTION,
      querystring: closed(LedgerQuerySchema),
      response: { 200: LedgerPageSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => {
    const q = request.query;
    return queryLedger(fastify.prisma, {
      limit: q.limit ?? DEFAULT_PAGE_LIMIT,
      ...(q.host !== undefined ? { host: q.host } : {}),
      ...(q.state !== undefined ? { state: q.state } : {}),
      ...(q.dimm !== undefined ? { dimm: q.dimm } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.until !== undefined ? { until: q.until } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
  });

  fastify.get('/events', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['media'],
      summary: 'Stored media events, newest first, paged',
      description: 'Every event agents reported (bad ranges new and cleared, DIMM health, scrubs), in the order ' +
        'the hub stored them, newest first. Filters: host, type, since (received at or after). Page with cursor = ' +
        'next_cursor.',
      querystring: closed(EventQuerySchema),
      response: { 200: EventPageSchema, ...errorResponses(400, 401, 403, 500) },
    },
  }, async (request) => {
    const q = request.query;
    return queryEvents(fastify.prisma, {
      limit: q.limit ?? DEFAULT_PAGE_LIMIT,
      ...(q.host !== undefined ? { host: q.host } : {}),
      ...(q.type !== undefined ? { type: q.type } : {}),
      ...(q.since !== undefined ? { since: q.since } : {}),
      ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
    });
  });
};

export { LEDGER_DESCRIPTION };
export default mediaRoutes;
