import type { HostDetail } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import { POLL_INTERVAL_MS } from '@/lib/react-query';
import { hostsQueryKey } from './get-hosts';

export function getHost({ hostId, signal }: { hostId: string; signal?: AbortSignal }): Promise<HostDetail> {
  return apiGet<HostDetail>(`/hosts/${encodeURIComponent(hostId)}`, { signal });
}

export function hostQueryKey(hostId: string) {
  return [...hostsQueryKey, hostId] as const;
}

export function getHostQueryOptions(hostId: string) {
  return queryOptions({
    queryKey: hostQueryKey(hostId),
    queryFn: ({ signal }) => getHost({ hostId, signal }),
    refetchInterval: POLL_INTERVAL_MS.host,
  });
}

/** One host with its current inventory. Pass undefined to wait (e.g. until the hub info says which host is local). */
export function useHost(hostId: string | undefined) {
  return useQuery({ ...getHostQueryOptions(hostId ?? ''), enabled: hostId !== undefined && hostId !== '' });
}
