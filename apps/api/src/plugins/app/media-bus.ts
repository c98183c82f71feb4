import fp from 'fastify-plugin';
import { MediaBus } from '../../services/media-bus.js';

declare module 'fastify' {
  interface FastifyInstance {
    mediaBus: MediaBus;
  }
}

/** Decorates `fastify.mediaBus`: notices after ingest commits and delivery changes (services/media-bus.ts). */
export default fp(async (fastify) => {
  const bus = new MediaBus();
  fastify.decorate('mediaBus', bus);
  fastify.addHook('onClose', async () => {
    bus.removeAllListeners();
  });
}, { name: 'media-bus' });
