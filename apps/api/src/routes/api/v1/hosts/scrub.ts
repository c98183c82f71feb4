import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HostIdParamsSchema, HostScrubBodySchema, HostScrubResultSchema, type Inventory } from '@daxfleet/shared';
import { ApiError } from '../../../../errors.js';
import { errorResponses } from '../../../../schemas.js';
import { notStartedMessage, startHostScrub } from '../../../../services/scrub-jobs.js';

/**
 * POST /api/v1/hosts/:hostId/scrub (operator): the hub signs a scrub command with the host's command key and sends
 * it to its agent (as rescan does); the agent writes "1" to nfit/scrub of the named bus, or of every bus that has
 * one, reports the new state, and answers per bus. Progress shows in the host's inventory (bus scrub_state and
 * scrub_count) and as scrub-started / scrub-completed events.
 */
const hostScrubRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/:hostId/scrub', {
    config: { auth: 'operator', audit: 'host.scrub' },
    schema: {
      tags: ['hosts'],
      summary: 'Start an address range scrub (ARS) on the host',
      description: 'Signed hub -> agent command, like rescan. Body `{}` for every bus that offers ARS, or ' +
        '`{"bus":"ndbusN"}`. 202 with each bus started or why not once the agent wrote nfit/scrub and reported; ' +
        '409 DAXFLEET_ERR_SCRUB_UNSUPPORTED when no bus has nfit/scrub (QEMU\'s emulated NFIT has none), ' +
        '409 DAXFLEET_ERR_SCRUB_NOT_STARTED when none started (one already runs, the kernel refused).',
      params: HostIdParamsSchema,
      body: HostScrubBodySchema,
      response: { 202: HostScrubResultSchema, ...errorResponses(400, 401, 403, 404, 409, 500, 502) },
    },
  }, async (request, reply) => {
    const { hostId } = request.params;
    const { bus } = request.body ?? {};
    if (bus !== undefined) {
      const host = await fastify.prisma.host.findUnique({
        where: { id: hostId }, select: { currentVersion: { select: { inventory: true } } },
      });
      const inventory = host?.currentVersion ? JSON.parse(host.currentVersion.inventory) as Inventory : undefined;
      if (inventory && !inventory.buses.some((b) => b.dev === bus)) {
        throw new ApiError('DAXFLEET_ERR_SCRUB_BUS_NOT_FOUND', `host ${hostId} has no bus ${bus} (its buses: ` +
          `${inventory.buses.map((b) => b.dev).join(', ') || 'none'}): GET /api/v1/hosts/${hostId} lists them`);
      }
    }
    const buses = await startHostScrub(fastify, hostId, bus);
    if (!buses.some((b) => b.started)) {
      const unsupported = buses.every((b) => !b.supported);
      throw new ApiError(unsupported ? 'DAXFLEET_ERR_SCRUB_UNSUPPORTED' : 'DAXFLEET_ERR_SCRUB_NOT_STARTED',
        notStartedMessage(hostId, buses));
    }
    return reply.code(202).send({ host_id: hostId, buses });
  });
};

export default hostScrubRoutes;
