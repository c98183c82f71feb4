/** /api/v1/fleet: views over every host at once. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { FleetCapacitySchema } from '@daxfleet/shared';
import { errorResponses } from '../../../../schemas.js';
import { fleetCapacity } from '../../../../services/fleet-capacity.js';

const fleetRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('/capacity', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['dax'],
      summary: 'Persistent memory capacity by mode over the fleet, per host, and the DAX filesystems by mount mode',
      description: 'From each host\'s current inventory version: bytes per namespace mode (raw, sector, fsdax, ' +
        'devdax; system-ram for devdax devices handed to the kernel as memory), free region space and the total ' +
        'region size; per host and summed. Hosts without NVDIMMs are counted in hosts_without_pmem only. ' +
        'filesystems counts the mounted DAX-capable filesystems (ext2, ext4, xfs, virtiofs, erofs) of the hosts ' +
        'with NVDIMMs by dax mount mode (inode, always, never), and how many sit on a device without DAX support.',
      response: { 200: FleetCapacitySchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => fleetCapacity(fastify.prisma));
};

export default fleetRoutes;
