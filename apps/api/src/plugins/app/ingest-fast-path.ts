import fp from 'fastify-plugin';
import { beforePrismaQueries, sqliteConnectionOf } from '../../db/client.js';
import { IngestFastPath } from '../../services/ingest-fast-path.js';

declare module 'fastify' {
  interface FastifyInstance {
    ingestFastPath: IngestFastPath;
  }
}

/**
 * Decorates `fastify.ingestFastPath` (services/ingest-fast-path.ts): unchanged agent reports acknowledged from
 * memory, their last_seen group-committed on Prisma's connection (every ~100 ms, and before any Prisma query of
 * this process). Registered after the prisma plugin: onClose
 * hooks run in reverse order, so the pending bumps are written before Prisma disconnects.
 */
export default fp(async (fastify) => {
  const fastPath = new IngestFastPath(sqliteConnectionOf(fastify.prisma), { log: fastify.log });
  fastify.decorate('ingestFastPath', fastPath);
  // the hub's own reads through Prisma include every acknowledged report
  beforePrismaQueries(fastify.prisma, () => fastPath.flushBeforeQuery());
  fastify.addHook('onClose', async () => {
    beforePrismaQueries(fastify.prisma, undefined);
    await fastPath.close();
  });
}, { name: 'ingest-fast-path', dependencies: ['prisma'] });
