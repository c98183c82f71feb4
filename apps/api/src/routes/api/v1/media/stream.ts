/**
 * GET /api/v1/media/stream (viewer): Server-Sent Events for the UI, so it hears of new bad ranges within a second
 * instead of polling. `event: ingested` after every report that stored something (a new inventory version,
 * events, health samples), `event: delivery` when a webhook delivery changes state, `event: recovery` when a
 * recovery plan is created or changes state or progress (the UI refetches the plan), `event: dax` when a DAX change
 * is planned or changes status, a comment heartbeat every
 * 15 s (keeps proxies and the hub's own idle-socket timeout from closing the stream) and a `retry:` hint. Nothing
 * is replayed: a client that reconnects re-reads the REST lists.
 *
 * Long-lived GETs and the auth plugin: the credential (session cookie from EventSource, which sends no headers,
 * or a bearer token) is checked once when the stream opens, like any request; since a stream outlives sessions and
 * tokens, it is checked again at every heartbeat and the stream ends once it no longer holds (logout, expiry,
 * revocation, disabled user): EventSource reconnects and gets the 401. The audit hook records only mutating
 * requests, so an open stream writes nothing there. Server close (SIGTERM): Fastify closes only idle connections
 * and waits for requests in flight, and a stream never finishes by itself, so a preClose hook ends every open
 * stream first. Requires `Accept: text/event-stream` (EventSource sends it): anything else gets a 406 instead of a
 * response that never ends.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApiError } from '../../../../errors.js';
import { readCookie } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import { verifyApiToken } from '../../../../services/api-tokens.js';
import type { IngestedNotice, MediaBusEvents } from '../../../../services/media-bus.js';
import { findSession, SESSION_COOKIE } from '../../../../services/sessions.js';

/** the heartbeat (and credential re-check) period; DAXFLEET_SSE_HEARTBEAT_MS shortens it for tests */
export const DEFAULT_HEARTBEAT_MS = 15_000;
/** what EventSource waits before reconnecting */
const RETRY_MS = 3_000;
/** a client that reads slower than this much backlog is cut off (it reconnects and re-reads the lists) */
const MAX_BACKLOG_BYTES = 1024 * 1024;

function acceptsEventStream(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.split(';')[0]?.trim().toLowerCase() === 'text/event-stream');
}

/** The request's credential still admits it (same order as the auth plugin: bearer first, then the cookie). */
async function stillAuthorized(request: FastifyRequest): Promise<boolean> {
  const prisma = request.server.prisma;
  const bearer = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return (await verifyApiToken(prisma, bearer)).ok;
  const secret = readCookie(request.headers.cookie, SESSION_COOKIE);
  return secret !== undefined && (await findSession(prisma, secret)).ok;
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

const mediaStreamRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  /** every open stream's end(), for server close */
  const open = new Set<() => void>();
  const heartbeatMs = Number(process.env['DAXFLEET_SSE_HEARTBEAT_MS']) || DEFAULT_HEARTBEAT_MS;
  fastify.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  fastify.get('/stream', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['media'],
      summary: 'Live notices for the UI (Server-Sent Events)',
      description: 'text/event-stream; send Accept: text/event-stream (EventSource does; with curl: -N -H ' +
        '"Accept: text/event-stream"). Works with the session cookie and with Authorization: Bearer. Events: ' +
        '`ingested` {host_id, inventory_changed, inventory_version, events} after a report stored something; ' +
        '`delivery` {id, subscription_id, status} when a webhook delivery changes state; `recovery` {id, host_id, ' +
        'status, seq} when a recovery plan is created or its status or progress changes (GET ' +
        '/api/v1/recovery/plans/{id} for the rest); `dax` {id, host_id, kind, status} when a DAX change is planned ' +
        'or changes status (GET /api/v1/dax/changes/{id} for the rest); a `:` comment every ' +
        `${heartbeatMs / 1000} s; retry: ${RETRY_MS}. The stream ends when the credential stops being valid.`,
      querystring: closed(Type.Object({})),
      response: {
        200: {
          description: 'an endless text/event-stream',
          content: { 'text/event-stream': { schema: Type.String() } },
        },
        ...errorResponses(401, 403, 406, 500),
      },
    },
  }, async (request, reply) => {
    if (!acceptsEventStream(request.headers.accept)) {
      throw new ApiError('DAXFLEET_ERR_REQUEST_NOT_ACCEPTABLE', 'this route streams Server-Sent Events: send ' +
        '"Accept: text/event-stream" (EventSource does; with curl add -N -H "Accept: text/event-stream")');
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${RETRY_MS}\n: connected\n\n`);

    const bus = fastify.mediaBus;
    let ended = false;
    const send = (chunk: string): void => {
      if (ended) return;
      if (res.writableLength > MAX_BACKLOG_BYTES) {
        request.log.warn('SSE client reads too slowly; ending its stream (it reconnects)');
        end();
        return;
      }
      res.write(chunk);
    };
    const onIngested = (notice: IngestedNotice): void => {
      send(frame('ingested', {
        host_id: notice.host_id, inventory_changed: notice.inventory_changed,
        inventory_version: notice.inventory_version, events: notice.events,
      }));
    };
    const onDelivery = (...[delivery]: MediaBusEvents['delivery']): void => {
      send(frame('delivery', delivery));
    };
    const onRecovery = (...[plan]: MediaBusEvents['recovery']): void => {
      send(frame('recovery', { id: plan.id, host_id: plan.host_id, status: plan.status, seq: plan.seq }));
    };
    const onDax = (...[change]: MediaBusEvents['dax']): void => {
      send(frame('dax', { id: change.id, host_id: change.host_id, kind: change.kind, status: change.status }));
    };
    const heartbeat = setInterval(() => {
      stillAuthorized(request).then((ok) => {
        if (ok) send(`: heartbeat ${new Date().toISOString()}\n\n`);
        else end();
      }, (err: unknown) => {
        request.log.error({ err }, 'SSE credential re-check failed; ending the stream');
        end();
      });
    }, heartbeatMs);
    function end(): void {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      bus.off('ingested', onIngested);
      bus.off('delivery', onDelivery);
      bus.off('recovery', onRecovery);
      bus.off('dax', onDax);
      open.delete(end);
      if (!res.writableEnded) res.end();
    }
    bus.on('ingested', onIngested);
    bus.on('delivery', onDelivery);
    bus.on('recovery', onRecovery);
    bus.on('dax', onDax);
    open.add(end);
    // the client went away (or the socket failed): drop the listeners
    res.on('close', end);
    res.on('error', end);
    return reply;
  });
};

export default mediaStreamRoutes;
