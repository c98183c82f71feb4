import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HostIdParamsSchema, RescanAcceptedSchema } from '@daxfleet/shared';
import { newCommand, sendAgentCommand } from '../../../../agent/command-sender.js';
import { ApiError } from '../../../../errors.js';
import { commandKeyOf } from '../../../../services/agent-credentials.js';
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
    const host = await fastify.prisma.host.findUnique({ where: { id: hostId }, select: { agentUrl: true } });
    if (!host) throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host ${hostId}: GET /api/v1/hosts lists the hosts`);
    const commandKey = await commandKeyOf(fastify.prisma, hostId);
    if (commandKey === undefined) {
      throw new ApiError('DAXFLEET_ERR_AGENT_NOT_ENROLLED', `host ${hostId} has no enrolled agent (never enrolled, or ` +
        'revoked): enroll its agent with a new join token first');
    }
    const local = fastify.config.role === 'all' && fastify.config.localHostId === hostId;
    if (!host.agentUrl && !local) {
      throw new ApiError('DAXFLEET_ERR_HOST_NO_AGENT_URL', `the agent of host ${hostId} has not reported a URL the ` +
        'hub can reach: upgrade it, or start it with --advertise-url URL, and wait for its next report');
    }
    await sendAgentCommand({
      hostId,
      agentUrl: host.agentUrl ?? 'in-process',
      commandKey,
      ...(local ? { local: fastify } : {}),
    }, newCommand('rescan'));
    return reply.code(202).send({ accepted: true as const });
  });
};

export default hostRescanRoutes;
