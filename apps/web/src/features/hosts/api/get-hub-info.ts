import type { HubInfo } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

export function getHubInfo({ signal }: { signal?: AbortSignal } = {}): Promise<HubInfo> {
  return apiGet<HubInfo>('/info', { signal });
}

export function getHubInfoQueryOptions() {
  return queryOptions({
    queryKey: ['hub-info'] as const,
    queryFn: ({ signal }) => getHubInfo({ signal }),
    staleTime: 60_000,
  });
}

/** The hub's version and role, and the id of the host it scans itself when it runs a local agent. */
export function useHubInfo() {
  return useQuery(getHubInfoQueryOptions());
}
