/**
 * Recovery plans (issue 6): POST /hosts/:hostId/recovery/plans asks the host's agent for a dry run and stores it;
 * GET /recovery/plans/:planId reads one back (its execution, progress and verification as the agent reports them);
 * GET /recovery/plans lists recent ones; POST /recovery/plans/:planId/execute runs one (operator) with the digest
 * the operator reviewed. Live updates: the media stream's `recovery` notice invalidates these queries (see
 * applyRecovery in features/media/api/media-stream.ts); a plan is polled only while it executes and the stream is down.
 */
import type { RecoveryPlan, RecoveryPlanList, RecoveryRequest, RecoveryStatus } from '@daxfleet/shared';
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** Every recovery query lives under this key, so a `recovery` notice can refresh them all. */
export const recoveryQueryKey = ['recovery'] as const;

export function recoveryPlanQueryKey(planId: string) {
  return [...recoveryQueryKey, 'plan', planId] as const;
}

/** While a plan executes and the live stream is down, it is refetched at this rate. */
export const RECOVERY_POLL_MS = 2000;

export function planPath(planId: string): string {
  return `/recovery/plans/${encodeURIComponent(planId)}`;
}

export function getRecoveryPlanQueryOptions(planId: string, options: { poll?: (plan: RecoveryPlan | undefined) => boolean } = {}) {
  return queryOptions({
    queryKey: recoveryPlanQueryKey(planId),
    queryFn: ({ signal }) => apiGet<RecoveryPlan>(planPath(planId), { signal }),
    refetchInterval: (query) => (options.poll?.(query.state.data) === true ? RECOVERY_POLL_MS : false),
  });
}

/** One stored plan. `poll`: whether to refetch it on a timer (executing while the stream is down). */
export function useRecoveryPlan(planId: string, poll?: (plan: RecoveryPlan | undefined) => boolean) {
  return useQuery(getRecoveryPlanQueryOptions(planId, poll === undefined ? {} : { poll }));
}

export type RecoveryPlanFilter = { host?: string | undefined; status?: RecoveryStatus | undefined };

export function getRecoveryPlansQueryOptions(filter: RecoveryPlanFilter) {
  return queryOptions({
    queryKey: [...recoveryQueryKey, 'list', filter] as const,
    queryFn: ({ signal }) => (filter.host !== undefined && filter.status === undefined
      ? apiGet<RecoveryPlanList>(`/hosts/${encodeURIComponent(filter.host)}/recovery/plans`, { signal })
      : apiGet<RecoveryPlanList>('/recovery/plans', { query: { host: filter.host, status: filter.status }, signal })),
  });
}

/** Recent plans, newest first: one host's, or the fleet's under a status. */
export function useRecoveryPlans(filter: RecoveryPlanFilter) {
  return useQuery(getRecoveryPlansQueryOptions(filter));
}

/** POST /hosts/:hostId/recovery/plans: the agent plans (changes nothing); the answer is the stored plan (201). */
export function useCreateRecoveryPlan(hostId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (request: RecoveryRequest) => apiSend<RecoveryPlan>('POST', `/hosts/${encodeURIComponent(hostId)}/recovery/plans`, request),
    onSuccess: (plan) => {
      queryClient.setQueryData(recoveryPlanQueryKey(plan.id), plan);
      void queryClient.invalidateQueries({ queryKey: [...recoveryQueryKey, 'list'] });
    },
  });
}

/** The hub's 409 codes for an execute it will not start (apps/api/src/routes/api/v1/recovery/index.ts). */
export const RECOVERY_EXECUTE_CONFLICTS = {
  expired: 'DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED',
  notExecutable: 'DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE',
  alreadyExecuted: 'DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED',
  digestMismatch: 'DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH',
  /** the agent planned again and got another plan: the stored plan is now refused with the fresh one */
  hostChanged: 'DAXFLEET_ERR_RECOVERY_HOST_CHANGED',
  /** the agent did not start it for a passing reason (another recovery on the device, stopping): it stays planned */
  notStarted: 'DAXFLEET_ERR_RECOVERY_NOT_STARTED',
} as const;

/** POST /recovery/plans/:planId/execute with the reviewed digest (202: the agent started it). */
export function useExecuteRecoveryPlan(planId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (digest: string) => apiSend<RecoveryPlan>('POST', `${planPath(planId)}/execute`, { digest }),
    onSuccess: (plan) => queryClient.setQueryData(recoveryPlanQueryKey(planId), plan),
    // a refused execute may have changed the stored plan (expired, refused with the host's fresh plan)
    onError: () => void queryClient.invalidateQueries({ queryKey: recoveryPlanQueryKey(planId) }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: [...recoveryQueryKey, 'list'] }),
  });
}
