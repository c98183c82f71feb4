/**
 * What recovery plans and DAX changes share as stored rows: a plan is `planned` until its expiry, and lists are
 * newest first (created_at, then id) with an opaque keyset cursor.
 */
import { ApiError } from '../errors.js';

/** The status a row reads as: planned past its expiry is expired (the sweep may not have written it yet). */
export function effectiveStatus<S extends string>(row: { status: string; expiresAt: Date }, now: Date): S {
  if (row.status === 'planned' && row.expiresAt.getTime() <= now.getTime()) return 'expired' as S;
  return row.status as S;
}

/** The where clause of a status as it reads (planned past expiry counts as expired, not planned). */
export function statusWhere(status: string, now: Date):
  { status: string; expiresAt?: { gt: Date } } | { OR: [{ status: string }, { status: string; expiresAt: { lte: Date } }] } {
  if (status === 'planned') return { status: 'planned', expiresAt: { gt: now } };
  if (status === 'expired') return { OR: [{ status: 'expired' }, { status: 'planned', expiresAt: { lte: now } }] };
  return { status };
}

/** The cursor after `row` (next_before). */
export function encodeBefore(row: { createdAt: Date; id: string }): string {
  return Buffer.from(`${row.createdAt.getTime()}|${row.id}`).toString('base64url');
}

/** A next_before back to its row's keys, or a 400 saying what to pass. */
export function decodeBefore(before: string): { at: Date; id: string } {
  const text = Buffer.from(before, 'base64url').toString('utf8');
  const match = /^(\d{1,16})\|([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) {
    throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', `querystring/before "${before.slice(0, 64)}" is not a ` +
      'cursor this hub made: pass next_before of the previous page unchanged, or leave before out for the first page');
  }
  return { at: new Date(Number(match[1])), id: match[2] as string };
}

/** The where clause of the rows older than a cursor. */
export function olderThan(before: string): { OR: [{ createdAt: { lt: Date } }, { createdAt: Date; id: { lt: string } }] } {
  const { at, id } = decodeBefore(before);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, id: { lt: id } }] };
}
