import type { HostList } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import { LARGE_FLEET_HOSTS, POLL_INTERVAL_MS } from '@/lib/react-query';

export function getHosts({ signal }: { signal?: AbortSignal } = {}): Promise<HostList> {
  return apiGet<HostList>('/hosts', { signal });
}

export const hostsQueryKey = ['hosts'] as const;

export function getHostsQueryOptions() {
  return queryOptions({
    queryKey: hostsQueryKey,
    queryFn: ({ signal }) => getHosts({ signal }),
    refetchInterval: (query) => ((query.state.data?.hosts.length ?? 0) >= LARGE_FLEET_HOSTS
      ? POLL_INTERVAL_MS.largeFleetHosts
      : POLL_INTERVAL_MS.hosts),
  });
}

/** Every host the hub knows, refreshed every few seconds. */
export function useHosts() {
  return useQuery(getHostsQueryOptions());
}
