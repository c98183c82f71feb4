import fp from 'fastify-plugin';
import type { AppConfig } from '../../config.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig;
  }
}

/** Decorates `fastify.config` with the resolved configuration, so routes and plugins read one source. */
export default fp<AppConfig>(async (fastify, config) => {
  fastify.decorate('config', config);
}, { name: 'config' });
