import fp from 'fastify-plugin';
import { connectPrisma, type PrismaClient } from '../../db/client.js';
import { applyMigrations } from '../../db/migrate.js';

declare module 'fastify' {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

/**
 * Opens the hub database: applies pending migrations first (a fresh or older data folder just works),
 * then decorates `fastify.prisma` and disconnects it when the server closes.
 */
export default fp(async (fastify) => {
  const { databaseFile, migrationsDir } = fastify.config;
  const outcome = applyMigrations(databaseFile, migrationsDir);
  if (outcome.applied.length > 0) fastify.log.info({ applied: outcome.applied, databaseFile }, 'database migrated');
  if (outcome.unknown.length > 0) {
    fastify.log.warn({ unknown: outcome.unknown }, 'database has migrations this program does not know (newer hub?)');
  }
  const prisma = await connectPrisma(databaseFile);
  fastify.decorate('prisma', prisma);
  fastify.addHook('onClose', async () => {
    await prisma.$disconnect();
  });
}, { name: 'prisma', dependencies: ['config'] });
