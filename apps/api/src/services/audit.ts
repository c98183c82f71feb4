/**
 * The audit log: append-only entries of who did what, from where, on which target, when, and the result.
 * Written by the audit hook (plugins/app/audit.ts) for every mutating request and login attempt; read newest
 * first, filtered, paged by id (`before`).
 */
import type { AuditEntry } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { AuditEntry as AuditEntryRow, Prisma } from '../../generated/prisma/index.js';

export type AuditRecord = Omit<AuditEntry, 'id' | 'at'> & { at?: Date };

const MAX_FIELD = 512;
const clip = (value: string): string => (value.length > MAX_FIELD ? `${value.slice(0, MAX_FIELD - 1)}…` : value);

/** `prisma` may be a transaction client: entries a hub service writes with the change they describe. */
export async function recordAudit(prisma: Pick<PrismaClient, 'auditEntry'>, entry: AuditRecord): Promise<void> {
  await prisma.auditEntry.create({
    data: {
      at: entry.at ?? new Date(),
      actorKind: entry.actor_kind,
      actor: clip(entry.actor),
      sourceIp: clip(entry.source_ip),
      action: clip(entry.action),
      target: entry.target === undefined ? null : clip(entry.target),
      result: entry.result,
      statusCode: entry.status_code,
      detail: entry.detail === undefined ? null : clip(entry.detail),
    },
  });
}

export function toAuditEntry(row: AuditEntryRow): AuditEntry {
  const entry: AuditEntry = {
    id: row.id,
    at: row.at.toISOString(),
    actor_kind: row.actorKind as AuditEntry['actor_kind'],
    actor: row.actor,
    source_ip: row.sourceIp,
    action: row.action,
    result: row.result === 'success' ? 'success' : 'failure',
    status_code: row.statusCode,
  };
  if (row.target !== null) entry.target = row.target;
  if (row.detail !== null) entry.detail = row.detail;
  return entry;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  result?: 'success' | 'failure';
  /** inclusive */
  since?: Date;
  /** exclusive */
  until?: Date;
  limit: number;
  /** entries with a smaller id */
  before?: number;
}

/** Newest first; `next_before` is set when there may be more (pass it as `before`). */
export async function queryAudit(prisma: PrismaClient, filter: AuditFilter): Promise<{ entries: AuditEntry[]; next_before?: number }> {
  const where: Prisma.AuditEntryWhereInput = {};
  if (filter.actor !== undefined) where.actor = filter.actor;
  if (filter.action !== undefined) where.action = filter.action;
  if (filter.target !== undefined) where.target = filter.target;
  if (filter.result !== undefined) where.result = filter.result;
  if (filter.since !== undefined || filter.until !== undefined) {
    where.at = { ...(filter.since ? { gte: filter.since } : {}), ...(filter.until ? { lt: filter.until } : {}) };
  }
  if (filter.before !== undefined) where.id = { lt: filter.before };
  const rows = await prisma.auditEntry.findMany({ where, orderBy: { id: 'desc' }, take: filter.limit });
  const entries = rows.map(toAuditEntry);
  const last = entries[entries.length - 1];
  return last && entries.length === filter.limit ? { entries, next_before: last.id } : { entries };
}
