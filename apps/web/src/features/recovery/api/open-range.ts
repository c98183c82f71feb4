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

export function getOpenRangeQueryOptions(hostId: string, range: RangeRef) {
  return queryOptions({
    queryKey: ['media', 'open-range', hostId, range.region, range.region_offset, range.length] as const,
    queryFn: async ({ signal }): Promise<LedgerEntry | null> => {
      const page = await apiGet<LedgerPage>(`/hosts/${encodeURIComponent(hostId)}/ledger`, { query: { state: 'open', limit: OPEN_RANGES_LIMIT }, signal });
      return page.entries.find((entry) => entry.range.region === range.region
        && entry.range.region_offset === range.region_offset && entry.range.length === range.length) ?? null;
    },
  });
}

/** The open ledger entry of this range; null when the ledger has no such open range (cleared, or not yet seen). */
export function useOpenRange(hostId: string, range: RangeRef) {
  return useQuery(getOpenRangeQueryOptions(hostId, range));
}
