import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { HealthSchema } from '@daxfleet/shared';

/** GET /api/v1/health: liveness probe, open without credentials in every role. */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'public' },
    schema: {
      tags: ['system'],
      summary: 'Liveness probe',
      response: { 200: HealthSchema },
    },
  }, async () => ({ status: 'ok' as const }));
};

export default healthRoutes;
