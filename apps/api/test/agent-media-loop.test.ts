/**
 * The agent loop with its media journal, over real HTTP: a small hub stand-in started here records every report
 * and acknowledges event ids the way the hub's report route does (acked_events), or refuses, or holds a request.
 * The agent scans a copied recorded tree that the test edits the way the kernel would.
 */
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, AgentReportAck, DimmHealth, EventPage, Inventory, LedgerPage, MediaEvent } from '@daxfleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, MAX_EVENTS_PER_REPORT, type ReportSender } from '../src/agent/agent.js';
import { MEDIA_JOURNAL_FILE, MediaJournal } from '../src/agent/media/journal.js';
import { httpSender, inProcessSender } from '../src/agent/senders.js';
import { agentCredentialFor, authed, fixtureSysfs, startTestHub, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
const dir = (): string => {
  const t = tempDir('daxfleet-media-loop-');
  cleanups.push(t.remove);
  return t.dir;
};

type Answer = 'ack' | 'refuse' | 'no-ack';

/** A hub stand-in: keeps the reports, answers each as `answer()` says; `hold` delays answers until released. */
async function standInHub(): Promise<{
  url: string; reports: AgentReport[]; answer: Answer; hold: Promise<void> | undefined; nextReport(): Promise<AgentReport>;
}> {
  const waiters: Array<(r: AgentReport) => void> = [];
  const state = {
    url: '', reports: [] as AgentReport[], answer: 'ack' as Answer, hold: undefined as Promise<void> | undefined,
    nextReport: (): Promise<AgentReport> => new Promise((resolve) => waiters.push(resolve)),
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => void (async () => {
      const report = JSON.parse(body) as AgentReport;
      state.reports.push(report);
      waiters.splice(0).forEach((w) => w(report));
      if (state.hold) await state.hold;
      if (state.answer === 'refuse') {
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'DAXFLEET_ERR_UNAVAILABLE', message: 'down' }));
        return;
      }
      const ack: AgentReportAck = { host_id: report.host_id, inventory_version: state.reports.length, changed: false,
        ...(state.answer === 'ack' && report.events ? { acked_events: report.events.map((e) => e.id) } : {}) };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ack));
    })());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return state;
}

const silent = {
  info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined,
  fatal: () => undefined, child: () => silent, level: 'silent', silent: () => undefined,
} as unknown as import('fastify').FastifyBaseLogger;

function copyTree(name: string): string {
  const root = path.join(dir(), 'sys');
  cpSync(fixtureSysfs(name), root, { recursive: true, verbatimSymlinks: true });
  return root;
}

function startAgent(opts: {
  hubUrl: string; dataDir: string; root: string; scan?: () => Promise<Inventory>; send?: ReportSender;
}): Agent {
  const agent = new Agent({
    hostId: 'host-media', hostname: 'media-test', version: '0.0.0-test', intervalMs: 3_600_000,
    scan: opts.scan ?? (() => scanInventory({ sysfsRoot: opts.root, health: false })),
    send: opts.send ?? httpSender(opts.hubUrl, () => 'dxf_agent_test'),
    log: silent, target: opts.hubUrl,
    journal: MediaJournal.open(opts.dataDir, silent),
  });
  cleanups.push(() => agent.stop());
  agent.start();
  return agent;
}

const ids = (events: MediaEvent[] | undefined): string[] => (events ?? []).map((e) => e.id);
const journalFile = (dataDir: string): { state?: { ranges: unknown[] }; outbox: MediaEvent[] } =>
  JSON.parse(readFileSync(path.join(dataDir, MEDIA_JOURNAL_FILE), 'utf8')) as { state?: { ranges: unknown[] }; outbox: MediaEvent[] };

describe('the agent sends its media events and drops them on the hub\'s acknowledgement', () => {
  it('first report: the existing ranges as new events; acknowledged, they leave the outbox for good', async () => {
    const hub = await standInHub();
    const dataDir = dir();
    const root = copyTree('two-dimm-all-modes');
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir, root });
    const report = await first;
    expect(report.events?.map((e) => `${e.type} ${e.detected_by} ${e.range?.region}+${e.range?.region_offset}`))
      .toEqual(['badblock-new scan region0+1311720', 'badblock-new scan region1+655360']);
    await agent.rescanNow(); // the first cycle is done (its ack processed) when this one starts
    expect(hub.reports[1]?.events).toBeUndefined();
    expect(journalFile(dataDir).outbox).toEqual([]);
    expect(journalFile(dataDir).state?.ranges).toHaveLength(2);
  });

  it('killed between the journal write and the send: the restarted agent sends the same events (same ids) again', async () => {
    const hub = await standInHub();
    hub.answer = 'refuse';
    const dataDir = dir();
    const root = copyTree('four-dimm-mixed');
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir, root });
    const refused = await first;
    expect(refused.events).toHaveLength(6);
    await agent.stop(); // the process ends: only the journal is left
    expect(ids(journalFile(dataDir).outbox)).toEqual(ids(refused.events));

    hub.answer = 'ack';
    const second = hub.nextReport();
    const restarted = startAgent({ hubUrl: hub.url, dataDir, root });
    expect(ids((await second).events)).toEqual(ids(refused.events));
    await restarted.rescanNow();
    expect(hub.reports.at(-1)?.events).toBeUndefined(); // known ranges are not raised again, acked ones are gone
    expect(journalFile(dataDir).outbox).toEqual([]);
  });

  it('a hub that does not acknowledge gets the events again with the next report', async () => {
    const hub = await standInHub();
    hub.answer = 'no-ack';
    const dataDir = dir();
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir, root: copyTree('two-dimm-all-modes') });
    const sent = ids((await first).events);
    await agent.rescanNow();
    expect(ids(hub.reports[1]?.events)).toEqual(sent);
  });

  it('a change during a cycle runs one more cycle right after it, however many wakes came in', async () => {
    const hub = await standInHub();
    let release!: () => void;
    hub.hold = new Promise<void>((resolve) => (release = resolve));
    const root = copyTree('two-dimm-all-modes');
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir: dir(), root });
    await first; // the first report is held by the hub: a cycle is in flight
    appendFileSync(path.join(root, 'block/pmem0.3/badblocks'), '4000 8\n');
    agent.wake('poll');
    agent.wake('notify');
    agent.wake('poll');
    const second = hub.nextReport();
    hub.hold = undefined;
    release();
    const report = await second;
    expect(report.events?.map((e) => `${e.type} ${e.detected_by} ${e.range?.blockdev} ${e.range?.blockdev_offset}`))
      .toEqual(['badblock-new poll pmem0.3 4000']);
    await agent.stop();
    expect(hub.reports).toHaveLength(2);
  });

  it('carries at most 1000 events per report, oldest first; the rest follow once those are acknowledged', async () => {
    const hub = await standInHub();
    const dataDir = dir();
    const seed = MediaJournal.open(dataDir, silent);
    const backlog: MediaEvent[] = Array.from({ length: 1500 }, (_, i) => ({
      id: `backlog${String(i).padStart(5, '0')}`, type: 'scrub-completed', detected_at: new Date().toISOString(),
      detected_by: 'scan', summary: `scrub ${i}`, bus: 'ndbus0', scrub_count: i,
    }));
    const root = copyTree('one-dimm-label-less');
    seed.record({ ranges: [], dimms: {}, scrub: {} }, backlog);
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir, root });
    expect(ids((await first).events)).toEqual(ids(backlog.slice(0, MAX_EVENTS_PER_REPORT)));
    await agent.rescanNow();
    expect(ids(hub.reports[1]?.events)).toEqual(ids(backlog.slice(MAX_EVENTS_PER_REPORT)));
    expect(journalFile(dataDir).outbox).toEqual([]);
  });

  it('health samples: every DIMM with health at first, then only a DIMM with an event until a minute has passed', async () => {
    const hub = await standInHub();
    const root = copyTree('two-dimm-all-modes');
    let spares = false;
    const health = (): DimmHealth => ({ supported: true, health_state: 'ok', spares_percentage: spares ? 4 : 80, alarm_spares: spares, shutdown_state: 'clean', shutdown_count: 2 });
    const scan = async (): Promise<Inventory> => {
      const inv = await scanInventory({ sysfsRoot: root, health: false });
      for (const d of inv.buses[0]?.dimms ?? []) d.health = d.dev === 'nmem1' ? health() : { supported: false };
      return inv;
    };
    const first = hub.nextReport();
    const agent = startAgent({ hubUrl: hub.url, dataDir: dir(), root, scan });
    expect((await first).health_samples?.map((s) => `${s.dimm} ${s.dimm_id} ${s.values.spares_percentage}`)).toEqual(['nmem1 8680-57341200 80']);
    await agent.rescanNow();
    expect(hub.reports[1]?.health_samples).toBeUndefined();
    spares = true;
    await agent.rescanNow();
    expect(hub.reports[2]?.events?.map((e) => `${e.type} ${e.dimm}`)).toEqual(['dimm-spares-remaining nmem1']);
    expect(hub.reports[2]?.health_samples?.map((s) => `${s.dimm} ${s.values.spares_percentage}`)).toEqual(['nmem1 4']);
  });
});

describe('agent -> hub', () => {
  it('the hub stores the events, acknowledges them, keeps the ledger; a cleared range closes its row', async () => {
    const hub = await startTestHub();
    cleanups.push(() => hub.close());
    const credential = await agentCredentialFor(hub, 'host-media');
    const dataDir = dir();
    const root = copyTree('two-dimm-all-modes');
    const agent = startAgent({ hubUrl: 'the test hub', dataDir, root, send: inProcessSender(hub.server, () => credential) });
    await agent.rescanNow(); // the first cycle (or the one right after it)
    expect(journalFile(dataDir).outbox).toEqual([]); // acknowledged by the hub
    const get = async <T>(url: string): Promise<T> => {
      const res = await hub.server.inject({ method: 'GET', url, headers: authed(hub.adminToken) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<T>();
    };
    const stored = await get<EventPage>('/api/v1/media/events?host=host-media');
    expect(stored.events.map((e) => `${e.type} ${e.detected_by} ${e.range?.region}+${e.range?.region_offset}`).sort())
      .toEqual(['badblock-new scan region0+1311720', 'badblock-new scan region1+655360']);
    let ledger = await get<LedgerPage>('/api/v1/media/ledger?host=host-media&state=open');
    expect(ledger.open_count).toBe(2);
    expect(ledger.open_sectors).toBe(16);

    // the range written to the raw block device goes away (its namespace was disabled and enabled): cleared
    writeFileSync(path.join(root, 'block/pmem0.3/badblocks'), '');
    await agent.rescanNow();
    expect(agent.lastAck?.acked_events).toHaveLength(1);
    expect(journalFile(dataDir).outbox).toEqual([]);
    ledger = await get<LedgerPage>('/api/v1/media/ledger?host=host-media&state=cleared');
    expect(ledger.entries.map((e) => `${e.range.region}+${e.range.region_offset} ${e.cleared_by}`)).toEqual(['region0+1311720 rescan']);
  });
});
