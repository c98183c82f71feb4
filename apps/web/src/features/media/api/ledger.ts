/**
 * The hub's bad-block ledger (GET /media/ledger, fleet-wide, or /hosts/:hostId/ledger): one row per bad range,
 * open until a later report no longer lists it. Pages are newest first; "Show older" follows next_cursor.
 */
import type { LedgerPage } from '@daxfleet/shared';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import type { MediaFilter } from '../utils/filters';

export const LEDGER_PAGE_SIZE = 100;

/** Every media query lives under this key, so one invalidation (a live `ingested` notice) refreshes them all. */
export const mediaQueryKey = ['media'] as const;

export function getLedger({ filter, cursor, limit = LEDGER_PAGE_SIZE, signal }: {
  filter: MediaFilter; cursor?: string | undefined; limit?: number; signal?: AbortSignal;
}): Promise<LedgerPage> {
  const query = {
    state: filter.state, dimm: filter.dimm, since: filter.since, until: filter.until, limit, cursor,
  };
  // a host's own ledger when one host is chosen: the same rows, through the host route the host page links to
  return filter.host === undefined
    ? apiGet<LedgerPage>('/media/ledger', { query, signal })
    : apiGet<LedgerPage>(`/hosts/${encodeURIComponent(filter.host)}/ledger`, { query, signal });
}

export function getLedgerQueryOptions(filter: MediaFilter) {
  return infiniteQueryOptions({
    queryKey: [...mediaQueryKey, 'ledger', filter] as const,
    queryFn: ({ pageParam, signal }) => getLedger({ filter, cursor: pageParam, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });
}

/** The ledger under a filter, a page at a time; open_count/open_sectors of the first page cover the whole filter. */
export function useLedger(filter: MediaFilter) {
  return useInfiniteQuery(getLedgerQueryOptions(filter));
}
