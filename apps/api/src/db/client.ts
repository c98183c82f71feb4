/** The Prisma client over one SQLite file, through the engine-free better-sqlite3 driver adapter. */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/prisma/index.js';

export type { PrismaClient } from '../../generated/prisma/index.js';

/**
 * WAL with synchronous=NORMAL: commits no longer wait for an fsync each (the WAL is synced at checkpoints);
 * the database cannot be corrupted by a crash, a power cut may lose the last reports, which agents resend
 * within one interval anyway. Set per connection, so after connecting.
 */
export async function connectPrisma(databaseFile: string): Promise<PrismaClient> {
  const prisma = createPrismaClient(databaseFile);
  await prisma.$connect();
  await prisma.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  return prisma;
}

export function createPrismaClient(databaseFile: string): PrismaClient {
  // timeout: how long SQLite waits for another process's write lock (busy_timeout)
  const adapter = new PrismaBetterSQLite3({ url: `file:${databaseFile}`, timeout: 10_000 });
  return new PrismaClient({
    adapter,
    // One connection serialises transactions (the adapter's mutex): allow a burst of reports to queue.
    transactionOptions: { maxWait: 30_000, timeout: 30_000 },
  });
}
