/** Recent media events (GET /media/events), newest first: what the agents raised and when the hub received it. */
import type { EventPage } from '@daxfleet/shared';
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import { mediaQueryKey } from './ledger';

export const EVENTS_PAGE_SIZE = 25;

export type EventFilter = { host?: string | undefined; type?: string | undefined; since?: string | undefined };

export function getEvents({ filter, cursor, signal }: { filter: EventFilter; cursor?: string | undefined; signal?: AbortSignal }): Promise<EventPage> {
  return apiGet<EventPage>('/media/events', { query: { ...filter, limit: EVENTS_PAGE_SIZE, cursor }, signal });
}

export function getEventsQueryOptions(filter: EventFilter) {
  return infiniteQueryOptions({
    queryKey: [...mediaQueryKey, 'events', filter] as const,
    queryFn: ({ pageParam, signal }) => getEvents({ filter, cursor: pageParam, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });
}

export function useMediaEvents(filter: EventFilter) {
  return useInfiniteQuery(getEventsQueryOptions(filter));
}
