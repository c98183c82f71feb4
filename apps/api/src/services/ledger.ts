/**
 * The bad-block ledger: one row per bad range of a host (its region and region-relative sectors) from the
 * badblock-new event that opened it to the badblock-cleared event that closed it. Written only inside the ingest
 * transaction (services/ingest.ts), from events the agent's outbox delivers at least once: applying is idempotent
 * because ingest applies an event only when it stores it for the first time, and a range that is already open
 * (an agent reinstalled with an empty outbox raises it again under a new event id) stays the one open row. The
 * partial unique index bad_blocks_open_range_key (at most one open row per host and range) backs this up.
 *
 * last_seen: the stored value of an OPEN row is not bumped by every report (that would put a third statement
 * into the steady-state fast path of every host, every interval). Instead an open range is, by definition, still
 * listed by the host's latest report, so reads answer the host's last_seen for open rows. When a range is
 * cleared, its row's last_seen is frozen at the host's last report before the one carrying the clear (the last
 * report that still listed it), or the row's own time when it was opened and cleared by the same report.
 *
 * files (issue 6): an OPEN row carries the files and metadata its range hits, as the host's agent last mapped
 * them (services/range-files.ts, keyed by host and range like this table); absent when the range is under no
 * filesystem the agent maps. A cleared row carries none.
 */
import type { BadRange, DetectedBy, LedgerEntry, LedgerPage, MediaEvent } from '@daxfleet/shared';
import type { Prisma, PrismaClient } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';
import { rangeFilesOf, rangeRefKey } from './range-files.js';
import type { LedgerRef } from './webhooks/formats.js';

/** The ledger row an applied badblock event opened, found open, or cleared (media_events.ledger_id, webhook bodies). */
export type { LedgerRef };

function openRowWhere(hostId: string, range: BadRange): Prisma.BadBlockWhereInput {
  return { hostId, region: range.region, regionOffset: range.region_offset, length: range.length, clearedAt: null };
}

/**
 * Applies one newly stored badblock-new / badblock-cleared event to the ledger, inside the ingest transaction.
 * `previousLastSeen` is the host's last_seen before this report (null for its first report). Returns the row the
 * event belongs to, or undefined when it has none (not a badblock event, no range, or a clear of a range that is
 * not open: nothing to close).
 */
export async function applyBadblockEvent(
  tx: Prisma.TransactionClient, hostId: string, event: MediaEvent, receivedAt: Date, previousLastSeen: Date | null,
): Promise<LedgerRef | undefined> {
  const range = event.range;
  if (!range || (event.type !== 'badblock-new' && event.type !== 'badblock-cleared')) return undefined;
  const select = { id: true, firstSeen: true, clearedAt: true, lastSeen: true } as const;
  const open = await tx.badBlock.findFirst({ where: openRowWhere(hostId, range), select });
  if (event.type === 'badblock-new') {
    if (open) return { id: open.id, firstSeen: open.firstSeen, clearedAt: null };
    return tx.badBlock.create({
      data: {
        hostId,
        region: range.region,
        regionOffset: range.region_offset,
        length: range.length,
        range: JSON.stringify(range),
        dimms: JSON.stringify(range.dimms.map((d) => d.dimm)),
        firstSeen: new Date(event.detected_at),
        lastSeen: receivedAt,
        foundBy: event.detected_by,
        newEventId: event.id,
      },
      select: { id: true, firstSeen: true, clearedAt: true },
    });
  }
  if (!open) return undefined;
  const lastSeen = previousLastSeen && previousLastSeen > open.lastSeen ? previousLastSeen : open.lastSeen;
  return tx.badBlock.update({
    where: { id: open.id },
    data: { clearedAt: new Date(event.detected_at), clearedBy: event.detected_by, clearedEventId: event.id, lastSeen },
    select: { id: true, firstSeen: true, clearedAt: true },
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Keyset cursors: opaque to clients (base64url of the sort key of the last row of the page)

export function encodeCursor(parts: Array<string | number>): string {
  return Buffer.from(parts.join('|')).toString('base64url');
}

/** Parses a cursor made by encodeCursor with `count` numeric parts, or answers 400 saying what to do. */
export function decodeNumericCursor(cursor: string, count: number): number[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const numbers = parts.map((p) => (/^\d{1,16}$/.test(p) ? Number(p) : NaN));
  if (parts.length !== count || numbers.some((n) => !Number.isSafeInteger(n))) {
    throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', `querystring/cursor "${cursor.slice(0, 64)}" is not a cursor ` +
      'this hub made: pass next_cursor of the previous page unchanged, or leave cursor out for the first page');
  }
  return numbers;
}

/** since/until as dates, refusing an empty window with a 400 that says which way round they go. */
export function timeWindow(since: string | undefined, until: string | undefined): { since?: Date; until?: Date } {
  const out: { since?: Date; until?: Date } = {};
  if (since !== undefined) out.since = new Date(since);
  if (until !== undefined) out.until = new Date(until);
  if (out.since && out.until && out.since.getTime() >= out.until.getTime()) {
    throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', `querystring/since (${since}) must be before ` +
      `querystring/until (${until}): since is inclusive, until exclusive`);
  }
  return out;
}

/** DIMM names as the kernel gives them (nmem0): checked so the JSON LIKE filter cannot be widened by % or _ */
const DIMM_NAME = /^[A-Za-z0-9.:-]{1,64}$/;

export function checkDimmName(dimm: string): string {
  if (!DIMM_NAME.test(dimm)) {
    throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', `querystring/dimm "${dimm.slice(0, 64)}" is not a DIMM ` +
      'name: pass the kernel name of a DIMM, such as nmem0 (letters, digits, ".", ":" and "-")');
  }
  return dimm;
}

// ---------------------------------------------------------------------------------------------------------------
// Read side

export interface LedgerFilter {
  host?: string;
  state?: 'open' | 'cleared';
  dimm?: string;
  since?: string;
  until?: string;
  limit: number;
  cursor?: string;
}

/**
 * A page of the ledger, newest first (first_seen, then id, both descending), with the open ranges and sectors
 * that match the whole filter, ignoring paging (none when the filter asks for cleared ranges).
 */
export async function queryLedger(prisma: PrismaClient, filter: LedgerFilter): Promise<LedgerPage> {
  const window = timeWindow(filter.since, filter.until);
  const where: Prisma.BadBlockWhereInput = {};
  if (filter.host !== undefined) where.hostId = filter.host;
  if (filter.dimm !== undefined) where.dimms = { contains: `"${checkDimmName(filter.dimm)}"` };
  if (window.since || window.until) {
    where.firstSeen = { ...(window.since ? { gte: window.since } : {}), ...(window.until ? { lt: window.until } : {}) };
  }
  const openWhere: Prisma.BadBlockWhereInput = { ...where, clearedAt: null };
  const pageWhere: Prisma.BadBlockWhereInput = { ...where };
  if (filter.state === 'open') pageWhere.clearedAt = null;
  if (filter.state === 'cleared') pageWhere.clearedAt = { not: null };
  if (filter.cursor !== undefined) {
    const [ms, id] = decodeNumericCursor(filter.cursor, 2) as [number, number];
    const at = new Date(ms);
    pageWhere.AND = [{ OR: [{ firstSeen: { lt: at } }, { firstSeen: at, id: { lt: id } }] }];
  }

  const [rows, open] = await Promise.all([
    prisma.badBlock.findMany({
      where: pageWhere, orderBy: [{ firstSeen: 'desc' }, { id: 'desc' }], take: filter.limit + 1,
    }),
    filter.state === 'cleared'
      ? { _count: { _all: 0 }, _sum: { length: 0 } }
      : prisma.badBlock.aggregate({ where: openWhere, _count: { _all: true }, _sum: { length: true } }),
  ]);
  const more = rows.length > filter.limit;
  const page = more ? rows.slice(0, filter.limit) : rows;
  const [hostRows, files] = await Promise.all([
    prisma.host.findMany({
      where: { id: { in: [...new Set(page.map((r) => r.hostId))] } }, select: { id: true, hostname: true, lastSeen: true },
    }),
    rangeFilesOf(prisma, page.filter((r) => r.clearedAt === null)),
  ]);
  const hosts = new Map(hostRows.map((h) => [h.id, h]));

  const entries = page.map((row): LedgerEntry => {
    const host = hosts.get(row.hostId);
    const lastSeen = row.clearedAt === null && host && host.lastSeen > row.lastSeen ? host.lastSeen : row.lastSeen;
    const entry: LedgerEntry = {
      id: row.id,
      host_id: row.hostId,
      hostname: host?.hostname ?? row.hostId,
      state: row.clearedAt === null ? 'open' : 'cleared',
      range: JSON.parse(row.range) as BadRange,
      first_seen: row.firstSeen.toISOString(),
      last_seen: lastSeen.toISOString(),
      found_by: row.foundBy as DetectedBy,
      new_event_id: row.newEventId,
    };
    if (row.clearedAt !== null) entry.cleared_at = row.clearedAt.toISOString();
    if (row.clearedBy !== null) entry.cleared_by = row.clearedBy as DetectedBy;
    if (row.clearedEventId !== null) entry.cleared_event_id = row.clearedEventId;
    const mapped = row.clearedAt === null ? files.get(rangeRefKey(row)) : undefined;
    if (mapped !== undefined) entry.files = mapped;
    return entry;
  });
  const last = page[page.length - 1];
  return {
    entries,
    ...(more && last ? { next_cursor: encodeCursor([last.firstSeen.getTime(), last.id]) } : {}),
    open_count: open._count._all,
    open_sectors: open._sum.length ?? 0,
  };
}

/** 404 unless the host has reported to this hub. */
export async function requireHost(prisma: PrismaClient, hostId: string): Promise<void> {
  const host = await prisma.host.findUnique({ where: { id: hostId }, select: { id: true } });
  if (!host) {
    throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host with id "${hostId}" has reported to this hub: ` +
      'GET /api/v1/hosts lists the hosts');
  }
}
