/**
 * server.ts closes a socket idle for 60 s (connectionTimeout), and a request whose answer takes longer is idle on
 * its socket meanwhile: its client would see the connection drop. Routes that wait for slow work (a DAX change runs
 * and is verified before the agent answers, up to 120 s; the hub waits for that answer) give their socket more time.
 */
import type { FastifyRequest } from 'fastify';

/** Lets this request's socket stay idle up to `ms` while its answer is worked out; injected requests have none. */
export function allowSlowAnswer(request: FastifyRequest, ms: number): void {
  const socket = request.raw.socket as { setTimeout?: unknown } | undefined;
  if (socket !== undefined && typeof socket.setTimeout === 'function') request.raw.socket.setTimeout(ms);
}
