/**
 * The ledger's view of the range a recovery starts from (GET /hosts/:hostId/ledger?state=open): its namespace and
 * mode, device coordinates and the files it hits, so the action page can say which actions apply. Keyed under
 * ['media'] like every ledger query, so an `ingested` notice refreshes it too.
 */
import type { LedgerEntry, LedgerPage, RangeRef } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

/** the hub's largest ledger page */
const OPEN_RANGES_LIMIT = 500;
/** pages read at most (10 000 open ranges): a host with more is broken beyond what one recovery page can help */
export const OPEN_RANGES_MAX_PAGES = 20;

export function getOpenRangeQueryOptions(hostId: string, range: RangeRef) {
  return queryOptions({
    queryKey: ['media', 'open-range', hostId, range.region, range.region_offset, range.length] as const,
    queryFn: async ({ signal }): Promise<LedgerEntry | null> => {
      let cursor: string | undefined;
      // page through the open ranges (newest first) until this one turns up or the ledger ends
      for (let pages = 0; pages < OPEN_RANGES_MAX_PAGES; pages++) {
        const page = await apiGet<LedgerPage>(`/hosts/${encodeURIComponent(hostId)}/ledger`,
          { query: { state: 'open', limit: OPEN_RANGES_LIMIT, cursor }, signal });
        const found = page.entries.find((entry) => entry.range.region === range.region
          && entry.range.region_offset === range.region_offset && entry.range.length === range.length);
        if (found !== undefined) return found;
        if (page.next_cursor === undefined) return null;
        cursor = page.next_cursor;
      }
      return null;
    },
  });
}

/** The open ledger entry of this range; null when the ledger has no such open range (cleared, or not yet seen). */
export function useOpenRange(hostId: string, range: RangeRef) {
  return useQuery(getOpenRangeQueryOptions(hostId, range));
}
