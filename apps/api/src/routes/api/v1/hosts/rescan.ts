import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HostIdParamsSchema, RescanAcceptedSchema } from '@daxfleet/shared';
import { commandDestination, newCommand, sendAgentCommand } from '../../../../agent/command-sender.js';
import { errorResponses } from '../../../../schemas.js';

/**
 * POST /api/v1/hosts/:hostId/rescan (operator): the hub signs a rescan command with the host's command key and
 * sends it to the URL its agent reported; the agent scans and reports before it answers, so the new inventory
 * is at the hub when this returns. Role all reaches its own agent through the same signed route, in-process.
 */
const hostRescanRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/:hostId/rescan', {
    config: { auth: 'operator', audit: 'host.rescan' },
    schema: {
      tags: ['hosts'],
      summary: 'Ask the host\'s agent to scan and report now',
      description: 'Signed hub -> agent command (HMAC-SHA256 with the host\'s command key) to the agent_url of its ' +
        'latest report. 202 once the agent has scanned and sent its report.',
      params: HostIdParamsSchema,
      response: { 202: RescanAcceptedSchema, ...errorResponses(400, 401, 403, 404, 409, 500, 502) },
    },
  }, async (request, reply) => {
    const { hostId } = request.params;
    await sendAgentCommand(await commandDestination(fastify, hostId), newCommand('rescan'));
    return reply.code(202).send({ accepted: true as const });
  });
};

export default hostRescanRoutes;
