import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** JoinTokenSchema / CreatedJoinTokenSchema / AgentCredentialSchema of @daxfleet/shared */
export type JoinToken = {
  id: string; prefix: string; created_by: string; created_at: string; expires_at: string; used_at?: string; used_by_host?: string;
};
export type CreatedJoinToken = JoinToken & { token: string };
export type AgentCredential = { host_id: string; created_at: string; revoked_at?: string; last_used_at?: string };

export const joinTokensQueryKey = ['agents', 'join-tokens'] as const;
export const agentCredentialsQueryKey = ['agents', 'credentials'] as const;

export function getJoinTokensQueryOptions() {
  return queryOptions({
    queryKey: joinTokensQueryKey,
    queryFn: ({ signal }) => apiGet<{ join_tokens: JoinToken[] }>('/agents/join-tokens', { signal }),
  });
}

export function getAgentCredentialsQueryOptions() {
  return queryOptions({
    queryKey: agentCredentialsQueryKey,
    queryFn: ({ signal }) => apiGet<{ agents: AgentCredential[] }>('/agents', { signal }),
  });
}

/** GET /agents/join-tokens (admin): one-time tokens, used or not; never the secret. */
export function useJoinTokens() {
  return useQuery(getJoinTokensQueryOptions());
}

/** GET /agents (admin): the credential of every enrolled agent. */
export function useAgentCredentials() {
  return useQuery(getAgentCredentialsQueryOptions());
}

export function useCreateJoinToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: { expires_in_hours?: number }) => apiSend<CreatedJoinToken>('POST', '/agents/join-tokens', body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: joinTokensQueryKey }),
  });
}

export function useDeleteJoinToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (joinTokenId: string) => apiSend('DELETE', `/agents/join-tokens/${encodeURIComponent(joinTokenId)}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: joinTokensQueryKey }),
  });
}

/** POST /agents/:hostId/revoke: the hub refuses the agent's reports from now on (it re-enrolls with a new join token). */
export function useRevokeAgent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (hostId: string) => apiSend('POST', `/agents/${encodeURIComponent(hostId)}/revoke`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: agentCredentialsQueryKey }),
  });
}
