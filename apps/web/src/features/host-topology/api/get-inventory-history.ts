import type { InventoryHistory } from '@daxfleet/shared';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import { POLL_INTERVAL_MS } from '@/lib/react-query';

export const HISTORY_PAGE_SIZE = 20;

export function getInventoryHistory({ hostId, before, limit = HISTORY_PAGE_SIZE, signal }: {
  hostId: string; before?: number; limit?: number; signal?: AbortSignal;
}): Promise<InventoryHistory> {
  return apiGet<InventoryHistory>(`/hosts/${encodeURIComponent(hostId)}/inventory/history`, {
    query: { limit, before },
    signal,
  });
}

export function getInventoryHistoryQueryOptions(hostId: string) {
  return infiniteQueryOptions({
    queryKey: ['hosts', hostId, 'inventory-history'] as const,
    queryFn: ({ pageParam, signal }) => getInventoryHistory({ hostId, before: pageParam, signal }),
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (lastPage) => lastPage.next_before,
    refetchInterval: POLL_INTERVAL_MS.history,
  });
}

/** Inventory versions of a host, newest first, a page at a time ("show older" fetches the next page). */
export function useInventoryHistory(hostId: string) {
  return useInfiniteQuery(getInventoryHistoryQueryOptions(hostId));
}
