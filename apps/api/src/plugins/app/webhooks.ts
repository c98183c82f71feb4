/**
 * Runs the webhook dispatcher on the hub (roles hub and all): started when the server is ready, so the routes and
 * the database are up; stopped before the server closes (preClose, while Prisma is still connected), which aborts
 * the attempts in flight (they stay pending and are sent again on the next start) and waits for their records.
 * Backoff settings come from the options, else DAXFLEET_WEBHOOK_BACKOFF_BASE_MS / DAXFLEET_WEBHOOK_BACKOFF_CAP_MS,
 * else 1 s doubling up to 5 min: the environment is for tests and the lab, which shorten them.
 */
import fp from 'fastify-plugin';
import { WebhookDispatcher, type DispatcherOptions } from '../../services/webhooks/dispatcher.js';

declare module 'fastify' {
  interface FastifyInstance {
    webhookDispatcher: WebhookDispatcher;
  }
}

export type WebhooksPluginOptions = Pick<DispatcherOptions, 'backoffBaseMs' | 'backoffCapMs' | 'attemptTimeoutMs' | 'concurrency'>;

function envMs(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: expected a whole number of milliseconds >= 1`);
  return value;
}

export default fp<WebhooksPluginOptions>(async (fastify, opts) => {
  const backoffBaseMs = opts.backoffBaseMs ?? envMs('DAXFLEET_WEBHOOK_BACKOFF_BASE_MS');
  const backoffCapMs = opts.backoffCapMs ?? envMs('DAXFLEET_WEBHOOK_BACKOFF_CAP_MS');
  const dispatcher = new WebhookDispatcher({
    prisma: fastify.prisma,
    bus: fastify.mediaBus,
    version: fastify.config.version,
    log: fastify.log,
    ...(backoffBaseMs !== undefined ? { backoffBaseMs } : {}),
    ...(backoffCapMs !== undefined ? { backoffCapMs } : {}),
    ...(opts.attemptTimeoutMs !== undefined ? { attemptTimeoutMs: opts.attemptTimeoutMs } : {}),
    ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
  });
  fastify.decorate('webhookDispatcher', dispatcher);
  fastify.addHook('onReady', async () => {
    dispatcher.start();
  });
  fastify.addHook('preClose', async () => {
    await dispatcher.stop();
  });
}, { name: 'webhooks', dependencies: ['config', 'prisma', 'media-bus'] });
