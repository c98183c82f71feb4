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
        { name: 'auth', description: 'log in and out, the caller, own password' },
        { name: 'users', description: 'operators and their roles (admin)' },
        { name: 'tokens', description: 'API tokens for orchestration (admin)' },
        { name: 'audit', description: 'who did what, when, with which result (admin)' },
      ],
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'an API token (dxf_tok_…), or an agent credential (dxf_agent_…) on agent routes' },
          session: { type: 'apiKey', in: 'cookie', name: 'daxfleet_session', description: 'set by POST /api/v1/auth/login' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
  });
  fastify.get(OPENAPI_PATH, { schema: { hide: true }, config: { auth: 'viewer' } }, async () => fastify.swagger());
}, { name: 'swagger', dependencies: ['config'] });
