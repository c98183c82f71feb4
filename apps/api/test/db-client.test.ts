/**
 * The hub's one SQLite connection (db/client.ts): a plain query issued while an interactive transaction is open
 * must not run inside it. Without the wait in SharedConnectionAdapter it would read the transaction's uncommitted
 * rows, and a write of its own would be rolled back with the transaction.
 */
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { connectPrisma, type PrismaClient } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { tempDir } from './helpers.js';

let work: { dir: string; remove(): void };
let prisma: PrismaClient;

beforeEach(async () => {
  work = tempDir('daxfleet-db-client-');
  const file = path.join(work.dir, 'daxfleet.db');
  applyMigrations(file, DEFAULT_MIGRATIONS_DIR);
  prisma = await connectPrisma(file);
});
afterEach(async () => {
  await prisma.$disconnect();
  work.remove();
});

const entry = (action: string) => ({
  at: new Date(), actorKind: 'system', actor: 'test', sourceIp: '127.0.0.1', action, result: 'success', statusCode: 200,
});

it('a plain query waits for an open transaction: it neither sees its rows nor is rolled back with it', async () => {
  let insideWrote!: () => void;
  const wrote = new Promise<void>((resolve) => { insideWrote = resolve; });
  let letItFail!: () => void;
  const fail = new Promise<void>((resolve) => { letItFail = resolve; });
  const tx = prisma.$transaction(async (t) => {
    await t.auditEntry.create({ data: entry('inside') });
    insideWrote();
    await fail;
    throw new Error('rolled back on purpose');
  });
  await wrote;
  // issued while the transaction is open (Prisma's promises are lazy: .then starts them)
  const outsideCount = prisma.auditEntry.count().then((n) => n);
  const outsideCreate = prisma.auditEntry.create({ data: entry('outside') }).then((row) => row);
  const outsideRaw = prisma.$executeRaw`INSERT INTO audit_entries (at, actor_kind, actor, source_ip, action, result, status_code)
    VALUES (${new Date()}, 'system', 'test', '127.0.0.1', 'outside-raw', 'success', 200)`.then((n) => n);
  // give them time to reach the connection (they take a few event-loop turns through Prisma): with the wait they
  // stay queued, without it they would run inside the transaction now. A bound, not a timing assertion: the fixed
  // code cannot fail for a slow machine
  await new Promise((resolve) => setTimeout(resolve, 200));
  letItFail();
  await expect(tx).rejects.toThrow('rolled back on purpose');
  expect(await outsideCount).toBe(0);
  await outsideCreate;
  await outsideRaw;
  expect((await prisma.auditEntry.findMany({ orderBy: { id: 'asc' } })).map((e) => e.action)).toEqual(['outside', 'outside-raw']);
});

it('transactions still run one after the other, and plain queries between them', async () => {
  const order: string[] = [];
  await Promise.all([
    prisma.$transaction(async (t) => { await t.auditEntry.create({ data: entry('a') }); order.push('a'); }),
    prisma.auditEntry.create({ data: entry('b') }).then(() => order.push('b')),
    prisma.$transaction(async (t) => { await t.auditEntry.create({ data: entry('c') }); order.push('c'); }),
  ]);
  expect(order.sort()).toEqual(['a', 'b', 'c']);
  expect(await prisma.auditEntry.count()).toBe(3);
});
