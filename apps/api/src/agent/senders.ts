/**
 * The two ways a report reaches the hub. Both go through the hub's POST /api/v1/agents/report route
 * (validation, ingest, and later authentication), so role all exercises the same path as a remote agent.
 */
import type { AgentReportAck, ApiError } from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import type { ReportSender } from './agent.js';

export const REPORT_PATH = '/api/v1/agents/report';
const REQUEST_TIMEOUT_MS = 30_000;

function describeRefusal(status: number, body: string): string {
  try {
    const err = JSON.parse(body) as Partial<ApiError>;
    if (err.code && err.message) return `HTTP ${status} ${err.code}: ${err.message}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `HTTP ${status}: ${body.slice(0, 200)}`;
}

export function httpSender(hubUrl: string): ReportSender {
  const url = new URL(REPORT_PATH, hubUrl).toString();
  return async (report) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(report),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      // fetch wraps the socket error (ECONNREFUSED, ENOTFOUND) in `cause`
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`hub unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new Error(describeRefusal(res.status, text));
    return JSON.parse(text) as AgentReportAck;
  };
}

export function inProcessSender(hub: FastifyInstance): ReportSender {
  return async (report) => {
    const res = await hub.inject({ method: 'POST', url: REPORT_PATH, payload: report });
    if (res.statusCode !== 200) throw new Error(describeRefusal(res.statusCode, res.body));
    return res.json<AgentReportAck>();
  };
}
