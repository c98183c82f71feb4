/**
 * Crash safety of event ingest: a real hub process receives reports carrying events over HTTP as fast as the test
 * can send them (many reports in flight, each with new events, unacknowledged events re-sent by the next reports of
 * the same host, some ranges raised again under a new event id), is killed with SIGKILL mid-stream, and restarts on
 * the same data folder. Then every event acknowledged before the kill must be there (an acknowledgement means
 * durable); the test re-sends every event not acknowledged, as the agent's outbox does, and every event must be
 * stored exactly once and the ledger hold exactly one row per bad range: none duplicated, none lost.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentReport, AgentReportAck, BadRange, EventPage, Inventory, LedgerPage, MediaEvent } from '@daxfleet/shared';
import { HUB_ENV, HubClient } from './agent-processes.js';
import { fixtureInventory, reportOf, tempDir } from './helpers.js';
import { startDaxfleet, type DaxfleetProcess } from './processes.js';

const HOSTS = 4;
/** concurrent senders per host: several reports of one host in flight at once, as after an agent's backlog */
const SENDERS_PER_HOST = 4;
/** SIGKILL once this many reports were acknowledged (the others are in flight or not sent yet) */
const KILL_AFTER_ACKS = 120;
const OUTBOX_BATCH = 200;

const work = tempDir('daxfleet-crash-ingest-');
const dataDir = path.join(work.dir, 'hub-data');
let hub: DaxfleetProcess | undefined;
let inventory: Inventory;

/** One simulated agent: its credential and its durable outbox (events not yet acknowledged, oldest first). */
interface SimAgent {
  hostId: string;
  credential: string;
  outbox: Map<string, MediaEvent>;
  ranges: BadRange[];
  nextOffset: number;
}

const agents: SimAgent[] = [];
/** every event any agent raised, and the events acknowledged before the kill */
const raised = new Map<string, { hostId: string; rangeKey: string }>();
const ackedBeforeKill = new Set<string>();
let seq = 0;

const rangeKey = (r: BadRange): string => `${r.region}+${r.region_offset}/${r.length}`;

function raise(agent: SimAgent, r: BadRange): void {
  const event: MediaEvent = {
    id: `crash-${agent.hostId}-${(++seq).toString().padStart(7, '0')}`,
    type: 'badblock-new', detected_at: new Date().toISOString(), detected_by: 'poll',
    summary: `new bad range ${rangeKey(r)}`, range: r,
  };
  agent.outbox.set(event.id, event);
  raised.set(event.id, { hostId: agent.hostId, rangeKey: rangeKey(r) });
}

/** what the agent does between reports: one or two new ranges, and now and then an open range raised again */
function detect(agent: SimAgent): void {
  for (let i = 0; i < 1 + (seq % 2); i++) {
    const r: BadRange = {
      region: 'region0', region_offset: agent.nextOffset, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region',
    };
    agent.nextOffset += 64;
    agent.ranges.push(r);
    raise(agent, r);
  }
  // an agent reinstalled with an empty outbox finds an open range again and raises it under a new id
  if (seq % 7 === 0 && agent.ranges.length > 3) raise(agent, agent.ranges[seq % agent.ranges.length] as BadRange);
}

async function post(url: string, agent: SimAgent, events: MediaEvent[]): Promise<AgentReportAck> {
  const body: AgentReport = reportOf(inventory, { host_id: agent.hostId, hostname: agent.hostId, events });
  const res = await fetch(`${url}/api/v1/agents/report`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.credential}` },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`report of ${agent.hostId}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as AgentReportAck;
}

/** the outbox's oldest events (a report carries at most a batch; the next report the rest) */
function batchOf(agent: SimAgent): MediaEvent[] {
  return [...agent.outbox.values()].slice(0, OUTBOX_BATCH);
}

async function startHub(): Promise<DaxfleetProcess> {
  hub = await startDaxfleet(['--role', 'hub', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'], 30_000, HUB_ENV);
  return hub;
}

async function pages<T>(admin: HubClient, first: string, items: (page: T) => unknown[], next: (page: T) => string | undefined): Promise<unknown[]> {
  const out: unknown[] = [];
  let url = first;
  for (;;) {
    const page = await admin.ok<T>('GET', url);
    out.push(...items(page));
    const cursor = next(page);
    if (!cursor) return out;
    url = `${first}&cursor=${encodeURIComponent(cursor)}`;
  }
}

beforeAll(async () => {
  inventory = await fixtureInventory('two-dimm-all-modes');
  const h = await startHub();
  const admin = await HubClient.asAdmin(h.url);
  for (let i = 0; i < HOSTS; i++) {
    const hostId = `crash-host-${i}`;
    const enrolled = await admin.ok<{ agent_credential: string }>('POST', '/agents/enroll', {
      join_token: await admin.joinToken(), host_id: hostId, hostname: hostId,
    });
    agents.push({ hostId, credential: enrolled.agent_credential, outbox: new Map(), ranges: [], nextOffset: 0 });
  }
});

afterAll(async () => {
  await hub?.stop('SIGKILL');
  work.remove();
});

describe('SIGKILL of the hub during event ingest', () => {
  it('loses no acknowledged event, and after the re-send stores every event once and every range in one ledger row', async () => {
    const first = hub as DaxfleetProcess;
    let acks = 0;
    let failures = 0;
    let killed = false;

    const sender = async (agent: SimAgent): Promise<void> => {
      while (!killed) {
        detect(agent);
        try {
          const ack = await post(first.url, agent, batchOf(agent));
          // an answer (even one arriving after the kill signal went out) means the transaction was committed
          for (const id of ack.acked_events ?? []) {
            agent.outbox.delete(id);
            ackedBeforeKill.add(id);
          }
          if (++acks >= KILL_AFTER_ACKS && !killed) {
            killed = true;
            await first.stop('SIGKILL');
          }
        } catch {
          // the hub is gone (connection refused or reset): this report's events stay in the outbox
          failures++;
          if (killed) return;
        }
      }
    };
    await Promise.all(agents.flatMap((agent) => Array.from({ length: SENDERS_PER_HOST }, () => sender(agent))));
    expect(acks).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    const unacked = agents.reduce((n, a) => n + a.outbox.size, 0);
    console.log(`crash-ingest: ${raised.size} events raised, ${ackedBeforeKill.size} acknowledged before SIGKILL, ` +
      `${acks} reports acknowledged, ${failures} reports failed at the kill, ${unacked} events left in outboxes`);

    // restart on the same data folder: every acknowledged event is there
    const second = await startHub();
    const admin = await HubClient.asAdmin(second.url);
    const storedEvents = async (): Promise<string[]> => (await pages<EventPage>(admin, '/media/events?limit=500',
      (p) => p.events, (p) => p.next_cursor)).map((e) => (e as { id: string }).id);
    const afterRestart = new Set(await storedEvents());
    const lost = [...ackedBeforeKill].filter((id) => !afterRestart.has(id));
    expect(lost, 'acknowledged before the kill, missing after the restart').toEqual([]);
    const committedUnanswered = agents.flatMap((a) => [...a.outbox.keys()]).filter((id) => afterRestart.has(id)).length;
    console.log(`crash-ingest: after the restart ${afterRestart.size} events stored, of which ${committedUnanswered} ` +
      'were committed but never acknowledged (the re-send must not store them again)');

    // the outboxes re-send what was not acknowledged (some of it was stored before the kill: acknowledged again)
    for (const agent of agents) {
      while (agent.outbox.size > 0) {
        const batch = batchOf(agent);
        const ack = await post(second.url, agent, batch);
        expect(ack.acked_events).toEqual(batch.map((e) => e.id));
        for (const id of ack.acked_events ?? []) agent.outbox.delete(id);
      }
    }

    const ids = await storedEvents();
    expect(ids.length, 'events listed').toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(raised.keys()));

    const ledger = await pages<LedgerPage>(admin, '/media/ledger?limit=500', (p) => p.entries, (p) => p.next_cursor) as LedgerPage['entries'];
    const rows = ledger.map((e) => `${e.host_id} ${rangeKey(e.range)}`);
    const expectedRanges = new Set(agents.flatMap((a) => a.ranges.map((r) => `${a.hostId} ${rangeKey(r)}`)));
    expect(rows.length, 'one ledger row per range').toBe(new Set(rows).size);
    expect(new Set(rows)).toEqual(expectedRanges);
    expect(ledger.every((e) => e.state === 'open')).toBe(true);
    const open = await admin.ok<LedgerPage>('GET', '/media/ledger?limit=1');
    expect(open.open_count).toBe(expectedRanges.size);
    // each ledger row was opened by one of the events raised for its range
    for (const e of ledger) expect(raised.get(e.new_event_id)?.rangeKey).toBe(rangeKey(e.range));
  }, 240_000);
});
