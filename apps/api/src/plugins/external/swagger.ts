/**
 * OpenAPI 3 document built from the routes' TypeBox schemas, served at /api/v1/openapi.json.
 */
import fastifySwagger from '@fastify/swagger';
import fp from 'fastify-plugin';

export const OPENAPI_PATH = '/api/v1/openapi.json';

export default fp(async (fastify) => {
  await fastify.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'daxfleet API',
        version: fastify.config.version,
        description: 'Persistent memory (NVDIMM / pmem) inventory of a fleet of Linux hosts. Field names follow ' +
          '`ndctl list`. Every error has the body { statusCode, code, error, message, reqId } with a stable ' +
          '`code` DAXFLEET_ERR_<AREA>_<WHAT>. Request bodies and query strings reject unknown top-level fields ' +
          '(400 DAXFLEET_ERR_REQUEST_VALIDATION naming the field).',
      },
      tags: [
        { name: 'system', description: 'liveness and hub information' },
        { name: 'hosts', description: 'hosts, their current inventory and its history' },
        { name: 'agents', description: 'what agents send to the hub' },
      ],
    },
  });
  fastify.get(OPENAPI_PATH, { schema: { hide: true } }, async () => fastify.swagger());
}, { name: 'swagger', dependencies: ['config'] });
