/**
 * The steady-state fast path of ingest (services/ingest-fast-path.ts) on a real SQLite file: unchanged reports
 * acknowledged from memory, their last_seen (and volatile values) group-committed; everything else through the
 * general transaction, which writes the host's pending bump first and refreshes what the fast path knows.
 * The service tests use a flusher that never fires on its own (an hour) and call flushNow(); times are explicit.
 * What is in the file is read through a separate read-only better-sqlite3 connection, as another process would.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentReport, AgentReportAck, HostInventory, Inventory, MediaEvent } from '@daxfleet/shared';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { beforePrismaQueries, connectPrisma, sqliteConnectionOf, type PrismaClient } from '../src/db/client.js';
import { applyMigrations } from '../src/db/migrate.js';
import { IngestFastPath, sqliteTime } from '../src/services/ingest-fast-path.js';
import { ingest, ingestReport } from '../src/services/ingest.js';
import { agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub, tempDir, type TestHub } from './helpers.js';

let base: Inventory;
beforeAll(async () => {
  base = await fixtureInventory('two-dimm-all-modes');
});

const HOUR = 3_600_000;
const t = (seconds: number): Date => new Date(Date.UTC(2026, 10, 27, 12, 0, seconds));

/** The same inventory with the first DIMM at this temperature (a volatile field: same content hash). */
function atTemperature(inv: Inventory, celsius: number): Inventory {
  const copy = structuredClone(inv);
  const dimm = copy.buses[0]?.dimms[0];
  if (!dimm) throw new Error('fixture has no DIMM');
  dimm.health = { supported: true, health_state: 'ok', temperature_celsius: celsius };
  return copy;
}

/** A content change: the first namespace 4 KiB smaller. */
function shrunk(inv: Inventory): Inventory {
  const copy = structuredClone(inv);
  const ns = copy.buses[0]?.regions.flatMap((r) => r.namespaces)[0];
  if (!ns) throw new Error('fixture has no namespace');
  ns.size -= 4096;
  return copy;
}

describe('ingest fast path (service, explicit times)', () => {
  let work: { dir: string; remove(): void };
  let databaseFile: string;
  let prisma: PrismaClient;
  let fast: IngestFastPath;
  let reader: Database.Database;

  beforeEach(async () => {
    work = tempDir('daxfleet-fast-path-');
    databaseFile = path.join(work.dir, 'daxfleet.db');
    applyMigrations(databaseFile, DEFAULT_MIGRATIONS_DIR);
    prisma = await connectPrisma(databaseFile);
    fast = new IngestFastPath(sqliteConnectionOf(prisma), { flushIntervalMs: HOUR });
    reader = new Database(databaseFile, { readonly: true });
  });
  afterEach(async () => {
    reader.close();
    await fast.close();
    await prisma.$disconnect();
    work.remove();
  });

  const hostRow = (id = 'host-a'): { last_seen: string; current_version_id: number; agent_url: string | null; hostname: string } =>
    reader.prepare('SELECT last_seen, current_version_id, agent_url, hostname FROM hosts WHERE id = ?').get(id) as never;
  const versionRow = (version: number, id = 'host-a'): { id: number; last_seen: string; first_seen: string; inventory: string } =>
    reader.prepare('SELECT id, last_seen, first_seen, inventory FROM inventory_versions WHERE host_id = ? AND version = ?')
      .get(id, version) as never;

  /** through the general path, as the route does when the fast path declines */
  async function general(report: AgentReport, at: Date): Promise<AgentReportAck> {
    expect(fast.tryUnchanged(report, at)).toBeUndefined();
    return (await ingest(prisma, report, at, fast)).ack;
  }

  it('acknowledges an unchanged report from memory; its last_seen lands in the file with the group commit', async () => {
    expect(await general(reportOf(base), t(0))).toEqual({ host_id: 'host-a', inventory_version: 1, changed: true });
    expect(fast.tryUnchanged(reportOf(structuredClone(base)), t(10))?.ack).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false });
    // acknowledged, not written yet
    expect(fast.pendingCount).toBe(1);
    expect(hostRow().last_seen).toBe(sqliteTime(t(0)));
    expect(fast.flushNow()).toBe(1);
    expect(hostRow().last_seen).toBe(sqliteTime(t(10)));
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(10)));
    expect(versionRow(1).first_seen).toBe(sqliteTime(t(0)));
    expect(fast.flushNow()).toBe(0);
    // many hosts, one transaction
    for (let i = 0; i < 5; i++) await general(reportOf(base, { host_id: `h${i}` }), t(1));
    for (let i = 0; i < 5; i++) expect(fast.tryUnchanged(reportOf(base, { host_id: `h${i}` }), t(20))).toBeDefined();
    expect(fast.flushNow()).toBe(5);
    expect(fast.stats.flushes).toBe(2);
    for (let i = 0; i < 5; i++) expect(hostRow(`h${i}`).last_seen).toBe(sqliteTime(t(20)));
  });

  it('the connection commits with synchronous=FULL; only the fast path\'s own writes relax it, and restore it', async () => {
    const db = sqliteConnectionOf(prisma);
    const FULL = 2;
    expect(Number(db.pragma('synchronous', { simple: true }))).toBe(FULL);
    await general(reportOf(base), t(0));
    const samples = [{ dimm: 'nmem0', sampled_at: t(9).toISOString(), values: { health_state: 'ok' as const } }];
    expect(fast.tryUnchanged(reportOf(base, { health_samples: samples }), t(10))?.samples).toBe(1);
    expect(Number(db.pragma('synchronous', { simple: true }))).toBe(FULL);
    expect(fast.tryUnchanged(reportOf(base), t(11))).toBeDefined();
    expect(fast.flushNow()).toBe(1);
    expect(Number(db.pragma('synchronous', { simple: true }))).toBe(FULL);
  });

  it('an empty events list is still unchanged (acknowledged with an empty list); a non-empty one is not', async () => {
    await general(reportOf(base), t(0));
    expect(fast.tryUnchanged(reportOf(base, { events: [] }), t(1))?.ack).toEqual({
      host_id: 'host-a', inventory_version: 1, changed: false, acked_events: [],
    });
    const event: MediaEvent = {
      id: 'fast-ev-1', type: 'badblock-new', detected_at: t(2).toISOString(), detected_by: 'poll', summary: 'new',
      range: { region: 'region0', region_offset: 8, length: 8, dimms: [], source: 'region' },
    };
    expect(await general(reportOf(base, { events: [event] }), t(2))).toEqual({
      host_id: 'host-a', inventory_version: 1, changed: false, acked_events: ['fast-ev-1'],
    });
  });

  it('stores the health samples of an unchanged report before answering, once per host, DIMM and sampled_at', async () => {
    await general(reportOf(base), t(0));
    await general(reportOf(base, { host_id: 'host-b' }), t(0));
    expect(fast.tryUnchanged(reportOf(base, { host_id: 'host-b' }), t(5))).toBeDefined();
    const samples = [
      { dimm: 'nmem0', dimm_id: '8089-a2-1837-00000001', sampled_at: t(9).toISOString(), values: { health_state: 'ok' as const, temperature_celsius: 31 } },
      { dimm: 'nmem1', sampled_at: t(9).toISOString(), values: { health_state: 'ok' as const, spares_percentage: 99 } },
    ];
    const outcome = fast.tryUnchanged(reportOf(base, { health_samples: samples }), t(10));
    expect(outcome).toEqual({ ack: { host_id: 'host-a', inventory_version: 1, changed: false }, samples: 2 });
    // in the file at once (no flushNow), with every pending bump of the same transaction
    const rows = reader.prepare('SELECT dimm, dimm_id, sampled_at, "values" FROM health_samples WHERE host_id = ? ORDER BY dimm')
      .all('host-a') as Array<{ dimm: string; dimm_id: string | null; sampled_at: string; values: string }>;
    expect(rows).toEqual([
      { dimm: 'nmem0', dimm_id: '8089-a2-1837-00000001', sampled_at: sqliteTime(t(9)), values: JSON.stringify(samples[0]?.values) },
      { dimm: 'nmem1', dimm_id: null, sampled_at: sqliteTime(t(9)), values: JSON.stringify(samples[1]?.values) },
    ]);
    expect(hostRow().last_seen).toBe(sqliteTime(t(10)));
    expect(hostRow('host-b').last_seen).toBe(sqliteTime(t(5)));
    expect(fast.pendingCount).toBe(0);
    // re-sent: acknowledged, nothing stored twice; the same read back through Prisma as the health route does
    expect(fast.tryUnchanged(reportOf(base, { health_samples: samples }), t(11))?.samples).toBe(0);
    expect(await prisma.healthSample.count({ where: { hostId: 'host-a' } })).toBe(2);
    expect((await prisma.healthSample.findFirstOrThrow({ where: { dimm: 'nmem0' } })).sampledAt).toEqual(t(9));
    // a stored sample is seen by the general path's check too (events.ts): not stored again
    const event: MediaEvent = {
      id: 'fast-ev-3', type: 'badblock-new', detected_at: t(12).toISOString(), detected_by: 'poll', summary: 'new',
      range: { region: 'region0', region_offset: 128, length: 8, dimms: [], source: 'region' },
    };
    expect((await ingest(prisma, reportOf(base, { events: [event], health_samples: samples }), t(12), fast)).samples).toBe(0);
    expect(fast.stats.samples).toBe(2);
  });

  it('a report with samples while a transaction is open on the connection takes the general path', async () => {
    await general(reportOf(base), t(0));
    const samples = [{ dimm: 'nmem0', sampled_at: t(9).toISOString(), values: { health_state: 'ok' as const } }];
    const db = sqliteConnectionOf(prisma);
    db.exec('BEGIN');
    try {
      expect(fast.tryUnchanged(reportOf(base, { health_samples: samples }), t(10))).toBeUndefined();
      // without samples it is still answered from memory (written later)
      expect(fast.tryUnchanged(reportOf(base), t(10))).toBeDefined();
      expect(fast.flushNow()).toBe(0);
    } finally {
      db.exec('ROLLBACK');
    }
    expect(fast.flushNow()).toBe(1);
  });

  it('a volatile-only change rewrites the stored inventory at the flush, and back', async () => {
    await general(reportOf(atTemperature(base, 31)), t(0));
    expect(fast.tryUnchanged(reportOf(atTemperature(base, 44)), t(10))?.ack.changed).toBe(false);
    expect(JSON.parse(versionRow(1).inventory).buses[0].dimms[0].health.temperature_celsius).toBe(31);
    fast.flushNow();
    expect(JSON.parse(versionRow(1).inventory).buses[0].dimms[0].health.temperature_celsius).toBe(44);
    // the same report again writes last_seen only; then back to 31
    expect(fast.tryUnchanged(reportOf(atTemperature(base, 44)), t(20))).toBeDefined();
    expect(fast.tryUnchanged(reportOf(atTemperature(base, 31)), t(30))).toBeDefined();
    fast.flushNow();
    expect(JSON.parse(versionRow(1).inventory).buses[0].dimms[0].health.temperature_celsius).toBe(31);
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(30)));
    expect(fast.stats.unchanged).toBe(3);
  });

  it('a content change right after fast-path reports makes a new version; the older bump is written first', async () => {
    await general(reportOf(base), t(0));
    expect(fast.tryUnchanged(reportOf(base), t(10))).toBeDefined();
    const changed = shrunk(base);
    expect(await general(reportOf(changed), t(20))).toEqual({ host_id: 'host-a', inventory_version: 2, changed: true });
    // the pending bump went into the version it was for, in the general transaction
    expect(fast.pendingCount).toBe(0);
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(10)));
    expect(versionRow(2).first_seen).toBe(sqliteTime(t(20)));
    expect(hostRow().last_seen).toBe(sqliteTime(t(20)));
    expect(hostRow().current_version_id).toBe(versionRow(2).id);
    // what the fast path knows followed: the new content is unchanged now, the old one is a change again
    expect(fast.tryUnchanged(reportOf(changed), t(30))?.ack).toEqual({ host_id: 'host-a', inventory_version: 2, changed: false });
    expect(fast.tryUnchanged(reportOf(base), t(31))).toBeUndefined();
    fast.flushNow();
    expect(versionRow(2).last_seen).toBe(sqliteTime(t(30)));
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(10)));
  });

  it('last_seen never goes backwards: not behind a newer general report, not behind a newer write elsewhere', async () => {
    await general(reportOf(base), t(0));
    // a bump newer than the general report that follows it (a clock step back on the hub)
    expect(fast.tryUnchanged(reportOf(base), t(30))).toBeDefined();
    const event: MediaEvent = {
      id: 'fast-ev-2', type: 'badblock-new', detected_at: t(20).toISOString(), detected_by: 'poll', summary: 'new',
      range: { region: 'region0', region_offset: 64, length: 8, dimms: [], source: 'region' },
    };
    await general(reportOf(base, { events: [event] }), t(20));
    expect(hostRow().last_seen).toBe(sqliteTime(t(30)));
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(30)));
    // another writer (a second client on the file) stores a newer last_seen; the older pending bump keeps it
    expect(fast.tryUnchanged(reportOf(base), t(40))).toBeDefined();
    const other = await connectPrisma(databaseFile);
    try {
      await ingestReport(other, reportOf(base), t(50));
    } finally {
      await other.$disconnect();
    }
    expect(fast.flushNow()).toBe(1);
    expect(hostRow().last_seen).toBe(sqliteTime(t(50)));
    expect(versionRow(1).last_seen).toBe(sqliteTime(t(50)));
  });

  it('follows the host fields and agent_url written by the general path; a report without agent_url keeps it', async () => {
    await general(reportOf(base, { agent_url: 'http://10.0.0.1:7300' }), t(0));
    expect(hostRow().agent_url).toBe('http://10.0.0.1:7300');
    expect(fast.tryUnchanged(reportOf(base, { agent_url: 'http://10.0.0.1:7300' }), t(1))).toBeDefined();
    // moved agent, renamed host: general path, then fast again with the new values
    await general(reportOf(base, { agent_url: 'http://10.0.0.2:7300' }), t(2));
    expect(hostRow().agent_url).toBe('http://10.0.0.2:7300');
    await general(reportOf(base, { agent_url: 'http://10.0.0.2:7300', hostname: 'renamed' }), t(3));
    expect(hostRow().hostname).toBe('renamed');
    expect(fast.tryUnchanged(reportOf(base, { agent_url: 'http://10.0.0.2:7300', hostname: 'renamed' }), t(4))).toBeDefined();
    expect(fast.tryUnchanged(reportOf(base, { hostname: 'renamed' }), t(5))).toBeDefined();
    for (const over of [{ agent_version: '9.9.9' }, { interval_ms: 500 }] as const) {
      expect(fast.tryUnchanged(reportOf(base, { hostname: 'renamed', ...over }), t(6))).toBeUndefined();
    }
    fast.flushNow();
    expect(hostRow().agent_url).toBe('http://10.0.0.2:7300');
    expect(hostRow().last_seen).toBe(sqliteTime(t(5)));
  });

  it('reads a host it does not know from the file at first sight (a restarted hub)', async () => {
    await ingestReport(prisma, reportOf(shrunk(base)), t(0));
    await ingestReport(prisma, reportOf(base), t(1));
    const restarted = new IngestFastPath(sqliteConnectionOf(prisma), { flushIntervalMs: HOUR });
    try {
      expect(restarted.tryUnchanged(reportOf(base), t(2))?.ack).toEqual({ host_id: 'host-a', inventory_version: 2, changed: false });
      expect(restarted.tryUnchanged(reportOf(base, { host_id: 'never-seen' }), t(2))).toBeUndefined();
      expect(restarted.flushNow()).toBe(1);
      expect(hostRow().last_seen).toBe(sqliteTime(t(2)));
    } finally {
      await restarted.close();
    }
  });

  it('notices a new version written outside it at the flush, and reads the host again', async () => {
    await general(reportOf(base), t(0));
    expect(fast.tryUnchanged(reportOf(base), t(10))).toBeDefined();
    const other = await connectPrisma(databaseFile);
    try {
      await ingestReport(other, reportOf(shrunk(base)), t(20));
    } finally {
      await other.$disconnect();
    }
    expect(fast.flushNow()).toBe(1);
    expect(fast.stats.stale).toBe(1);
    // the host's row was not bumped by a report of the version it no longer has
    expect(hostRow().last_seen).toBe(sqliteTime(t(20)));
    expect(fast.tryUnchanged(reportOf(base), t(30))).toBeUndefined();
    expect(fast.tryUnchanged(reportOf(shrunk(base)), t(30))?.ack).toEqual({ host_id: 'host-a', inventory_version: 2, changed: false });
  });

  it('puts the bump back when the general transaction rolls back', async () => {
    await general(reportOf(base), t(0));
    expect(fast.tryUnchanged(reportOf(base), t(10))).toBeDefined();
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_version BEFORE INSERT ON inventory_versions
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    await expect(general(reportOf(shrunk(base)), t(20))).rejects.toThrow();
    // the bump written first in the transaction was rolled back with it, and is pending again
    expect(hostRow().last_seen).toBe(sqliteTime(t(0)));
    expect(fast.pendingCount).toBe(1);
    expect(fast.flushNow()).toBe(1);
    expect(hostRow().last_seen).toBe(sqliteTime(t(10)));
    expect(versionRow(2)).toBeUndefined();
  });

  it('Prisma reads of the process include pending bumps once the hook is set; close writes the rest', async () => {
    beforePrismaQueries(prisma, () => fast.flushBeforeQuery());
    await general(reportOf(base), t(0));
    expect(fast.tryUnchanged(reportOf(base), t(10))).toBeDefined();
    expect(hostRow().last_seen).toBe(sqliteTime(t(0)));
    expect((await prisma.host.findUniqueOrThrow({ where: { id: 'host-a' } })).lastSeen).toEqual(t(10));
    beforePrismaQueries(prisma, undefined);
    expect(fast.tryUnchanged(reportOf(base), t(20))).toBeDefined();
    await fast.close();
    expect(hostRow().last_seen).toBe(sqliteTime(t(20)));
    // closed: nothing more from memory
    expect(fast.tryUnchanged(reportOf(base), t(30))).toBeUndefined();
  });
});

describe('ingest fast path (through the report route)', () => {
  let hub: TestHub;
  beforeEach(async () => {
    hub = await startTestHub();
  });
  afterEach(async () => {
    await hub.close();
  });

  async function post(hostId: string, credential: string, report: AgentReport): Promise<{ status: number; body: string }> {
    const res = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/report', payload: report, headers: authed(credential) });
    return { status: res.statusCode, body: res.body };
  }

  it('answers unchanged reports from memory; the hub\'s reads include them; close writes what is pending', async () => {
    const credential = await agentCredentialFor(hub, 'host-a');
    expect((await post('host-a', credential, reportOf(base))).status).toBe(200);
    const first = (await hub.server.inject({ method: 'GET', url: '/api/v1/hosts/host-a/inventory', headers: authed(hub.adminToken) }))
      .json<HostInventory>();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const sentAt = Date.now();
    const res = await post('host-a', credential, reportOf(base));
    expect(JSON.parse(res.body)).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false });
    // health samples of an unchanged report: stored before the answer, told to the streams
    const notices: unknown[] = [];
    hub.server.mediaBus.on('ingested', (n) => notices.push(n));
    const sample = { dimm: 'nmem0', sampled_at: new Date().toISOString(), values: { health_state: 'ok' as const, temperature_celsius: 33 } };
    expect((await post('host-a', credential, reportOf(base, { health_samples: [sample] }))).status).toBe(200);
    expect(notices).toEqual([{ host_id: 'host-a', inventory_changed: false, inventory_version: 1, events: [], deliveries: 0 }]);
    const health = await hub.server.inject({ method: 'GET', url: '/api/v1/hosts/host-a/health', headers: authed(hub.adminToken) });
    expect(health.statusCode, health.body).toBe(200);
    expect(JSON.stringify(health.json())).toContain('"temperature_celsius":33');
    expect(hub.server.ingestFastPath.stats.unchanged).toBe(2);
    const after = (await hub.server.inject({ method: 'GET', url: '/api/v1/hosts/host-a/inventory', headers: authed(hub.adminToken) }))
      .json<HostInventory>();
    expect(Date.parse(after.last_seen)).toBeGreaterThanOrEqual(sentAt);
    expect(after.first_seen).toBe(first.first_seen);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const lastSentAt = Date.now();
    expect((await post('host-a', credential, reportOf(base))).status).toBe(200);
    await hub.server.close();
    const reader = new Database(hub.databaseFile, { readonly: true });
    try {
      const row = reader.prepare('SELECT last_seen FROM hosts WHERE id = ?').get('host-a') as { last_seen: string };
      expect(Date.parse(row.last_seen)).toBeGreaterThanOrEqual(lastSentAt);
    } finally {
      reader.close();
    }
  });

  it('a revoked credential is refused for a host the fast path knows', async () => {
    const credential = await agentCredentialFor(hub, 'host-r');
    const report = reportOf(base, { host_id: 'host-r' });
    expect((await post('host-r', credential, report)).status).toBe(200);
    expect((await post('host-r', credential, report)).status).toBe(200);
    expect(hub.server.ingestFastPath.stats.unchanged).toBe(1);
    const revoked = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/host-r/revoke', headers: authed(hub.adminToken) });
    expect(revoked.statusCode, revoked.body).toBe(200);
    const refused = await post('host-r', credential, report);
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).code).toBe('DAXFLEET_ERR_AUTH_REVOKED');
    expect(hub.server.ingestFastPath.stats.unchanged).toBe(1);
  });

  it('a report as another host is refused before the fast path', async () => {
    const credential = await agentCredentialFor(hub, 'host-a');
    expect((await post('host-b', await agentCredentialFor(hub, 'host-b'), reportOf(base, { host_id: 'host-b' }))).status).toBe(200);
    const res = await post('host-a', credential, reportOf(base, { host_id: 'host-b' }));
    expect(res.status).toBe(403);
  });
});
