/**
 * The daxfleet Fastify application as a plugin: it never listens (server.ts and tests do). What it registers
 * depends on the role: an agent serves only the health probe; hub and all serve the whole REST API, the
 * OpenAPI document, /docs and the web UI.
 */
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from './config.js';
import configPlugin from './plugins/app/config.js';
import errorHandler, { sendRouteNotFound } from './plugins/app/error-handler.js';
import prismaPlugin from './plugins/app/prisma.js';
import validation from './plugins/app/validation.js';
import swagger from './plugins/external/swagger.js';
import swaggerUi from './plugins/external/swagger-ui.js';
import webUi from './plugins/external/web-ui.js';
import agentRoutes from './routes/api/v1/agents/index.js';
import healthRoutes from './routes/api/v1/health/index.js';
import hostRoutes from './routes/api/v1/hosts/index.js';
import infoRoutes from './routes/api/v1/info/index.js';

export interface AppOptions {
  config: AppConfig;
}

export default async function daxfleetApp(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(configPlugin, opts.config);
  await fastify.register(errorHandler);
  await fastify.register(validation);

  if (opts.config.role === 'agent') {
    await fastify.register(healthRoutes, { prefix: '/api/v1/health' });
    fastify.setNotFoundHandler(sendRouteNotFound);
    return;
  }

  // swagger first: it collects the routes registered after it
  await fastify.register(swagger);
  await fastify.register(swaggerUi);
  await fastify.register(prismaPlugin);

  await fastify.register(healthRoutes, { prefix: '/api/v1/health' });
  await fastify.register(infoRoutes, { prefix: '/api/v1/info' });
  await fastify.register(hostRoutes, { prefix: '/api/v1/hosts' });
  await fastify.register(agentRoutes, { prefix: '/api/v1/agents' });

  await fastify.register(webUi);
}
