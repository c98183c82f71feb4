/**
 * GET /api/v1/media/stream over real HTTP (the hub listens on a port; the test reads the byte stream as a browser's
 * EventSource would): an `ingested` event after a report with events, bearer and session-cookie access, the 406
 * without Accept: text/event-stream, the listener removed when the client goes away, and server close ending an
 * open stream instead of waiting for it.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApiError, Inventory, MediaEvent, StoredEvent } from '@daxfleet/shared';
import { createApiToken, revokeApiToken } from '../src/services/api-tokens.js';
import {
  agentCredentialFor, authed, fixtureInventory, loginCookie, reportOf, startTestHub, withEnv, type TestHub,
} from './helpers.js';

let base: Inventory;
let hub: TestHub;
let url: string;

beforeAll(async () => {
  base = await fixtureInventory('two-dimm-all-modes');
});
beforeEach(async () => {
  hub = await startTestHub();
  url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
});
afterEach(async () => {
  await hub.close();
});

interface SseMessage { event: string; data: string }

/** An open stream: messages parsed as EventSource does (comments kept apart). */
class SseReader {
  private buffer = '';
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  retry: number | undefined;
  ended = false;
  private waiters = new Set<() => void>();

  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { done, value } = await this.reader.read();
        if (done) break;
        this.buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
          const block = this.buffer.slice(0, cut);
          this.buffer = this.buffer.slice(cut + 2);
          const msg: SseMessage = { event: 'message', data: '' };
          let isMessage = false;
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
            else if (line.startsWith('retry: ')) this.retry = Number(line.slice(7));
            else if (line.startsWith('event: ')) { msg.event = line.slice(7); isMessage = true; }
            else if (line.startsWith('data: ')) { msg.data += line.slice(6); isMessage = true; }
          }
          if (isMessage) this.messages.push(msg);
        }
        for (const w of this.waiters) w();
      }
    } catch {
      // the connection was torn down: counts as the end
    }
    this.ended = true;
    for (const w of this.waiters) w();
  }

  /** resolves when the predicate holds (checked on every chunk); the test's timeout bounds the wait */
  until(predicate: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (predicate()) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

async function openStream(headers: Record<string, string>): Promise<{ res: Response; sse: SseReader }> {
  const res = await fetch(`${url}/api/v1/media/stream`, { headers: { accept: 'text/event-stream', ...headers } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  if (!res.body) throw new Error('no body');
  const sse = new SseReader(res.body.getReader());
  // the stream is registered once its first bytes (retry hint + comment) arrived
  await sse.until(() => sse.retry !== undefined);
  return { res, sse };
}

function badblockNew(offset: number): MediaEvent {
  return {
    id: `sse-${offset}-${Math.random().toString(36).slice(2, 10)}`,
    type: 'badblock-new', detected_at: new Date().toISOString(), detected_by: 'notify',
    summary: `new bad range region0+${offset} (8 sectors)`,
    range: { region: 'region0', region_offset: offset, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region' },
  };
}

async function report(events: MediaEvent[], hostId = 'host-a'): Promise<void> {
  const res = await fetch(`${url}/api/v1/agents/report`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authed(await agentCredentialFor(hub, hostId)) },
    body: JSON.stringify(reportOf(base, { host_id: hostId, events })),
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

describe('media stream (Server-Sent Events)', () => {
  it('sends an ingested event with the stored events after a report, to bearer and cookie clients alike', async () => {
    const token = await openStream(authed(await hub.tokenFor('viewer')));
    const cookie = await openStream({ cookie: await loginCookie(hub) });
    expect(token.sse.retry).toBeGreaterThan(0);
    const e = badblockNew(65536);
    await report([e]);
    for (const { sse } of [token, cookie]) {
      await sse.until(() => sse.messages.some((m) => m.event === 'ingested'));
      const ingested = sse.messages.filter((m) => m.event === 'ingested').map((m) => JSON.parse(m.data) as {
        host_id: string; inventory_changed: boolean; events: StoredEvent[];
      });
      expect(ingested).toHaveLength(1);
      expect(ingested[0]).toMatchObject({ host_id: 'host-a', inventory_changed: true });
      expect(ingested[0]?.events).toEqual([{ ...e, host_id: 'host-a', hostname: 'pmem-a', received_at: expect.any(String) }]);
    }
    // a re-sent event is acknowledged, not announced again; an unchanged report without events is not announced
    await report([e]);
    await report([]);
    const f = badblockNew(131072);
    await report([f]);
    await token.sse.until(() => token.sse.messages.length >= 2);
    expect(token.sse.messages.map((m) => (JSON.parse(m.data) as { events: StoredEvent[] }).events.map((x) => x.id)))
      .toEqual([[e.id], [f.id]]);
    await token.sse.cancel();
    await cookie.sse.cancel();
  });

  it('forwards delivery notices', async () => {
    const { sse } = await openStream(authed(hub.adminToken));
    hub.server.mediaBus.emit('delivery', { id: 'd-1', subscription_id: 's-1', status: 'delivered' });
    await sse.until(() => sse.messages.length > 0);
    expect(sse.messages).toEqual([{ event: 'delivery', data: JSON.stringify({ id: 'd-1', subscription_id: 's-1', status: 'delivered' }) }]);
    await sse.cancel();
  });

  it('removes its listeners when the client goes away', async () => {
    const bus = hub.server.mediaBus;
    // other parts of the hub listen too (the webhook dispatcher)
    const before = bus.listenerCount('ingested');
    const deliveryBefore = bus.listenerCount('delivery');
    const { sse } = await openStream(authed(hub.adminToken));
    expect(bus.listenerCount('ingested')).toBe(before + 1);
    expect(bus.listenerCount('delivery')).toBe(deliveryBefore + 1);
    await sse.cancel();
    // the server sees the close asynchronously: wait for it through the bus itself
    while (bus.listenerCount('ingested') !== before) await new Promise((r) => setTimeout(r, 10));
    expect(bus.listenerCount('delivery')).toBe(deliveryBefore);
  });

  it('refuses a request that does not accept text/event-stream, and unauthenticated ones', async () => {
    const res = await fetch(`${url}/api/v1/media/stream`, { headers: authed(hub.adminToken) });
    expect(res.status).toBe(406);
    const body = await res.json() as ApiError;
    expect(body.code).toBe('DAXFLEET_ERR_REQUEST_NOT_ACCEPTABLE');
    expect(body.message).toMatch(/Accept: text\/event-stream/);
    const anonymous = await fetch(`${url}/api/v1/media/stream`, { headers: { accept: 'text/event-stream' } });
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ApiError).code).toBe('DAXFLEET_ERR_AUTH_REQUIRED');
  });

  it('server close ends open streams instead of waiting for them', async () => {
    const { sse } = await openStream(authed(hub.adminToken));
    // close() would wait for the stream forever (and the test time out) if the stream were not ended
    await hub.server.close();
    await sse.until(() => sse.ended);
    expect(sse.ended).toBe(true);
  });

  it('re-checks the credential at every heartbeat: logout and token revocation end open streams', async () => {
    // a hub whose heartbeat is 100 ms instead of 15 s
    await hub.close();
    hub = await withEnv({ DAXFLEET_SSE_HEARTBEAT_MS: '100' }, () => startTestHub());
    url = await hub.server.listen({ host: '127.0.0.1', port: 0 });

    const cookie = await loginCookie(hub);
    const bySession = await openStream({ cookie });
    const created = await createApiToken(hub.server.prisma, { name: 'sse', scope: 'viewer', createdBy: 'test' });
    const byToken = await openStream(authed(created.token));
    for (const { sse } of [bySession, byToken]) await sse.until(() => sse.comments.some((c) => c.startsWith('heartbeat')));
    expect(bySession.sse.ended || byToken.sse.ended).toBe(false);

    const logout = await fetch(`${url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie } });
    expect(logout.status).toBe(204);
    await bySession.sse.until(() => bySession.sse.ended);
    expect(byToken.sse.ended).toBe(false);
    await revokeApiToken(hub.server.prisma, created.id);
    await byToken.sse.until(() => byToken.sse.ended);
  });
});
