/** A host's DIMM health over time (GET /hosts/:hostId/health): the samples the agent sent, oldest first. */
import type { HealthHistory } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';
import { mediaQueryKey } from './ledger';

export type HealthFilter = { host: string; dimm?: string | undefined; since?: string | undefined; until?: string | undefined };

export function getHealthHistory({ filter, signal }: { filter: HealthFilter; signal?: AbortSignal }): Promise<HealthHistory> {
  const { host, ...query } = filter;
  return apiGet<HealthHistory>(`/hosts/${encodeURIComponent(host)}/health`, { query, signal });
}

export function getHealthHistoryQueryOptions(filter: HealthFilter) {
  return queryOptions({
    queryKey: [...mediaQueryKey, 'health', filter] as const,
    queryFn: ({ signal }) => getHealthHistory({ filter, signal }),
  });
}

/** Pass undefined while no host is chosen: health is per host (and DIMM). */
export function useHealthHistory(filter: HealthFilter | undefined) {
  return useQuery({ ...getHealthHistoryQueryOptions(filter ?? { host: '' }), enabled: filter !== undefined });
}
