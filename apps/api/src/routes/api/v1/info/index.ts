import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HubInfoSchema, type HubInfo } from '@daxfleet/shared';
import { errorResponses } from '../../../../schemas.js';

/** GET /api/v1/info: what this hub is (role, version, the local agent's host id in role all). */
const infoRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['system'],
      summary: 'Hub role and version',
      response: { 200: HubInfoSchema, ...errorResponses(401, 403, 500) },
    },
  }, async (): Promise<HubInfo> => {
    const { role, version, localHostId } = fastify.config;
    const info: HubInfo = { version, role: role === 'all' ? 'all' : 'hub' };
    if (role === 'all' && localHostId) info.local_host_id = localHostId;
    return info;
  });
};

export default infoRoutes;
