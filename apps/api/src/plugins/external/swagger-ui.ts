/** Interactive API documentation at /docs, over the document of plugins/external/swagger.ts. */
import fastifySwaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';

export default fp(async (fastify) => {
  await fastify.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });
}, { name: 'swagger-ui', dependencies: ['swagger'] });
