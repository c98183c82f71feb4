/**
 * Media events, the bad-block ledger and DIMM health history through the report route and the REST API, on a real
 * SQLite file: idempotent re-sends, a range that comes back after it was cleared, filters and keyset paging, health
 * samples, the webhook outbox written in the same transaction, and the 400s for bad query values.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  AgentReportAck, ApiError, BadRange, EventPage, HealthHistory, HealthSample, Inventory, LedgerEntry, LedgerPage,
  MediaEvent,
} from '@daxfleet/shared';
import type { IngestedNotice } from '../src/services/media-bus.js';
import { agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let base: Inventory;
let hub: TestHub;
let seq = 0;

beforeAll(async () => {
  base = await fixtureInventory('two-dimm-all-modes');
});
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

function range(offset: number, over: Partial<BadRange> = {}): BadRange {
  return { region: 'region0', region_offset: offset, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region', ...over };
}

function badblock(type: 'badblock-new' | 'badblock-cleared', r: BadRange, detectedAt = new Date()): MediaEvent {
  return {
    id: `ev-${(++seq).toString().padStart(6, '0')}-${Math.random().toString(36).slice(2, 10)}`,
    type,
    detected_at: detectedAt.toISOString(),
    detected_by: type === 'badblock-new' ? 'notify' : 'scan',
    summary: `${type} ${r.region}+${r.region_offset} (${r.length} sectors)`,
    range: r,
  };
}

const credentials = new Map<string, string>();
async function send(events: MediaEvent[] | undefined, hostId = 'host-a', samples?: HealthSample[]): Promise<AgentReportAck> {
  const key = `${hub.databaseFile}:${hostId}`;
  if (!credentials.has(key)) credentials.set(key, await agentCredentialFor(hub, hostId));
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report',
    payload: reportOf(base, {
      host_id: hostId, hostname: `name-of-${hostId}`,
      ...(events !== undefined ? { events } : {}), ...(samples !== undefined ? { health_samples: samples } : {}),
    }),
    headers: authed(credentials.get(key) as string),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AgentReportAck>();
}

async function get<T>(url: string): Promise<T> {
  const res = await hub.server.inject({ url, headers: authed(hub.adminToken) });
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return res.json<T>();
}

async function getError(url: string): Promise<{ status: number; body: ApiError }> {
  const res = await hub.server.inject({ url, headers: authed(hub.adminToken) });
  return { status: res.statusCode, body: res.json<ApiError>() };
}

/** every entry of a ledger query, following next_cursor */
async function allPages(url: string, limit: number): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const sep = url.includes('?') ? '&' : '?';
    const page = await get<LedgerPage>(`${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.entries.length).toBeLessThanOrEqual(limit);
    out.push(...page.entries);
    if (!page.next_cursor) return out;
    cursor = page.next_cursor;
  }
  throw new Error('paging did not end');
}

describe('events in reports', () => {
  it('stores an event once when it is sent twice, and acknowledges it both times', async () => {
    const e = badblock('badblock-new', range(65536));
    expect(await send([e])).toMatchObject({ acked_events: [e.id] });
    expect(await send([e])).toMatchObject({ acked_events: [e.id], changed: false });
    // and once more together with a new one, the old one first (outbox order)
    const f = badblock('badblock-new', range(131072));
    expect((await send([e, f])).acked_events).toEqual([e.id, f.id]);
    const { events } = await get<EventPage>('/api/v1/media/events');
    expect(events.map((x) => x.id)).toEqual([f.id, e.id]);
    expect(events[1]).toMatchObject({ ...e, host_id: 'host-a', hostname: 'name-of-host-a' });
    const ledger = await get<LedgerPage>('/api/v1/media/ledger');
    expect(ledger.entries).toHaveLength(2);
    expect(ledger.open_count).toBe(2);
    expect(ledger.open_sectors).toBe(16);
  });

  it('acknowledges an empty events list with an empty list, and a report without events with no list', async () => {
    expect(await send([])).toEqual({ host_id: 'host-a', inventory_version: 1, changed: true, acked_events: [] });
    expect(await send([])).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false, acked_events: [] });
    expect(await send(undefined)).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false });
  });

  it('a range found, cleared and found again is two ledger rows; raised again while open, still one', async () => {
    const r = range(4096, { dimms: [{ dimm: 'nmem0' }, { dimm: 'nmem1' }] });
    const t0 = new Date(Date.now() - 60_000);
    const first = badblock('badblock-new', r, t0);
    await send([first]);
    // an agent reinstalled with an empty outbox raises the open range again under a new id: no second row
    const again = badblock('badblock-new', r, new Date(t0.getTime() + 1000));
    expect((await send([again])).acked_events).toEqual([again.id]);
    expect((await get<LedgerPage>('/api/v1/media/ledger')).entries).toHaveLength(1);

    const cleared = badblock('badblock-cleared', r, new Date(t0.getTime() + 2000));
    const back = badblock('badblock-new', r, new Date(t0.getTime() + 3000));
    // cleared and back in one report: applied in report order
    await send([cleared, back]);
    const ledger = await get<LedgerPage>('/api/v1/media/ledger');
    expect(ledger.entries.map((x) => [x.state, x.new_event_id, x.cleared_event_id])).toEqual([
      ['open', back.id, undefined],
      ['cleared', first.id, cleared.id],
    ]);
    const [open, closed] = ledger.entries as [LedgerEntry, LedgerEntry];
    expect(closed).toMatchObject({
      host_id: 'host-a', hostname: 'name-of-host-a', range: r, first_seen: t0.toISOString(), found_by: 'notify',
      cleared_at: cleared.detected_at, cleared_by: 'scan',
    });
    expect(open.first_seen).toBe(back.detected_at);
    expect(ledger.open_count).toBe(1);
    expect(ledger.open_sectors).toBe(8);

    // the events point at their ledger rows
    const rows = await hub.server.prisma.mediaEvent.findMany({ select: { id: true, ledgerId: true } });
    const ledgerOf = Object.fromEntries(rows.map((x) => [x.id, x.ledgerId]));
    expect(ledgerOf).toEqual({ [first.id]: closed.id, [again.id]: closed.id, [cleared.id]: closed.id, [back.id]: open.id });
  });

  it('a clear of a range the ledger has not open is stored as an event and changes nothing', async () => {
    const e = badblock('badblock-cleared', range(8));
    expect((await send([e])).acked_events).toEqual([e.id]);
    expect((await get<LedgerPage>('/api/v1/media/ledger')).entries).toEqual([]);
    expect((await get<EventPage>('/api/v1/media/events')).events.map((x) => x.id)).toEqual([e.id]);
  });

  it('last_seen of an open range follows the host\'s reports, a cleared one keeps the last report that listed it', async () => {
    const r1 = range(100);
    const r2 = range(200);
    await send([badblock('badblock-new', r1), badblock('badblock-new', r2)]);
    const before = await get<LedgerPage>('/api/v1/media/ledger');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await send(undefined); // the steady-state fast path
    const hostSeen = (await hub.server.prisma.host.findUniqueOrThrow({ where: { id: 'host-a' } })).lastSeen;
    const after = await get<LedgerPage>('/api/v1/media/ledger');
    for (const entry of after.entries) {
      expect(entry.last_seen).toBe(hostSeen.toISOString());
      expect(Date.parse(entry.last_seen)).toBeGreaterThan(Date.parse(before.entries[0]!.last_seen));
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    await send([badblock('badblock-cleared', r1)]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await send(undefined);
    const latest = await get<LedgerPage>('/api/v1/media/ledger?state=cleared');
    expect(latest.entries.map((e) => e.range.region_offset)).toEqual([100]);
    // the report before the clear was the last one that listed it
    expect(latest.entries[0]?.last_seen).toBe(hostSeen.toISOString());
  });

  it('writes one webhook delivery per matching subscription and event, in the report transaction, not again on re-send', async () => {
    await hub.server.prisma.webhookSubscription.create({
      data: {
        id: 'sub-1', name: 'pager', url: 'http://127.0.0.1:9/hook', format: 'daxfleet', eventTypes: JSON.stringify(['badblock-new']),
        hostIds: '[]', secret: 'a-secret-of-the-test', enabled: false, maxAgeSeconds: 3600, createdAt: new Date(), createdBy: 'test',
      },
    });
    const notices: IngestedNotice[] = [];
    hub.server.mediaBus.on('ingested', (n) => notices.push(n));
    const e = badblock('badblock-new', range(512));
    const c = badblock('badblock-cleared', range(512));
    await send([e, c]);
    // a disabled subscription gets nothing
    expect(await hub.server.prisma.webhookDelivery.count()).toBe(0);
    await hub.server.prisma.webhookSubscription.update({ where: { id: 'sub-1' }, data: { enabled: true } });
    const f = badblock('badblock-new', range(1024));
    await send([e, c, f]);
    await send([f]);
    const deliveries = await hub.server.prisma.webhookDelivery.findMany();
    expect(deliveries.map((d) => [d.eventId, d.status])).toEqual([[f.id, 'pending']]);
    const body = JSON.parse(deliveries[0]!.body) as { ledger?: { id: number } };
    const ledger = await get<LedgerPage>('/api/v1/media/ledger?state=open');
    expect(body.ledger?.id).toBe(ledger.entries[0]?.id);
    // the route told the bus what each report stored, re-sent events not included
    expect(notices.map((n) => [n.events.map((x) => x.id), n.deliveries])).toEqual([[[e.id, c.id], 0], [[f.id], 1]]);
    expect(notices[0]).toMatchObject({ host_id: 'host-a', inventory_changed: true, inventory_version: 1 });
  });
});

describe('ledger queries', () => {
  /** host-a: 5 ranges (2 cleared) on nmem0/nmem1; host-b: 2 ranges on nmem0; first_seen one minute apart */
  async function fleet(): Promise<{ t0: Date }> {
    const t0 = new Date(Date.UTC(2026, 10, 1, 12, 0, 0));
    const at = (m: number): Date => new Date(t0.getTime() + m * 60_000);
    const a = [0, 1, 2, 3, 4].map((i) => badblock('badblock-new', range(1000 * (i + 1), {
      length: i + 1, dimms: [{ dimm: i % 2 === 0 ? 'nmem0' : 'nmem1' }],
    }), at(i)));
    await send(a, 'host-a');
    await send([badblock('badblock-cleared', a[0]!.range!, at(10)), badblock('badblock-cleared', a[3]!.range!, at(11))], 'host-a');
    await send([5, 6].map((i) => badblock('badblock-new', range(1000 * i, { length: 10 }), at(i))), 'host-b');
    return { t0 };
  }

  it('filters by host, state, DIMM and first_seen window, with open totals over the whole filter', async () => {
    const { t0 } = await fleet();
    const all = await get<LedgerPage>('/api/v1/media/ledger');
    expect(all.entries.map((e) => [e.host_id, e.range.region_offset])).toEqual([
      ['host-b', 6000], ['host-b', 5000], ['host-a', 5000], ['host-a', 4000], ['host-a', 3000], ['host-a', 2000], ['host-a', 1000],
    ]);
    expect([all.open_count, all.open_sectors]).toEqual([5, 2 + 3 + 5 + 10 + 10]);

    const a = await get<LedgerPage>('/api/v1/media/ledger?host=host-a&state=open');
    expect(a.entries.map((e) => e.range.region_offset)).toEqual([5000, 3000, 2000]);
    expect([a.open_count, a.open_sectors]).toEqual([3, 10]);
    const cleared = await get<LedgerPage>('/api/v1/media/ledger?state=cleared');
    expect(cleared.entries.map((e) => e.range.region_offset)).toEqual([4000, 1000]);
    expect([cleared.open_count, cleared.open_sectors]).toEqual([0, 0]);

    const nmem1 = await get<LedgerPage>('/api/v1/media/ledger?dimm=nmem1');
    expect(nmem1.entries.map((e) => e.range.region_offset)).toEqual([4000, 2000]);
    expect([nmem1.open_count, nmem1.open_sectors]).toEqual([1, 2]);
    // nmem1 must not match nmem10 and the like: whole names only
    expect((await get<LedgerPage>('/api/v1/media/ledger?dimm=nmem')).entries).toEqual([]);

    const since = new Date(t0.getTime() + 2 * 60_000).toISOString();
    const until = new Date(t0.getTime() + 5 * 60_000).toISOString();
    const window = await get<LedgerPage>(`/api/v1/media/ledger?since=${since}&until=${until}`);
    expect(window.entries.map((e) => e.range.region_offset)).toEqual([5000, 4000, 3000]);

    const host = await get<LedgerPage>('/api/v1/hosts/host-b/ledger');
    expect(host.entries.map((e) => e.range.region_offset)).toEqual([6000, 5000]);
    expect(host.entries.every((e) => e.hostname === 'name-of-host-b')).toBe(true);
  });

  it('pages with a keyset cursor through every entry exactly once, also when rows arrive between pages', async () => {
    await fleet();
    const all = await get<LedgerPage>('/api/v1/media/ledger');
    for (const limit of [1, 2, 3, 7]) {
      expect((await allPages('/api/v1/media/ledger', limit)).map((e) => e.id)).toEqual(all.entries.map((e) => e.id));
    }
    const first = await get<LedgerPage>('/api/v1/media/ledger?limit=3');
    // a newer range arrives: the next page still continues after the last entry seen
    await send([badblock('badblock-new', range(99_000))], 'host-b');
    const second = await get<LedgerPage>(`/api/v1/media/ledger?limit=3&cursor=${first.next_cursor}`);
    expect([...first.entries, ...second.entries].map((e) => e.id)).toEqual(all.entries.slice(0, 6).map((e) => e.id));
    expect((await allPages('/api/v1/hosts/host-a/ledger?state=open', 2)).map((e) => e.range.region_offset)).toEqual([5000, 3000, 2000]);
  });

  it('pages events newest first, filtered by host, type and since', async () => {
    await fleet();
    const all = await get<EventPage>('/api/v1/media/events');
    expect(all.events).toHaveLength(9);
    expect(all.events.slice(0, 2).map((e) => e.range?.region_offset)).toEqual([6000, 5000]);
    expect(all.events[0]?.host_id).toBe('host-b');
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page: EventPage = await get<EventPage>(`/api/v1/media/events?limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      ids.push(...page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(ids).toEqual(all.events.map((e) => e.id));
    const cleared = await get<EventPage>('/api/v1/media/events?type=badblock-cleared&host=host-a');
    expect(cleared.events.map((e) => e.range?.region_offset)).toEqual([4000, 1000]);
    expect((await get<EventPage>('/api/v1/media/events?host=host-b')).events).toHaveLength(2);
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await get<EventPage>(`/api/v1/media/events?since=${future}`)).events).toEqual([]);
  });
});

describe('health history', () => {
  function sample(dimm: string, at: Date, temperature: number): HealthSample {
    return { dimm, dimm_id: `${dimm}-id`, sampled_at: at.toISOString(), values: { health_state: 'ok', temperature_celsius: temperature } };
  }

  it('stores samples once and answers them oldest first, by DIMM and window', async () => {
    const t0 = new Date(Date.UTC(2026, 10, 2, 0, 0, 0));
    const at = (m: number): Date => new Date(t0.getTime() + m * 60_000);
    await send(undefined, 'host-a', [sample('nmem0', at(1), 30), sample('nmem1', at(1), 31)]);
    await send(undefined, 'host-a', [sample('nmem0', at(0), 29), sample('nmem0', at(2), 33)]);
    // a re-sent report (its answer was lost): the same samples are not stored twice
    await send(undefined, 'host-a', [sample('nmem0', at(0), 29), sample('nmem0', at(2), 33)]);
    await send(undefined, 'host-b', [sample('nmem0', at(1), 50)]);

    const all = await get<HealthHistory>('/api/v1/hosts/host-a/health');
    expect(all.truncated).toBeUndefined();
    expect(all.samples.map((s) => [s.dimm, s.sampled_at, s.values.temperature_celsius])).toEqual([
      ['nmem0', at(0).toISOString(), 29], ['nmem0', at(1).toISOString(), 30], ['nmem1', at(1).toISOString(), 31],
      ['nmem0', at(2).toISOString(), 33],
    ]);
    expect(all.samples[0]).toEqual({ host_id: 'host-a', ...sample('nmem0', at(0), 29) });
    const nmem0 = await get<HealthHistory>(`/api/v1/hosts/host-a/health?dimm=nmem0&since=${at(1).toISOString()}&until=${at(2).toISOString()}`);
    expect(nmem0.samples.map((s) => s.values.temperature_celsius)).toEqual([30]);
    expect((await get<HealthHistory>('/api/v1/hosts/host-b/health')).samples.map((s) => s.values.temperature_celsius)).toEqual([50]);
  });
});

describe('bad query values', () => {
  it.each([
    ['/api/v1/media/ledger?cursor=not-a-cursor', /cursor.*next_cursor/],
    // "1|2": a ledger cursor's shape, not an event cursor's
    ['/api/v1/media/events?cursor=MXwy', /cursor/],
    ['/api/v1/media/ledger?since=2026-11-02T00:00:00Z&until=2026-11-01T00:00:00Z', /since.*before.*until/],
    ['/api/v1/media/ledger?since=yesterday', /since/],
    ['/api/v1/media/ledger?state=broken', /state/],
    ['/api/v1/media/ledger?dimm=nmem%25', /dimm.*nmem0/],
    ['/api/v1/media/ledger?limit=0', /limit/],
    ['/api/v1/media/ledger?limit=501', /limit/],
    ['/api/v1/media/ledger?colour=blue', /colour/],
    ['/api/v1/media/events?type=badblock-old', /type/],
    ['/api/v1/hosts/host-a/ledger?host=host-b', /host/],
    ['/api/v1/hosts/host-a/health?dimm=a_b', /dimm/],
    ['/api/v1/hosts/host-a/health?limit=5', /limit/],
  ])('%s is a 400 that says what was wrong', async (url, message) => {
    await send([]);
    const { status, body } = await getError(url);
    expect(status, JSON.stringify(body)).toBe(400);
    expect(body.code).toBe('DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toMatch(message);
  });

  it('a host that never reported is a 404 on its ledger and health', async () => {
    for (const url of ['/api/v1/hosts/nobody/ledger', '/api/v1/hosts/nobody/health']) {
      const { status, body } = await getError(url);
      expect(status).toBe(404);
      expect(body.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
      expect(body.message).toMatch(/GET \/api\/v1\/hosts/);
    }
  });
});
