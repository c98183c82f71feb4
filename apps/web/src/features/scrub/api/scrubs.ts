/**
 * Address-range scrubs: one host now (POST /hosts/:hostId/scrub, operator), or the fleet host by host
 * (POST /scrubs creates a job the hub walks one host at a time; GET /scrubs, GET /scrubs/:id follow it;
 * POST /scrubs/:id/cancel stops the hosts not started yet). Bus scrub state itself is in the inventory.
 */
import type { CreateScrubJobBody, HostScrubResult, ScrubJob, ScrubJobList } from '@daxfleet/shared';
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';
import { hostQueryKey } from '@/features/hosts/api/get-host';

export const scrubsQueryKey = ['scrubs'] as const;
/** A running job is followed at this rate (its hosts move on as their agents report). */
export const SCRUB_JOB_POLL_MS = 3000;

export function getScrubJobsQueryOptions() {
  return queryOptions({
    queryKey: scrubsQueryKey,
    queryFn: ({ signal }) => apiGet<ScrubJobList>('/scrubs', { query: { limit: 10 }, signal }),
    refetchInterval: (query) => (query.state.data?.jobs.some((job) => job.status === 'running') === true ? SCRUB_JOB_POLL_MS : false),
  });
}

/** The latest fleet scrub jobs, newest first; polled while one runs. */
export function useScrubJobs() {
  return useQuery(getScrubJobsQueryOptions());
}

export function useStartFleetScrub() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateScrubJobBody) => apiSend<ScrubJob>('POST', '/scrubs', body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: scrubsQueryKey }),
  });
}

export function useCancelScrubJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (jobId: string) => apiSend<ScrubJob>('POST', `/scrubs/${encodeURIComponent(jobId)}/cancel`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: scrubsQueryKey }),
  });
}

/** POST /hosts/:hostId/scrub: the agent starts a scrub on the bus (or every bus that can); the answer says per bus. */
export function useStartHostScrub(hostId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (bus: string | undefined) => apiSend<HostScrubResult>(
      'POST', `/hosts/${encodeURIComponent(hostId)}/scrub`, bus === undefined ? {} : { bus },
    ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: hostQueryKey(hostId) }),
  });
}
