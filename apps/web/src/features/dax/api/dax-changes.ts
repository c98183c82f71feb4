/**
 * DAX changes (issue 7): POST /hosts/:hostId/dax/changes asks the host's agent for a dry run and stores it;
 * GET /dax/changes/:changeId reads one back; GET /hosts/:hostId/dax/changes and GET /dax/changes list recent ones;
 * POST /dax/changes/:changeId/execute runs one (operator) with the digest the operator reviewed and answers with the
 * verified result (device and policy changes take seconds: there is no progress stream).
 */
import type { DaxChange, DaxChangeCreateBody, DaxChangeKind, DaxChangeList, DaxChangeStatus } from '@daxfleet/shared';
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** Every DAX-change query lives under this key, so a change can refresh them all. */
export const daxChangesQueryKey = ['dax-changes'] as const;

export function daxChangeQueryKey(changeId: string) {
  return [...daxChangesQueryKey, 'change', changeId] as const;
}

/** While a change executes (another tab, the CLI), it is refetched at this rate. */
export const DAX_CHANGE_POLL_MS = 2000;

export function changePath(changeId: string): string {
  return `/dax/changes/${encodeURIComponent(changeId)}`;
}

export function getDaxChangeQueryOptions(changeId: string) {
  return queryOptions({
    queryKey: daxChangeQueryKey(changeId),
    queryFn: ({ signal }) => apiGet<DaxChange>(changePath(changeId), { signal }),
    refetchInterval: (query) => (query.state.data?.status === 'executing' ? DAX_CHANGE_POLL_MS : false),
  });
}

/** One stored change. */
export function useDaxChange(changeId: string) {
  return useQuery(getDaxChangeQueryOptions(changeId));
}

export type DaxChangeFilter = {
  host?: string | undefined; kind?: DaxChangeKind | undefined; status?: DaxChangeStatus | undefined; limit?: number | undefined;
};

export function getDaxChangesQueryOptions(filter: DaxChangeFilter) {
  return queryOptions({
    queryKey: [...daxChangesQueryKey, 'list', filter] as const,
    queryFn: ({ signal }) => (filter.host !== undefined && filter.kind === undefined && filter.status === undefined
      ? apiGet<DaxChangeList>(`/hosts/${encodeURIComponent(filter.host)}/dax/changes`, { query: { limit: filter.limit }, signal })
      : apiGet<DaxChangeList>('/dax/changes', { query: { host: filter.host, kind: filter.kind, status: filter.status, limit: filter.limit }, signal })),
  });
}

/** Recent changes, newest first: one host's, or the fleet's under filters. */
export function useDaxChanges(filter: DaxChangeFilter) {
  return useQuery(getDaxChangesQueryOptions(filter));
}

/** POST /hosts/:hostId/dax/changes: the agent plans (changes nothing); the answer is the stored change (201). */
export function useCreateDaxChange(hostId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: DaxChangeCreateBody) => apiSend<DaxChange>('POST', `/hosts/${encodeURIComponent(hostId)}/dax/changes`, body),
    onSuccess: (change) => {
      queryClient.setQueryData(daxChangeQueryKey(change.id), change);
      void queryClient.invalidateQueries({ queryKey: [...daxChangesQueryKey, 'list'] });
    },
  });
}

/** POST /dax/changes/:changeId/execute with the reviewed digest: the answer carries the verified (or failed) result. */
export function useExecuteDaxChange(changeId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (digest: string) => apiSend<DaxChange>('POST', `${changePath(changeId)}/execute`, { digest }),
    onSuccess: (change) => {
      queryClient.setQueryData(daxChangeQueryKey(changeId), change);
      // the agent rescanned and reported: the host's inventory and filesystems changed
      void queryClient.invalidateQueries({ queryKey: ['hosts', change.host_id] });
      void queryClient.invalidateQueries({ queryKey: ['fs-dax', change.host_id] });
      void queryClient.invalidateQueries({ queryKey: ['fleet-capacity'] });
    },
    // a refused execute may have changed the stored change (expired, refused with the host's fresh plan)
    onError: () => void queryClient.invalidateQueries({ queryKey: daxChangeQueryKey(changeId) }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: [...daxChangesQueryKey, 'list'] }),
  });
}
