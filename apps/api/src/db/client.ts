/** The Prisma client over one SQLite file, through the engine-free better-sqlite3 driver adapter. */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaClient } from '../../generated/prisma/index.js';

export type { PrismaClient } from '../../generated/prisma/index.js';

export function createPrismaClient(databaseFile: string): PrismaClient {
  // timeout: how long SQLite waits for another process's write lock (busy_timeout)
  const adapter = new PrismaBetterSQLite3({ url: `file:${databaseFile}`, timeout: 10_000 });
  return new PrismaClient({
    adapter,
    // One connection serialises transactions (the adapter's mutex): allow a burst of reports to queue.
    transactionOptions: { maxWait: 30_000, timeout: 30_000 },
  });
}
