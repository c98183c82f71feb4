/**
 * Webhook writes and reads against the hub's one shared SQLite connection (a real hub, a real database file). The
 * Prisma better-sqlite3 adapter serialises transactions only (startTransaction takes its mutex); a plain query
 * takes no lock, so one issued while an ingest interactive transaction is open runs INSIDE it: a write is rolled
 * back with it, a read sees its uncommitted rows. These tests hold an unrelated transaction open, run webhook code
 * meanwhile, roll the transaction back, and check that the webhook writes survived and that no uncommitted
 * delivery was sent. Before the fix (plain queries in services/webhooks/*, and the attempt recorded with the batch
 * form $transaction([...]), which in Prisma 6.19 with this adapter does NOT take the mutex either) they fail.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MediaEvent } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAttempt } from '../src/services/webhooks/dispatcher.js';
import { enqueueDeliveries, newDeliveryId } from '../src/services/webhooks/outbox.js';
import {
  createWebhook, deleteWebhook, enqueueTestDelivery, redeliver, updateWebhook,
} from '../src/services/webhooks/subscriptions.js';
import { startTestHub, withEnv, type TestHub } from './helpers.js';

let hub: TestHub;
const received: string[] = [];
let receiver: Server;
let receiverUrl = '';

beforeAll(async () => {
  hub = await withEnv({ DAXFLEET_WEBHOOK_BACKOFF_BASE_MS: '50', DAXFLEET_WEBHOOK_BACKOFF_CAP_MS: '800' }, () => startTestHub());
  receiver = createServer((req, res) => {
    received.push(String(req.headers['x-daxfleet-delivery']));
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await hub.close();
  receiver.closeAllConnections();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const ROLLBACK = 'ingest failed: rolled back';

/**
 * An unrelated transaction (as the ingest route opens) that is open while `during` runs, then rolls back. It waits
 * for `during` to settle, or at most `graceMs`: a write that correctly waits for the transaction to end settles
 * only after the rollback (the grace is not a timing assertion: it only bounds how long the test waits for it).
 */
async function duringRolledBackTransaction<T>(
  during: () => Promise<T>, inTx?: (tx: Parameters<Parameters<TestHub['server']['prisma']['$transaction']>[0]>[0]) => Promise<unknown>,
  graceMs = 300,
): Promise<T> {
  let settled: Promise<{ value?: T; error?: unknown }> | undefined;
  const rolledBack = hub.server.prisma.$transaction(async (tx) => {
    await tx.host.count(); // the transaction has begun on the shared connection
    if (inTx) await inTx(tx);
    settled = during().then((value) => ({ value }), (error: unknown) => ({ error }));
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    throw new Error(ROLLBACK);
  }).catch((err: unknown) => err);
  expect(((await rolledBack) as Error).message).toBe(ROLLBACK);
  const outcome = await settled!;
  if ('error' in outcome) throw outcome.error;
  return outcome.value as T;
}

function badblockNew(offset: number): MediaEvent {
  return {
    id: `evt-db-${offset}-${Date.now()}`, type: 'badblock-new', detected_at: new Date().toISOString(), detected_by: 'notify',
    summary: `new bad range region0+${offset}`, range: { region: 'region0', region_offset: offset, length: 8, dimms: [], source: 'region' },
  };
}

describe('webhook writes and an unrelated rollback', () => {
  it('subscription writes (create, update, test send, redeliver, delete) issued meanwhile are not undone', async () => {
    const prisma = hub.server.prisma;
    const created = await duringRolledBackTransaction(() =>
      createWebhook(prisma, { name: 'db-create', url: 'https://alerts.example.com/a', enabled: false }, 'admin'));
    expect(await prisma.webhookSubscription.findUnique({ where: { id: created.id } })).not.toBeNull();

    await duringRolledBackTransaction(() => updateWebhook(prisma, created.id, { name: 'db-renamed' }));
    expect((await prisma.webhookSubscription.findUniqueOrThrow({ where: { id: created.id } })).name).toBe('db-renamed');

    const test = await duringRolledBackTransaction(() => enqueueTestDelivery(prisma, created.id, 'admin'));
    expect(await prisma.webhookDelivery.findUnique({ where: { id: test.id } })).not.toBeNull();

    await prisma.$transaction((tx) => tx.webhookDelivery.update({ where: { id: test.id }, data: { status: 'failed', nextAttemptAt: null } }));
    await duringRolledBackTransaction(() => redeliver(prisma, created.id, test.id));
    expect((await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: test.id } })).status).toBe('pending');

    await duringRolledBackTransaction(() => deleteWebhook(prisma, created.id));
    expect(await prisma.webhookSubscription.findUnique({ where: { id: created.id } })).toBeNull();
  });

  it('an attempt recorded meanwhile (the dispatcher\'s write) is not undone', async () => {
    const prisma = hub.server.prisma;
    const hook = await createWebhook(prisma, { name: 'db-attempt', url: 'https://alerts.example.com/b', enabled: false }, 'admin');
    const id = newDeliveryId();
    const now = new Date();
    await prisma.$transaction((tx) => tx.webhookDelivery.create({
      data: { id, subscriptionId: hook.id, eventType: 'badblock-new', body: '{}', status: 'pending', attempts: 0, createdAt: now, nextAttemptAt: now },
    }));
    await duringRolledBackTransaction(() => recordAttempt(prisma, id, { at: new Date(), latencyMs: 3, statusCode: 200 }, {
      status: 'delivered', attempts: 1, nextAttemptAt: null, deliveredAt: new Date(),
    }));
    const row = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
    expect(row.attemptLog.map((a) => a.statusCode)).toEqual([200]);
    await deleteWebhook(prisma, hook.id);
  });

  it('a delivery written in a transaction that is rolled back is never sent (the dispatcher reads only committed rows)', async () => {
    const prisma = hub.server.prisma;
    const hook = await createWebhook(prisma, { name: 'db-phantom', url: receiverUrl, host_ids: ['host-db'] }, 'admin');
    await duringRolledBackTransaction(async () => {
      hub.server.webhookDispatcher.wake();
      // the dispatcher's pass (before the fix: its reads inside the open transaction) has time to read and send
      await new Promise((resolve) => setTimeout(resolve, 300));
    }, async (tx) => {
      // ingest's outbox write: the delivery row exists only inside this transaction
      expect(await enqueueDeliveries(tx, { hostId: 'host-db', hostname: 'db', items: [{ event: badblockNew(1), receivedAt: new Date() }] })).toBe(1);
      hub.server.webhookDispatcher.wake();
    });
    // a committed delivery afterwards: once it has arrived, anything sent before it would have arrived too
    await prisma.$transaction((tx) => enqueueDeliveries(tx, { hostId: 'host-db', hostname: 'db', items: [{ event: badblockNew(2), receivedAt: new Date() }] }));
    hub.server.webhookDispatcher.wake();
    const committed = await prisma.webhookDelivery.findFirstOrThrow({ where: { subscriptionId: hook.id } });
    const deadline = Date.now() + 30_000;
    while (!received.includes(committed.id)) {
      if (Date.now() > deadline) throw new Error('gave up waiting: the committed delivery never arrived');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(received).toEqual([committed.id]);
    await deleteWebhook(prisma, hook.id);
  });
});
