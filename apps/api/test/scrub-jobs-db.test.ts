/**
 * The scrub job writes against the one shared SQLite connection (a real hub, a real database file). The Prisma
 * better-sqlite3 adapter serialises transactions only (startTransaction takes its mutex); a plain query takes no
 * lock, so one issued while an ingest interactive transaction is open runs INSIDE it on the shared connection and
 * is rolled back with it. Prisma 6.19's query compiler runs `updateMany` in an internal transaction of its own
 * (a "transaction" plan node: startTransaction, so the mutex), unlike `create` or `findUnique`; the scrub job
 * writes are all `updateMany` or in `$transaction` (services/scrub-jobs.ts). These tests hold an unrelated
 * transaction open, let the scrub code write meanwhile, roll the transaction back, and check the scrub job write
 * survived: they fail if a Prisma upgrade or a change here makes one of those writes a plain query. */
import { randomUUID } from 'node:crypto';
import type { ScrubHostState } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cancelScrubJob } from '../src/services/scrub-jobs.js';
import { startTestHub, withEnv, type TestHub } from './helpers.js';
import { eventually } from './processes.js';

let hub: TestHub;

beforeAll(async () => {
  // the runner passes at start, then only when kicked (the poll is an hour): each test decides when it runs
  hub = await withEnv({ DAXFLEET_SCRUB_POLL_MS: '3600000' }, () => startTestHub());
  await hub.server.ready();
});

afterAll(async () => {
  await hub.close();
});

async function insertJob(hosts: ScrubHostState[]): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await hub.server.prisma.scrubJob.create({
    data: { id, createdAt: now, createdBy: 'test', status: 'running', hosts: JSON.stringify(hosts), updatedAt: now },
  });
  return id;
}

/**
 * An unrelated transaction (as the ingest route opens) that is open while `during` runs, then rolls back. It waits
 * for `during` to settle, or at most `graceMs` (a write that waits for the transaction to end settles only after).
 */
async function duringRolledBackTransaction(during: () => Promise<unknown>, graceMs = 300): Promise<unknown> {
  let settled: Promise<unknown> | undefined;
  const rolledBack = hub.server.prisma.$transaction(async (tx) => {
    await tx.host.count(); // the transaction has begun on the shared connection
    settled = during().then((v) => v, (e: unknown) => e);
    await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    throw new Error('ingest failed: rolled back');
  }).catch((err: unknown) => err);
  expect(((await rolledBack) as Error).message).toBe('ingest failed: rolled back');
  return settled;
}

describe('scrub job writes and an unrelated rollback', () => {
  it('a cancel issued while another transaction is open is not undone by its rollback', async () => {
    const id = await insertJob([
      { host_id: 'h1', hostname: 'h1', state: 'waiting', timeout_s: 60, buses: [{ bus: 'ndbus0', started: false }] },
    ]);
    const answer = await duringRolledBackTransaction(() => cancelScrubJob(hub.server.prisma, id));
    expect(answer).toMatchObject({ id, status: 'cancelled' });
    const row = await hub.server.prisma.scrubJob.findUniqueOrThrow({ where: { id } });
    expect(row.status).toBe('cancelled');
    expect((JSON.parse(row.hosts) as ScrubHostState[])[0]).toMatchObject({ state: 'cancelled', error: 'cancelled before its turn' });
  });

  it('the runner\'s writes during another transaction are not undone by its rollback', async () => {
    // a host the hub does not know: the runner fails it at once (no agent to send the command to) and ends the job
    const id = await insertJob([
      { host_id: 'no-such-host', hostname: 'gone', state: 'waiting', timeout_s: 60, buses: [{ bus: 'ndbus0', started: false }] },
    ]);
    await duringRolledBackTransaction(async () => {
      hub.server.scrubJobs.runner.kick();
      // the runner's pass (without the fix, all of it inside the open transaction) has time to write
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    const row = await eventually(async () => {
      const r = await hub.server.prisma.scrubJob.findUniqueOrThrow({ where: { id } });
      return r.status === 'running' ? undefined : r;
    }, 'the job finished', 5_000);
    expect(row.status).toBe('failed');
    expect((JSON.parse(row.hosts) as ScrubHostState[])[0]).toMatchObject({ state: 'failed' });
  });
});
