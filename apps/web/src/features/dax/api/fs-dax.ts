/**
 * GET /hosts/:hostId/fs-dax: the agent reads FS_XFLAG_DAX and S_DAX of a path and its children (or, for the audit,
 * every pending regular file under it). Operators only: the agent runs as root and names the processes holding files.
 */
import type { FsDaxInspectResult } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

export type FsDaxQuery = { path: string; recursive?: boolean; mismatchesOnly?: boolean; limit?: number };

export function fsDaxQueryKey(hostId: string, query?: FsDaxQuery) {
  return query === undefined ? ['fs-dax', hostId] as const : ['fs-dax', hostId, query] as const;
}

export function getFsDaxQueryOptions(hostId: string, query: FsDaxQuery) {
  return queryOptions({
    queryKey: fsDaxQueryKey(hostId, query),
    queryFn: ({ signal }) => apiGet<FsDaxInspectResult>(`/hosts/${encodeURIComponent(hostId)}/fs-dax`, {
      query: {
        path: query.path,
        recursive: query.recursive === true ? 'true' : undefined,
        mismatches_only: query.mismatchesOnly === true ? 'true' : undefined,
        limit: query.limit,
      },
      signal,
    }),
    // each look asks the agent to walk the tree: no background refetch
    refetchOnWindowFocus: false,
    staleTime: 5_000,
  });
}

/** The entries of a path as the agent sees them now; `query` undefined: nothing asked yet. */
export function useFsDax(hostId: string, query: FsDaxQuery | undefined) {
  return useQuery({ ...getFsDaxQueryOptions(hostId, query ?? { path: '/' }), enabled: query !== undefined });
}
