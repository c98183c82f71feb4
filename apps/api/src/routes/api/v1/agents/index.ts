import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AgentReportAckSchema, AgentReportSchema } from '@daxfleet/shared';
import { closed, errorResponses } from '../../../../schemas.js';
import { ingestReport } from '../../../../services/ingest.js';

/** An inventory of a few hundred namespaces is well under this; a runaway body is refused with 413. */
const REPORT_BODY_LIMIT = 16 * 1024 * 1024;

/** What agents send to the hub. Remote agents POST here; the local agent of role all injects the same request. */
const agentRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/report', {
    bodyLimit: REPORT_BODY_LIMIT,
    schema: {
      tags: ['agents'],
      summary: 'Ingest an agent report (inventory scan)',
      description: 'Stores a new inventory version when the canonical content changed, else refreshes last_seen.',
      body: closed(AgentReportSchema),
      response: { 200: AgentReportAckSchema, ...errorResponses(400, 413, 415, 500) },
    },
    // Authentication seam: agent credentials (enrollment with a join token) arrive in a later issue as an
    // onRequest hook on this route; until then any client that reaches the hub may report.
  }, async (request) => ingestReport(fastify.prisma, request.body));
};

export default agentRoutes;
