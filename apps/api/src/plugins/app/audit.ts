/**
 * The audit hook: every mutating request (POST, PUT, PATCH, DELETE) on an API route, login attempts included, is
 * recorded with who (the principal, or the username a login tried), from where, the action (the route's
 * `config.audit` name, else METHOD + route), the target (the route's params), the result and status, and on a
 * failure the error code. Written before the response leaves (onSend), so a client that got its answer finds the
 * entry. Routes with `audit: false` (agent reports, every few seconds per host) are not recorded. A failure to
 * write is logged and never changes the response.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { recordAudit, type AuditRecord } from '../../services/audit.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

declare module 'fastify' {
  interface FastifyRequest {
    /** set by routes: who an anonymous request claimed to be (the login username, the enrolling host) */
    auditActor: string | null;
    /** set by routes: a better target than the params (a username instead of a user id) */
    auditTarget: string | null;
  }
}

function actorOf(request: FastifyRequest): Pick<AuditRecord, 'actor_kind' | 'actor'> {
  const p = request.principal;
  if (!p) return { actor_kind: 'anonymous', actor: request.auditActor ?? '-' };
  if (p.kind === 'agent') return { actor_kind: 'agent', actor: p.host_id };
  return { actor_kind: p.kind, actor: p.name };
}

function defaultAction(method: string, url: string): string {
  return `${method} ${url.replace(/^\/api\/v1/, '')}`;
}

function targetOf(request: FastifyRequest): string | undefined {
  if (request.auditTarget !== null) return request.auditTarget;
  const params = request.params as Record<string, unknown> | undefined;
  if (!params || typeof params !== 'object') return undefined;
  const values = Object.values(params).filter((v) => v !== undefined).map(String);
  return values.length > 0 ? values.join('/') : undefined;
}

function errorCodeOf(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || payload.length > 64 * 1024) return undefined;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

export default fp(async (fastify) => {
  fastify.decorateRequest('auditActor', null);
  fastify.decorateRequest('auditTarget', null);
  fastify.addHook('onSend', async (request, reply, payload) => {
    if (!MUTATING.has(request.method)) return payload;
    const url = request.routeOptions.url;
    const audit = request.routeOptions.config.audit;
    if (url === undefined || !url.startsWith('/api/') || audit === false) return payload;
    const failed = reply.statusCode >= 400;
    const entry: AuditRecord = {
      ...actorOf(request),
      source_ip: request.ip,
      action: audit ?? defaultAction(request.method, url),
      result: failed ? 'failure' : 'success',
      status_code: reply.statusCode,
    };
    const target = targetOf(request);
    if (target !== undefined) entry.target = target;
    const code = failed ? errorCodeOf(payload) : undefined;
    if (code !== undefined) entry.detail = code;
    try {
      await recordAudit(fastify.prisma, entry);
    } catch (err) {
      request.log.error({ err, action: entry.action }, 'could not write the audit entry');
    }
    return payload;
  });
}, { name: 'audit', dependencies: ['auth', 'prisma'] });
