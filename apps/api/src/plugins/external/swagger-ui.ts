/** Interactive API documentation at /docs, over the document of plugins/external/swagger.ts; viewers and up. */
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export default fp(async (fastify) => {
  // an encapsulated context: its onRoute hook gives swagger-ui's own routes their auth declaration
  await fastify.register(async (docs: FastifyInstance) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), auth: 'viewer' };
    });
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
  });
}, { name: 'swagger-ui', dependencies: ['swagger'] });
