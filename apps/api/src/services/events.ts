/**
 * Media events and DIMM health samples: stored inside the ingest transaction (services/ingest.ts), read by the
 * REST routes. Events carry the agent's stable ids and come from its durable outbox, so the same event may arrive
 * again (the hub crashed after committing but before answering, the answer was lost): an id already stored is
 * skipped, not applied to the ledger again, and acknowledged all the same. Health samples have no id; a sample of
 * the same DIMM at the same sampled_at is the same sample, so a re-sent report does not store it twice.
 */
import type {
  AgentReport, EventPage, HealthHistory, HealthSample, MediaEvent, MediaEventType, StoredEvent, StoredHealthSample,
} from '@daxfleet/shared';
import { Prisma, type PrismaClient } from '../../generated/prisma/index.js';
import { applyBadblockEvent, checkDimmName, decodeNumericCursor, encodeCursor, timeWindow, type LedgerRef } from './ledger.js';
import { enqueueDeliveries } from './webhooks/outbox.js';

export interface StoredMedia {
  /** every distinct event id of the report: stored now or before (the agent drops them from its outbox) */
  acked: string[];
  /** the events this report stored for the first time, in report order */
  stored: StoredEvent[];
  samples: number;
  /** webhook deliveries written in the same transaction */
  deliveries: number;
}

/**
 * Stores a report's events and health samples inside the ingest transaction `tx`: new events are applied to the
 * ledger (services/ledger.ts) in report order (the outbox sends them oldest first, so new -> cleared -> new of one
 * range gives two rows), then written with their ledger row, then handed to the webhook outbox in the same
 * transaction. `previousLastSeen`: the host's last_seen before this report.
 */
export async function storeMedia(
  tx: Prisma.TransactionClient, report: AgentReport, receivedAt: Date, previousLastSeen: Date | null,
): Promise<StoredMedia> {
  const events = report.events ?? [];
  const hostId = report.host_id;
  const acked: string[] = [];
  const fresh: MediaEvent[] = [];
  const seen = new Set<string>();
  for (const event of events) {
    if (seen.has(event.id)) continue;
    seen.add(event.id);
    acked.push(event.id);
    fresh.push(event);
  }
  const already = acked.length === 0 ? new Set<string>() : new Set((await tx.mediaEvent.findMany({
    where: { id: { in: acked } }, select: { id: true },
  })).map((e) => e.id));

  const rows: Prisma.MediaEventCreateManyInput[] = [];
  const items: Array<{ event: MediaEvent; receivedAt: Date; ledger?: LedgerRef }> = [];
  const stored: StoredEvent[] = [];
  for (const event of fresh) {
    if (already.has(event.id)) continue;
    const ledger = await applyBadblockEvent(tx, hostId, event, receivedAt, previousLastSeen);
    rows.push({
      id: event.id,
      hostId,
      type: event.type,
      detectedAt: new Date(event.detected_at),
      receivedAt,
      detectedBy: event.detected_by,
      dimm: event.dimm ?? null,
      ledgerId: ledger?.id ?? null,
      payload: JSON.stringify(event),
    });
    items.push({ event, receivedAt, ...(ledger ? { ledger } : {}) });
    stored.push({ ...event, host_id: hostId, hostname: report.hostname, received_at: receivedAt.toISOString() });
  }
  if (rows.length > 0) await tx.mediaEvent.createMany({ data: rows });

  const samples = await storeHealthSamples(tx, hostId, report.health_samples ?? []);
  const deliveries = items.length > 0
    ? await enqueueDeliveries(tx, { hostId, hostname: report.hostname, items })
    : 0;
  return { acked, stored, samples, deliveries };
}

async function storeHealthSamples(tx: Prisma.TransactionClient, hostId: string, samples: HealthSample[]): Promise<number> {
  if (samples.length === 0) return 0;
  const key = (dimm: string, at: Date): string => `${dimm}|${at.getTime()}`;
  const times = [...new Set(samples.map((s) => Date.parse(s.sampled_at)))].map((ms) => new Date(ms));
  const have = new Set((await tx.healthSample.findMany({
    where: { hostId, sampledAt: { in: times } }, select: { dimm: true, sampledAt: true },
  })).map((s) => key(s.dimm, s.sampledAt)));
  const data: Prisma.HealthSampleCreateManyInput[] = [];
  for (const s of samples) {
    const at = new Date(s.sampled_at);
    if (have.has(key(s.dimm, at))) continue;
    have.add(key(s.dimm, at));
    data.push({ hostId, dimm: s.dimm, dimmId: s.dimm_id ?? null, sampledAt: at, values: JSON.stringify(s.values) });
  }
  if (data.length > 0) await tx.healthSample.createMany({ data });
  return data.length;
}

// ---------------------------------------------------------------------------------------------------------------
// Read side

export interface EventFilter {
  host?: string;
  type?: MediaEventType;
  /** received at or after */
  since?: string;
  limit: number;
  cursor?: string;
}

/**
 * Stored events, newest first: in the order the hub stored them (SQLite's rowid, which follows insertion; within
 * one report that is the agent's order, oldest first, so reversed here). The cursor is the last row's rowid.
 */
export async function queryEvents(prisma: PrismaClient, filter: EventFilter): Promise<EventPage> {
  const conditions: Prisma.Sql[] = [];
  if (filter.host !== undefined) conditions.push(Prisma.sql`e.host_id = ${filter.host}`);
  if (filter.type !== undefined) conditions.push(Prisma.sql`e.type = ${filter.type}`);
  const { since } = timeWindow(filter.since, undefined);
  if (since) conditions.push(Prisma.sql`e.received_at >= ${since}`);
  if (filter.cursor !== undefined) {
    const [seq] = decodeNumericCursor(filter.cursor, 1) as [number];
    conditions.push(Prisma.sql`e.rowid < ${seq}`);
  }
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
  const rows = await prisma.$queryRaw<Array<{ seq: number | bigint; host_id: string; hostname: string | null; received_at: Date | string; payload: string }>>`
    SELECT e.rowid AS seq, e.host_id, h.hostname, e.received_at, e.payload
    FROM media_events e LEFT JOIN hosts h ON h.id = e.host_id
    ${where}
    ORDER BY e.rowid DESC LIMIT ${filter.limit + 1}`;
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  const events = page.map((r): StoredEvent => ({
    ...(JSON.parse(r.payload) as MediaEvent),
    host_id: r.host_id,
    hostname: r.hostname ?? r.host_id,
    received_at: new Date(r.received_at).toISOString(),
  }));
  const last = page[page.length - 1];
  return { events, ...(more && last ? { next_cursor: encodeCursor([Number(last.seq)]) } : {}) };
}

/** The most samples one health request answers; a longer window answers its newest samples (truncated: true). */
export const HEALTH_SAMPLE_CAP = 5000;

export interface HealthFilter {
  dimm?: string;
  since?: string;
  until?: string;
}

/** A host's DIMM health samples in a window, oldest first, at most HEALTH_SAMPLE_CAP (the newest of the window). */
export async function queryHealth(prisma: PrismaClient, hostId: string, filter: HealthFilter): Promise<HealthHistory> {
  const window = timeWindow(filter.since, filter.until);
  const where: Prisma.HealthSampleWhereInput = { hostId };
  if (filter.dimm !== undefined) where.dimm = checkDimmName(filter.dimm);
  if (window.since || window.until) {
    where.sampledAt = { ...(window.since ? { gte: window.since } : {}), ...(window.until ? { lt: window.until } : {}) };
  }
  const rows = await prisma.healthSample.findMany({
    where, orderBy: [{ sampledAt: 'desc' }, { id: 'desc' }], take: HEALTH_SAMPLE_CAP + 1,
  });
  const truncated = rows.length > HEALTH_SAMPLE_CAP;
  const samples = (truncated ? rows.slice(0, HEALTH_SAMPLE_CAP) : rows).reverse().map((r): StoredHealthSample => ({
    host_id: r.hostId,
    dimm: r.dimm,
    ...(r.dimmId !== null ? { dimm_id: r.dimmId } : {}),
    sampled_at: r.sampledAt.toISOString(),
    values: JSON.parse(r.values) as HealthSample['values'],
  }));
  return { samples, ...(truncated ? { truncated: true } : {}) };
}
