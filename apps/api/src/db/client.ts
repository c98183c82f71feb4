/** The Prisma client over one SQLite file, through the engine-free better-sqlite3 driver adapter. */
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import type Database from 'better-sqlite3';
import { PrismaClient } from '../../generated/prisma/index.js';

export type { PrismaClient } from '../../generated/prisma/index.js';

/**
 * WAL with synchronous=FULL: every commit is on disk (the WAL fsynced) before the hub answers. It has to be: the
 * hub's acknowledgement makes an agent drop events from its outbox, and its journal already holds the range as
 * known, so an event lost in a power cut or kernel crash after the ack would never be sent again (NORMAL syncs
 * the WAL only at checkpoints: a crash can roll back acknowledged commits). The cost is one fsync per commit; the
 * steady state (unchanged reports) is group-committed every 100 ms (services/ingest-fast-path.ts), so it is one
 * fsync per flush, not per report. Set per connection, so after connecting.
 */
export async function connectPrisma(databaseFile: string): Promise<PrismaClient> {
  const prisma = createPrismaClient(databaseFile);
  await prisma.$connect();
  await prisma.$queryRawUnsafe('PRAGMA synchronous = FULL');
  return prisma;
}

interface Holder {
  current?: Database.Database;
  /** runs before each query and transaction Prisma starts on the connection (not inside its transactions) */
  beforeQuery?: () => void;
}

/** The better-sqlite3 connection under each client made here (set when the client connects). */
const connections = new WeakMap<PrismaClient, Holder>();

/**
 * The adapter as Prisma's, remembering the better-sqlite3 connection it opens. Why share Prisma's connection
 * instead of opening a second one on the same file (services/ingest-fast-path.ts writes through it): Prisma's
 * interactive transactions start with a deferred BEGIN, read, then write after an await; a commit from another
 * connection in between makes that write fail at once with SQLITE_BUSY_SNAPSHOT (busy_timeout does not apply),
 * and a synchronous busy wait on a second connection while Prisma's holds the write lock would block the event
 * loop that has to finish Prisma's transaction. On the one connection, a writer that runs synchronously while
 * `inTransaction` is false can never interleave with Prisma's transactions.
 */
class SharedConnectionAdapter extends PrismaBetterSQLite3 {
  readonly #holder: Holder;

  constructor(config: ConstructorParameters<typeof PrismaBetterSQLite3>[0], holder: Holder) {
    super(config);
    this.#holder = holder;
  }

  override async connect(): ReturnType<PrismaBetterSQLite3['connect']> {
    const adapter = await super.connect();
    // @prisma/adapter-better-sqlite3 6.19 keeps its connection as `client` (not in its typings: checked here)
    const client = (adapter as unknown as { client?: Partial<Database.Database> }).client;
    if (typeof client?.prepare !== 'function' || typeof client.inTransaction !== 'boolean') {
      throw new Error('@prisma/adapter-better-sqlite3 no longer exposes its better-sqlite3 connection as `client`: ' +
        'update SharedConnectionAdapter in apps/api/src/db/client.ts for this adapter version');
    }
    this.#holder.current = client as Database.Database;
    // Prisma binds these methods after connect(): wrapped here, every query of the client (a transaction's own
    // statements excepted: they go through the transaction object) first runs the hook
    const holder = this.#holder;
    const before = (): void => holder.beforeQuery?.();
    const { queryRaw, executeRaw, startTransaction, executeScript } = adapter;
    // The adapter's mutex serialises interactive transactions only: a plain query issued while one is open runs on
    // the same connection INSIDE it (it reads its uncommitted rows, and a write is rolled back with it). So a
    // plain query waits until no interactive transaction is open. A transaction's own statements go through its
    // transaction object, not through these methods, so they never wait here.
    let open: Promise<void> | undefined;
    const outsideTransactions = async (): Promise<void> => {
      while (open !== undefined) await open;
    };
    adapter.queryRaw = async (query) => { await outsideTransactions(); before(); return queryRaw.call(adapter, query); };
    adapter.executeRaw = async (query) => { await outsideTransactions(); before(); return executeRaw.call(adapter, query); };
    adapter.startTransaction = async (isolationLevel) => {
      before();
      const tx = await startTransaction.call(adapter, isolationLevel);
      let ended!: () => void;
      const gate = new Promise<void>((resolve) => { ended = resolve; });
      open = gate;
      const end = (): void => {
        if (open === gate) open = undefined;
        ended();
      };
      const { commit, rollback } = tx;
      tx.commit = async () => { try { return await commit.call(tx); } finally { end(); } };
      tx.rollback = async () => { try { return await rollback.call(tx); } finally { end(); } };
      return tx;
    };
    adapter.executeScript = async (script) => { await outsideTransactions(); before(); return executeScript.call(adapter, script); };
    return adapter;
  }
}

export function createPrismaClient(databaseFile: string): PrismaClient {
  const holder: Holder = {};
  // timeout: how long SQLite waits for another process's write lock (busy_timeout)
  const adapter = new SharedConnectionAdapter({ url: `file:${databaseFile}`, timeout: 10_000 }, holder);
  const prisma = new PrismaClient({
    adapter,
    // One connection serialises transactions (the adapter's mutex): allow a burst of reports to queue.
    transactionOptions: { maxWait: 30_000, timeout: 30_000 },
  });
  connections.set(prisma, holder);
  return prisma;
}

/**
 * The better-sqlite3 connection Prisma's queries run on, for synchronous statements prepared once
 * (services/ingest-fast-path.ts). Its integers are BigInt (the adapter sets defaultSafeIntegers): call
 * `safeIntegers(false)` on statements that read numbers. Throws before the client has connected.
 */
export function sqliteConnectionOf(prisma: PrismaClient): Database.Database {
  const db = connections.get(prisma)?.current;
  if (!db) throw new Error('this Prisma client was not made by createPrismaClient or has not connected yet (call connectPrisma)');
  return db;
}

/**
 * `hook` runs before every query and transaction the client starts outside its transactions (one hook per
 * client; undefined removes it). services/ingest-fast-path.ts writes its pending last_seen bumps there, so
 * whatever this process reads through Prisma includes every acknowledged report. The hook must not throw.
 */
export function beforePrismaQueries(prisma: PrismaClient, hook: (() => void) | undefined): void {
  const holder = connections.get(prisma);
  if (!holder) throw new Error('this Prisma client was not made by createPrismaClient');
  holder.beforeQuery = hook;
}
