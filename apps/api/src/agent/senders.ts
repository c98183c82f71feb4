/**
 * The two ways a report reaches the hub. Both go through the hub's POST /api/v1/agents/report route
 * (authentication with the agent's credential, validation, ingest), so role all exercises the same path as a
 * remote agent. The same two ways carry any other agent -> hub POST (recovery progress: hubPoster).
 */
import type { AgentReportAck, ApiError } from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ReportSender } from './agent.js';

export const REPORT_PATH = '/api/v1/agents/report';
const REQUEST_TIMEOUT_MS = 30_000;

/** The hub refused a request: its status and error body. */
export class HubRefusal extends Error {
  override name = 'HubRefusal';
  constructor(readonly statusCode: number, readonly code: string | undefined, message: string) {
    super(message);
  }
}

/** The hub answered 401 DAXFLEET_ERR_AUTH_REVOKED: this agent's credential will never work again. */
export class AgentRevokedError extends HubRefusal {
  override name = 'AgentRevokedError';
}

export function refusalOf(status: number, body: string): HubRefusal {
  try {
    const err = JSON.parse(body) as Partial<ApiError>;
    if (err.code && err.message) {
      const message = `HTTP ${status} ${err.code}: ${err.message}`;
      if (status === 401 && err.code === 'DAXFLEET_ERR_AUTH_REVOKED') return new AgentRevokedError(status, err.code, message);
      return new HubRefusal(status, err.code, message);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return new HubRefusal(status, undefined, `HTTP ${status}: ${body.slice(0, 200)}`);
}

/** POSTs JSON to the hub; throws "hub unreachable: ECONNREFUSED" style errors, or the hub's refusal. */
export async function postToHub<T>(hubUrl: string, pathname: string, body: unknown, credential?: string): Promise<T> {
  const url = new URL(pathname, hubUrl).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(credential !== undefined ? { authorization: `Bearer ${credential}` } : {}),
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND, a TLS error) in `cause`
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`hub unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (!res.ok) throw refusalOf(res.status, text);
  return JSON.parse(text) as T;
}

/** `credential` is read at every report, so a rotated credential is used from the next report on. */
export function httpSender(hubUrl: string, credential: () => string): ReportSender {
  return async (report) => postToHub<AgentReportAck>(hubUrl, REPORT_PATH, report, credential());
}

export function inProcessSender(hub: FastifyInstance, credential: () => string): ReportSender {
  return async (report) => {
    const res = await hub.inject({
      method: 'POST', url: REPORT_PATH, payload: report, headers: { authorization: `Bearer ${credential()}` },
    });
    if (res.statusCode !== 200) throw refusalOf(res.statusCode, res.body);
    return res.json<AgentReportAck>();
  };
}

/** POSTs a JSON body to one of the hub's agent routes with the agent's credential; resolves with the 200 answer. */
export type HubPoster = <T>(pathname: string, body: unknown) => Promise<T>;

/** Over HTTP (role agent), or through the local hub's router (role all): the same routes and checks either way. */
export function hubPoster(to: { hubUrl: string } | { hub: FastifyInstance }, credential: () => string): HubPoster {
  if ('hubUrl' in to) return async <T>(pathname: string, body: unknown) => postToHub<T>(to.hubUrl, pathname, body, credential());
  return async <T>(pathname: string, body: unknown) => {
    const res = await to.hub.inject({
      method: 'POST', url: pathname, payload: body as object, headers: { authorization: `Bearer ${credential()}` },
    });
    if (res.statusCode !== 200) throw refusalOf(res.statusCode, res.body);
    return res.json<T>();
  };
}
