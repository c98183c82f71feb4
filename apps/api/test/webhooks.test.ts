/**
 * Webhooks end to end: a real hub (SQLite file) and real HTTP receivers on 127.0.0.1. Backoff is shortened through
 * DAXFLEET_WEBHOOK_BACKOFF_BASE_MS / _CAP_MS so "the receiver is down for minutes" becomes a few seconds of the
 * same retry schedule; nothing here asserts how long anything took.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { MediaEvent, WebhookDelivery, WebhookSubscription } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { connectPrisma } from '../src/db/client.js';
import { enqueueDeliveries, newDeliveryId } from '../src/services/webhooks/outbox.js';
import { verifySignature } from '../src/services/webhooks/signing.js';
import {
  agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub,
  withEnv, type TestHub,
} from './helpers.js';

const BACKOFF = { DAXFLEET_WEBHOOK_BACKOFF_BASE_MS: '50', DAXFLEET_WEBHOOK_BACKOFF_CAP_MS: '800' };

interface Received { headers: IncomingHttpHeaders; body: string }

/** A webhook receiver: records every request, answers with the queued statuses, then 200. Can go down and up. */
class Receiver {
  readonly received: Received[] = [];
  /** statuses for the next requests, in order; then `otherwise` */
  readonly queue: number[] = [];
  otherwise = 200;
  port = 0;
  private server: Server | undefined;

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = this.queue.shift() ?? this.otherwise;
        res.end(res.statusCode < 300 ? 'ok' : 'receiver says no');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port: connections are refused until start() again (same port). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  deliveryIds(): string[] {
    return this.received.map((r) => String(r.headers['x-daxfleet-delivery']));
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false): Promise<T> {
  // a liveness bound, not a timing assertion: generous, and the failure names what never happened
  const deadline = Date.now() + 50_000;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let seq = 0;
function badblockEvent(type: 'badblock-new' | 'badblock-cleared', offset: number): MediaEvent {
  seq += 1;
  return {
    id: `evt-${type === 'badblock-new' ? 'new' : 'clr'}-${String(seq).padStart(6, '0')}`,
    type, detected_at: new Date().toISOString(), detected_by: 'notify',
    summary: `${type} region0+${offset} (8 sectors)`,
    range: { region: 'region0', region_offset: offset, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region' },
  };
}

/** What ingest does: events and deliveries in one transaction, then the 'ingested' notice. */
async function ingestEvents(hub: TestHub, events: MediaEvent[], hostId = 'host-a'): Promise<number> {
  const receivedAt = new Date();
  const n = await hub.server.prisma.$transaction((tx) => enqueueDeliveries(tx, {
    hostId, hostname: 'pmem-a', items: events.map((event) => ({ event, receivedAt })),
  }));
  hub.server.mediaBus.emit('ingested', { host_id: hostId, inventory_changed: false, inventory_version: 1, events: [], deliveries: n });
  return n;
}

/** A delivery row as the outbox or an earlier dispatcher left it (a head backed off, a failed one...). */
async function putDelivery(hub: TestHub, hookId: string, row: {
  status: 'pending' | 'failed'; attempts: number; createdAt: Date; nextAttemptAt: Date | null; body: string; eventType?: string;
}): Promise<string> {
  const id = newDeliveryId();
  await hub.server.prisma.webhookDelivery.create({
    data: { id, subscriptionId: hookId, ...row, eventType: row.eventType ?? 'badblock-new' },
  });
  return id;
}

async function api<T>(hub: TestHub, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object): Promise<{ status: number; body: T; raw: string }> {
  const res = await hub.server.inject({ method, url, headers: authed(hub.adminToken), ...(payload ? { payload } : {}) });
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : undefined) as T, raw: res.body };
}

async function createHook(hub: TestHub, body: Record<string, unknown>): Promise<WebhookSubscription & { secret: string }> {
  const res = await api<WebhookSubscription & { secret: string }>(hub, 'POST', '/api/v1/webhooks', body);
  expect(res.status, res.raw).toBe(201);
  return res.body;
}

async function deliveries(hub: TestHub, hookId: string): Promise<WebhookDelivery[]> {
  const res = await api<{ deliveries: WebhookDelivery[] }>(hub, 'GET', `/api/v1/webhooks/${hookId}/deliveries?limit=200`);
  expect(res.status, res.raw).toBe(200);
  return res.body.deliveries;
}

describe('webhooks', () => {
  let hub: TestHub;
  const receivers: Receiver[] = [];
  const newReceiver = async (): Promise<Receiver> => {
    const r = new Receiver();
    await r.start();
    receivers.push(r);
    return r;
  };

  beforeAll(async () => {
    hub = await withEnv(BACKOFF, () => startTestHub());
  });
  afterAll(async () => {
    await hub.close();
    for (const r of receivers) await r.stop();
  });

  it('keeps the secret write-only: shown once at creation, a prefix in every GET, rotated by PATCH', async () => {
    const created = await createHook(hub, { name: 'write-only', url: 'https://alerts.example.com/x', enabled: false });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.secret_prefix).toBe(created.secret.slice(0, 8));
    const own = await createHook(hub, { name: 'own-secret', url: 'http://alerts.example.com/y', secret: 'an-admin-chosen-secret-1', enabled: false });
    expect(own.secret).toBe('an-admin-chosen-secret-1');

    const rotated = await api<WebhookSubscription>(hub, 'PATCH', `/api/v1/webhooks/${own.id}`, { secret: 'a-rotated-secret-value-2' });
    expect(rotated.status, rotated.raw).toBe(200);
    // an admin-chosen secret: a fingerprint, none of its characters
    expect(rotated.body.secret_prefix).toBe(`sha256:${createHash('sha256').update('a-rotated-secret-value-2').digest('hex').slice(0, 8)}`);
    expect(own.secret_prefix).toBe(`sha256:${createHash('sha256').update('an-admin-chosen-secret-1').digest('hex').slice(0, 8)}`);
    expect(await hub.server.prisma.webhookSubscription.findUniqueOrThrow({ where: { id: own.id } })).toMatchObject({ secret: 'a-rotated-secret-value-2' });

    const gets = [
      await api(hub, 'GET', '/api/v1/webhooks'),
      await api(hub, 'GET', `/api/v1/webhooks/${created.id}`),
      await api(hub, 'GET', `/api/v1/webhooks/${own.id}`),
      await api(hub, 'GET', `/api/v1/webhooks/${own.id}/deliveries`),
      await api(hub, 'GET', '/api/v1/audit?limit=500'),
      await api(hub, 'GET', '/openapi.json'),
    ];
    for (const g of gets) {
      expect(g.raw).not.toContain(created.secret);
      expect(g.raw).not.toContain('an-admin-chosen-secret-1');
      expect(g.raw).not.toContain('a-rotated-secret-value-2');
      expect(g.raw).not.toMatch(/"secret"\s*:/);
    }
    const audit = gets[4]!.body as { entries: Array<{ action: string; target?: string }> };
    expect(audit.entries.map((e) => e.action)).toEqual(expect.arrayContaining(['webhook.create', 'webhook.update']));

    for (const id of [created.id, own.id]) expect((await api(hub, 'DELETE', `/api/v1/webhooks/${id}`)).status).toBe(200);
    expect((await api(hub, 'GET', `/api/v1/webhooks/${own.id}`)).status).toBe(404);
  });

  it('refuses bad input with clear 400s', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ name: 'x', url: 'ftp://example.com/' }, 'DAXFLEET_ERR_WEBHOOK_URL_INVALID', /http:\/\/ or https:\/\//],
      [{ name: 'x', url: 'not a url' }, 'DAXFLEET_ERR_WEBHOOK_URL_INVALID', /not an absolute URL/],
      [{ name: 'x', url: 'https://user:pw@example.com/' }, 'DAXFLEET_ERR_WEBHOOK_URL_INVALID', /credentials/],
      [{ name: 'x', url: 'https://example.com/', secret: 'short' }, 'DAXFLEET_ERR_REQUEST_VALIDATION', /secret/],
      [{ name: 'x', url: 'https://example.com/', format: 'slack' }, 'DAXFLEET_ERR_REQUEST_VALIDATION', /format/],
      [{ name: 'x', url: 'https://example.com/', event_types: ['badblock-old'] }, 'DAXFLEET_ERR_REQUEST_VALIDATION', /event_types/],
    ];
    for (const [body, code, message] of cases) {
      const res = await api<{ code: string; message: string }>(hub, 'POST', '/api/v1/webhooks', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe(code);
      expect(res.body.message).toMatch(message);
    }
    expect((await api(hub, 'GET', '/api/v1/webhooks/wh_nope')).body).toMatchObject({ code: 'DAXFLEET_ERR_WEBHOOK_NOT_FOUND' });
    const viewer = await hub.tokenFor('viewer');
    const res = await hub.server.inject({ method: 'GET', url: '/api/v1/webhooks', headers: authed(viewer) });
    expect(res.statusCode).toBe(403);
  });

  it('delivers every format signed, with the idempotency key and event headers', async () => {
    const receiver = await newReceiver();
    const hooks = await Promise.all((['daxfleet', 'alertmanager', 'cloudevents'] as const).map((format) =>
      createHook(hub, { name: `fmt-${format}`, url: `${receiver.url}?format=${format}`, format, host_ids: ['host-fmt'] })));
    const fresh = badblockEvent('badblock-new', 4096);
    const cleared = badblockEvent('badblock-cleared', 4096);
    expect(await ingestEvents(hub, [fresh, cleared], 'host-fmt')).toBe(6);
    // another host: the host filter keeps these subscriptions out of it
    expect(await ingestEvents(hub, [badblockEvent('badblock-new', 1)], 'host-other')).toBe(0);

    await until('six deliveries at the receiver', () => receiver.received.length >= 6);
    for (const r of receiver.received) {
      const signedBy = hooks.filter((h) => verifySignature(h.secret, String(r.headers['x-daxfleet-signature']), r.body).ok);
      expect(signedBy, 'the signature verifies with exactly one subscription secret').toHaveLength(1);
      expect(r.headers['idempotency-key']).toBe(r.headers['x-daxfleet-delivery']);
      expect(r.headers['user-agent']).toBe('daxfleet-hub/0.0.0-test');
      expect(['badblock-new', 'badblock-cleared']).toContain(r.headers['x-daxfleet-event']);
    }
    const byFormat = (format: string): Received[] => receiver.received.filter((r) => {
      const hook = hooks.find((h) => verifySignature(h.secret, String(r.headers['x-daxfleet-signature']), r.body).ok);
      return hook?.format === format;
    });
    // per subscription, in event order
    const dax = byFormat('daxfleet').map((r) => JSON.parse(r.body));
    expect(dax.map((b) => b.event.id)).toEqual([fresh.id, cleared.id]);
    expect(dax[0]).toMatchObject({ version: 'daxfleet.webhook.v1', host: { id: 'host-fmt' } });
    expect(dax[0].delivery_id).toBe(byFormat('daxfleet')[0]!.headers['x-daxfleet-delivery']);

    const am = byFormat('alertmanager').map((r) => JSON.parse(r.body));
    expect(am.map((b) => b.status)).toEqual(['firing', 'resolved']);
    expect(am[0].version).toBe('4');
    expect(am[1].alerts[0].fingerprint).toBe(am[0].alerts[0].fingerprint);

    const ce = byFormat('cloudevents');
    expect(ce.map((r) => r.headers['content-type'])).toEqual([
      'application/cloudevents+json; charset=utf-8', 'application/cloudevents+json; charset=utf-8',
    ]);
    expect(JSON.parse(ce[0]!.body)).toMatchObject({ specversion: '1.0', id: fresh.id, source: '/daxfleet/hosts/host-fmt', type: 'io.daxfleet.badblock-new' });

    for (const hook of hooks) {
      // the receiver can see a request before the hub has recorded its answer
      const log = await until(`${hook.name}: both logged as delivered`, async () => {
        const d = await deliveries(hub, hook.id);
        return d.length === 2 && d.every((x) => x.status === 'delivered') ? d : undefined;
      });
      expect(log[0]!.attempt_log).toEqual([expect.objectContaining({ status_code: 200, latency_ms: expect.any(Number) })]);
      await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
    }
  });

  it('retries a failing receiver with backoff: 500, 500, then 200 is delivered after 3 attempts', async () => {
    const receiver = await newReceiver();
    receiver.queue.push(500, 500);
    const hook = await createHook(hub, { name: 'retry', url: receiver.url, host_ids: ['host-retry'] });
    await ingestEvents(hub, [badblockEvent('badblock-new', 8192)], 'host-retry');
    const [done] = await until('the delivery is delivered', async () => {
      const d = await deliveries(hub, hook.id);
      return d[0]?.status === 'delivered' ? d : undefined;
    });
    expect(done!.attempts).toBe(3);
    expect(done!.attempt_log.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(done!.attempt_log[0]!.error).toMatch(/HTTP 500: receiver says no/);
    expect(done!.delivered_at).toBeDefined();
    // the same idempotency key on every attempt, each signed
    expect(new Set(receiver.deliveryIds())).toEqual(new Set([done!.id]));
    for (const r of receiver.received) expect(verifySignature(hook.secret, String(r.headers['x-daxfleet-signature']), r.body).ok).toBe(true);
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('with the receiver down for a while, then up, every alert arrives (at least once; once per key after dedupe)', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'outage', url: receiver.url, host_ids: ['host-outage'] });
    await receiver.stop();

    // alerts keep coming while the receiver is down, and the head delivery backs off to the cap
    const sent: MediaEvent[] = [];
    // (32 failed attempts of the head: with the 800 ms cap, the 5-minute cap's schedule compressed ~375x)
    for (let batch = 0; batch < 8; batch++) {
      const events = [badblockEvent('badblock-new', 100_000 + batch * 100), badblockEvent('badblock-new', 100_050 + batch * 100)];
      sent.push(...events);
      await ingestEvents(hub, events, 'host-outage');
      const wanted = 4 + batch * 4;
      await until(`head delivery failed ${wanted} times`, async () => {
        const head = await hub.server.prisma.webhookDelivery.findFirst({ where: { subscriptionId: hook.id }, orderBy: { id: 'asc' } });
        return head && head.attempts >= wanted;
      });
    }
    const head = await hub.server.prisma.webhookDelivery.findFirstOrThrow({ where: { subscriptionId: hook.id }, orderBy: { id: 'asc' }, include: { attemptLog: true } });
    expect(head.status).toBe('pending');
    expect(head.attemptLog.every((a) => a.statusCode === null && /ECONNREFUSED/.test(a.error ?? ''))).toBe(true);
    expect(receiver.received).toHaveLength(0);

    await receiver.start();
    await until('every alert arrived', () => new Set(receiver.deliveryIds()).size >= sent.length);
    const log = await until('every delivery is delivered', async () => {
      const d = await deliveries(hub, hook.id);
      return d.every((x) => x.status === 'delivered') ? d : undefined;
    });
    expect(log).toHaveLength(sent.length);
    // dedupe by idempotency key: exactly the hub's deliveries, each carrying its event, in event order
    const firstByKey = new Map<string, Received>();
    for (const r of receiver.received) if (!firstByKey.has(String(r.headers['x-daxfleet-delivery']))) firstByKey.set(String(r.headers['x-daxfleet-delivery']), r);
    expect(new Set(firstByKey.keys())).toEqual(new Set(log.map((d) => d.id)));
    expect([...firstByKey.values()].map((r) => JSON.parse(r.body).event.id)).toEqual(sent.map((e) => e.id));
    for (const r of receiver.received) expect(verifySignature(hook.secret, String(r.headers['x-daxfleet-signature']), r.body).ok).toBe(true);
    expect(receiver.received.length).toBeGreaterThanOrEqual(sent.length);
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('fails a delivery at its max age, and redelivers it with the same key and its attempt log kept', async () => {
    const receiver = await newReceiver();
    receiver.otherwise = 503;
    const hook = await createHook(hub, { name: 'max-age', url: receiver.url, host_ids: ['host-age'], max_age_seconds: 1 });
    await ingestEvents(hub, [badblockEvent('badblock-new', 16384)], 'host-age');
    const failed = await until('the delivery failed', async () => {
      const d = await deliveries(hub, hook.id);
      return d[0]?.status === 'failed' ? d[0] : undefined;
    });
    expect(failed.attempts).toBeGreaterThanOrEqual(1);
    expect(failed.last_status_code).toBe(503);
    expect(failed.next_attempt_at).toBeUndefined();
    const failedStatus = await api<WebhookDelivery[]>(hub, 'GET', `/api/v1/webhooks/${hook.id}/deliveries?status=failed`);
    expect(failedStatus.raw).toContain(failed.id);

    receiver.otherwise = 200;
    const redo = await api<WebhookDelivery>(hub, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${failed.id}/redeliver`);
    expect(redo.status, redo.raw).toBe(202);
    expect(redo.body).toMatchObject({ id: failed.id, status: 'pending' });
    const done = await until('the redelivery is delivered', async () => {
      const d = await deliveries(hub, hook.id);
      return d[0]?.status === 'delivered' ? d[0] : undefined;
    });
    expect(done.id).toBe(failed.id);
    expect(done.attempts).toBe(failed.attempts + 1);
    expect(done.attempt_log.slice(0, failed.attempts)).toEqual(failed.attempt_log);
    expect(done.attempt_log.at(-1)?.status_code).toBe(200);
    expect(new Set(receiver.deliveryIds())).toEqual(new Set([failed.id]));
    expect((await api(hub, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/0190f000-0000-7000-8000-00000000dead/redeliver`)).body)
      .toMatchObject({ code: 'DAXFLEET_ERR_WEBHOOK_DELIVERY_NOT_FOUND' });
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('sends a signed test delivery through the outbox', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'test-send', url: receiver.url, format: 'alertmanager', event_types: ['badblock-new'] });
    const res = await api<WebhookDelivery>(hub, 'POST', `/api/v1/webhooks/${hook.id}/test`);
    expect(res.status, res.raw).toBe(202);
    expect(res.body).toMatchObject({ event_type: 'test', status: 'pending', attempts: 0 });
    expect(res.body.event_id).toBeUndefined();
    await until('the test delivery arrived', () => receiver.received.length >= 1);
    const got = receiver.received[0]!;
    expect(got.headers['x-daxfleet-event']).toBe('test');
    expect(got.headers['x-daxfleet-delivery']).toBe(res.body.id);
    expect(verifySignature(hook.secret, String(got.headers['x-daxfleet-signature']), got.body).ok).toBe(true);
    expect(JSON.parse(got.body)).toMatchObject({ version: '4', alerts: [{ labels: { alertname: 'DaxfleetWebhookTest' } }] });
    await until('logged as delivered', async () => (await deliveries(hub, hook.id))[0]?.status === 'delivered');
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('PATCH makes the pending deliveries due at once: a fixed URL does not wait out the head\'s backoff', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'patch-due', url: 'http://127.0.0.1:9/broken', enabled: false });
    // a head that backed off to the cap against the broken URL: its next attempt is far away
    const id = await putDelivery(hub, hook.id, {
      status: 'pending', attempts: 12, createdAt: new Date(), nextAttemptAt: new Date(Date.now() + 3_600_000), body: '{"n":1}',
    });
    const res = await api<WebhookSubscription>(hub, 'PATCH', `/api/v1/webhooks/${hook.id}`, { url: receiver.url, enabled: true });
    expect(res.status, res.raw).toBe(200);
    const patchedAt = Date.now();
    const row = await hub.server.prisma.webhookDelivery.findUniqueOrThrow({ where: { id } });
    expect(row.status === 'delivered' || (row.nextAttemptAt !== null && row.nextAttemptAt.getTime() <= patchedAt),
      `after the PATCH: ${row.status}, next attempt ${row.nextAttemptAt?.toISOString()}`).toBe(true);
    await until('delivered to the fixed URL', async () => (await deliveries(hub, hook.id))[0]?.status === 'delivered');
    expect(receiver.deliveryIds()).toEqual([id]);
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('sends a test delivery at once, in its own lane, while the queue\'s head waits out its backoff', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'test-lane', url: receiver.url });
    const head = await putDelivery(hub, hook.id, {
      status: 'pending', attempts: 5, createdAt: new Date(), nextAttemptAt: new Date(Date.now() + 3_600_000), body: '{"n":1}',
    });
    const res = await api<WebhookDelivery>(hub, 'POST', `/api/v1/webhooks/${hook.id}/test`);
    expect(res.status, res.raw).toBe(202);
    await until('the test delivery arrived', () => receiver.received.length >= 1);
    expect(receiver.deliveryIds()).toEqual([res.body.id]);
    await until('the test delivery is logged as delivered', async () =>
      (await deliveries(hub, hook.id)).find((d) => d.id === res.body.id)?.status === 'delivered');
    // the head is untouched: still waiting for its own next attempt
    expect(await hub.server.prisma.webhookDelivery.findUniqueOrThrow({ where: { id: head } })).toMatchObject({ status: 'pending', attempts: 5 });
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('a redelivery joins the tail of the queue: an old "firing" cannot overtake the "resolved" queued after it', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'redeliver-tail', url: receiver.url, enabled: false });
    const t0 = Date.now() - 60_000;
    // the firing failed at its max age; the resolved and a later alert wait (the subscription is disabled)
    const firing = await putDelivery(hub, hook.id, { status: 'failed', attempts: 9, createdAt: new Date(t0), nextAttemptAt: null, body: '{"status":"firing"}' });
    const resolved = await putDelivery(hub, hook.id, {
      status: 'pending', attempts: 0, createdAt: new Date(t0 + 1000), nextAttemptAt: new Date(t0 + 1000), body: '{"status":"resolved"}', eventType: 'badblock-cleared',
    });
    const later = await putDelivery(hub, hook.id, { status: 'pending', attempts: 0, createdAt: new Date(t0 + 2000), nextAttemptAt: new Date(t0 + 2000), body: '{"status":"firing2"}' });
    const redo = await api<WebhookDelivery>(hub, 'POST', `/api/v1/webhooks/${hook.id}/deliveries/${firing}/redeliver`);
    expect(redo.status, redo.raw).toBe(202);
    expect((await api(hub, 'PATCH', `/api/v1/webhooks/${hook.id}`, { enabled: true })).status).toBe(200);
    await until('all three arrived', () => receiver.received.length >= 3);
    expect(receiver.deliveryIds()).toEqual([resolved, later, firing]);
    // the same idempotency key: a receiver that saw the first attempt drops it
    expect(receiver.received[2]!.headers['idempotency-key']).toBe(firing);
    expect(receiver.received[2]!.body).toBe('{"status":"firing"}');
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });

  it('delivers the events of an agent report posted through /api/v1/agents/report', async () => {
    const receiver = await newReceiver();
    const hook = await createHook(hub, { name: 'from-agent', url: receiver.url, host_ids: ['host-report'] });
    const credential = await agentCredentialFor(hub, 'host-report');
    const event = badblockEvent('badblock-new', 32768);
    const report = reportOf(await fixtureInventory('two-dimm-all-modes'), { host_id: 'host-report', hostname: 'pmem-r', events: [event] });
    const res = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/report', headers: authed(credential), payload: report });
    expect(res.statusCode, res.body).toBe(200);
    await until('the report\'s event arrived', () => receiver.received.length >= 1);
    const body = JSON.parse(receiver.received[0]!.body);
    expect(body.event).toMatchObject({ id: event.id, type: 'badblock-new', host_id: 'host-report', hostname: 'pmem-r' });
    expect(verifySignature(hook.secret, String(receiver.received[0]!.headers['x-daxfleet-signature']), receiver.received[0]!.body).ok).toBe(true);
    await api(hub, 'DELETE', `/api/v1/webhooks/${hook.id}`);
  });
});

describe('webhooks across a hub restart', () => {
  it('pending deliveries survive the hub closing and are sent by the next hub on the same database', async () => {
    const receiver = new Receiver();
    await receiver.start();
    await receiver.stop();
    const hub1 = await withEnv(BACKOFF, () => startTestHub());
    const dataDir = path.dirname(hub1.databaseFile);
    try {
      const hook = await createHook(hub1, { name: 'restart', url: receiver.url });
      await ingestEvents(hub1, [badblockEvent('badblock-new', 1), badblockEvent('badblock-new', 9)]);
      await until('a failed attempt', async () => (await hub1.server.prisma.webhookAttempt.count()) >= 1);
      // close the server only (keep its database), like a hub stopped mid-outage
      await hub1.server.close();
      await receiver.start();

      const server2 = await withEnv(BACKOFF, () => buildServer({
        config: {
          role: 'hub', version: '0.0.0-test', databaseFile: hub1.databaseFile, migrationsDir: DEFAULT_MIGRATIONS_DIR,
          webDist: path.join(dataDir, 'no-web-dist'),
        },
      }));
      try {
        await server2.ready();
        await until('both deliveries arrived after the restart', () => new Set(receiver.deliveryIds()).size >= 2);
        const rows = await until('both delivered', async () => {
          const r = await server2.prisma.webhookDelivery.findMany({ where: { subscriptionId: hook.id } });
          return r.every((d) => d.status === 'delivered') ? r : undefined;
        });
        expect(new Set(receiver.deliveryIds())).toEqual(new Set(rows.map((r) => r.id)));
      } finally {
        await server2.close();
      }
    } finally {
      await receiver.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a hub stops promptly while an attempt hangs, and the delivery stays pending', async () => {
    // a receiver that never answers
    const hanging = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', () => r()));
    const port = (hanging.address() as AddressInfo).port;
    const hub = await withEnv(BACKOFF, () => startTestHub());
    try {
      const hook = await createHook(hub, { name: 'hang', url: `http://127.0.0.1:${port}/` });
      let connected = false;
      hanging.on('request', () => { connected = true; });
      await ingestEvents(hub, [badblockEvent('badblock-new', 77)]);
      await until('the attempt reached the receiver', () => connected);
      const prisma = hub.server.prisma;
      const id = (await prisma.webhookDelivery.findFirstOrThrow({ where: { subscriptionId: hook.id } })).id;
      await hub.server.close();
      // read the file again (no hub: one would send it at once): the aborted attempt is logged, still pending
      const db = await connectPrisma(hub.databaseFile);
      try {
        const row = await db.webhookDelivery.findUniqueOrThrow({ where: { id }, include: { attemptLog: true } });
        expect(row.status).toBe('pending');
        expect(row.attemptLog.map((a) => a.error)).toEqual(['aborted: the hub is shutting down']);
      } finally {
        await db.$disconnect();
      }
    } finally {
      hanging.closeAllConnections();
      hanging.close();
      rmSync(path.dirname(hub.databaseFile), { recursive: true, force: true });
    }
  });
});
