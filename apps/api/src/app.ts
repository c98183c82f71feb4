/**
 * The daxfleet Fastify application as a plugin: it never listens (server.ts and tests do). What it registers
 * depends on the role: an agent serves only the health probe; hub and all serve the whole REST API, the
 * OpenAPI document, /docs and the web UI.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import agentCommandRoutes, { type AgentCommandTarget } from './agent/command-routes.js';
import type { AppConfig } from './config.js';
import audit from './plugins/app/audit.js';
import auth from './plugins/app/auth.js';
import configPlugin from './plugins/app/config.js';
import errorHandler, { sendRouteNotFound } from './plugins/app/error-handler.js';
import firstAdmin from './plugins/app/first-admin.js';
import mediaBus from './plugins/app/media-bus.js';
import webhooks from './plugins/app/webhooks.js';
import prismaPlugin from './plugins/app/prisma.js';
import validation from './plugins/app/validation.js';
import swagger from './plugins/external/swagger.js';
import swaggerUi from './plugins/external/swagger-ui.js';
import webUi from './plugins/external/web-ui.js';
import agentRoutes from './routes/api/v1/agents/index.js';
import auditRoutes from './routes/api/v1/audit/index.js';
import authRoutes from './routes/api/v1/auth/index.js';
import healthRoutes from './routes/api/v1/health/index.js';
import hostRoutes from './routes/api/v1/hosts/index.js';
import hostMediaRoutes from './routes/api/v1/hosts/media.js';
import hostRescanRoutes from './routes/api/v1/hosts/rescan.js';
import infoRoutes from './routes/api/v1/info/index.js';
import mediaRoutes from './routes/api/v1/media/index.js';
import mediaStreamRoutes from './routes/api/v1/media/stream.js';
import tokenRoutes from './routes/api/v1/tokens/index.js';
import userRoutes from './routes/api/v1/users/index.js';
import webhookRoutes from './routes/api/v1/webhooks/index.js';

export interface AppOptions {
  config: AppConfig;
  /** roles agent and all: the agent that runs the hub's signed commands (POST /api/v1/agent/commands) */
  agentCommands?: AgentCommandTarget;
}

export async function daxfleetApp(fastify: FastifyInstance, opts: AppOptions): Promise<void> {
  await fastify.register(configPlugin, opts.config);
  await fastify.register(errorHandler);
  await fastify.register(validation);
  // before any route: it checks that every route under /api and /docs declares config.auth
  await fastify.register(auth);

  if (opts.config.role === 'agent') {
    await fastify.register(healthRoutes, { prefix: '/api/v1/health' });
    if (opts.agentCommands) await fastify.register(agentCommandRoutes, { prefix: '/api/v1/agent/commands', target: opts.agentCommands });
    fastify.setNotFoundHandler(sendRouteNotFound);
    return;
  }

  // swagger first: it collects the routes registered after it
  await fastify.register(swagger);
  await fastify.register(swaggerUi);
  await fastify.register(prismaPlugin);
  await fastify.register(mediaBus);
  // after prisma: its onClose (the last group commit of unchanged reports) runs before Prisma disconnects
  await fastify.register(import('./plugins/app/ingest-fast-path.js'));
  await fastify.register(firstAdmin);
  await fastify.register(audit);

  await fastify.register(healthRoutes, { prefix: '/api/v1/health' });
  await fastify.register(infoRoutes, { prefix: '/api/v1/info' });
  await fastify.register(hostRoutes, { prefix: '/api/v1/hosts' });
  await fastify.register(agentRoutes, { prefix: '/api/v1/agents' });
  await fastify.register(authRoutes, { prefix: '/api/v1/auth' });
  await fastify.register(userRoutes, { prefix: '/api/v1/users' });
  await fastify.register(tokenRoutes, { prefix: '/api/v1/tokens' });
  await fastify.register(auditRoutes, { prefix: '/api/v1/audit' });
  await fastify.register(hostRescanRoutes, { prefix: '/api/v1/hosts' });
  await fastify.register(hostMediaRoutes, { prefix: '/api/v1/hosts' });
  await fastify.register(mediaRoutes, { prefix: '/api/v1/media' });
  await fastify.register(mediaStreamRoutes, { prefix: '/api/v1/media' });
  // address range scrub: the fleet job runner (onReady/preClose), the per-host route, the fleet jobs
  await fastify.register(import('./plugins/app/scrub-jobs.js'));
  await fastify.register(import('./routes/api/v1/hosts/scrub.js'), { prefix: '/api/v1/hosts' });
  await fastify.register(import('./routes/api/v1/scrubs/index.js'), { prefix: '/api/v1/scrubs' });
  // recovery plans: the expiry sweep (onReady/preClose), planning per host, the fleet list and execute, agent progress
  await fastify.register(import('./plugins/app/recovery-plans.js'));
  await fastify.register(import('./routes/api/v1/hosts/recovery.js'), { prefix: '/api/v1/hosts' });
  await fastify.register(import('./routes/api/v1/recovery/index.js'), { prefix: '/api/v1/recovery' });
  await fastify.register(import('./routes/api/v1/agents/recovery.js'), { prefix: '/api/v1/agents' });
  // DAX changes (issue 7): the expiry sweep, planning and fs-dax inspection per host, the fleet list and execute,
  // fleet capacity by mode
  await fastify.register(import('./plugins/app/dax-changes.js'));
  await fastify.register(import('./routes/api/v1/hosts/dax.js'), { prefix: '/api/v1/hosts' });
  await fastify.register(import('./routes/api/v1/dax/index.js'), { prefix: '/api/v1/dax' });
  await fastify.register(import('./routes/api/v1/fleet/index.js'), { prefix: '/api/v1/fleet' });
  await fastify.register(webhooks);
  await fastify.register(webhookRoutes, { prefix: '/api/v1/webhooks' });
  if (opts.agentCommands) await fastify.register(agentCommandRoutes, { prefix: '/api/v1/agent/commands', target: opts.agentCommands });

  await fastify.register(webUi);
}

/**
 * Not encapsulated (fastify-plugin, as in fastify/demo): its decorators (`prisma`, `routeTable`, `loginThrottle`)
 * are reachable on the server instance, for serve.ts (the local agent's credential) and tests.
 */
export default fp(daxfleetApp, { name: 'daxfleet-app' });
