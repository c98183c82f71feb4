import type { ApiToken, Role } from '@daxfleet/shared';
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** CreateApiTokenBodySchema / CreatedApiTokenSchema of @daxfleet/shared */
export type CreateApiTokenBody = { name: string; scope: Role; expires_in_days?: number };
export type CreatedApiToken = ApiToken & { token: string };

export const apiTokensQueryKey = ['api-tokens'] as const;

export function getApiTokens({ signal }: { signal?: AbortSignal } = {}): Promise<{ tokens: ApiToken[] }> {
  return apiGet<{ tokens: ApiToken[] }>('/tokens', { signal });
}

export function getApiTokensQueryOptions() {
  return queryOptions({ queryKey: apiTokensQueryKey, queryFn: ({ signal }) => getApiTokens({ signal }) });
}

/** GET /tokens (admin): every API token, revoked ones too; never a secret. */
export function useApiTokens() {
  return useQuery(getApiTokensQueryOptions());
}

/** POST /tokens: the answer carries the secret, the only time the hub shows it. */
export function useCreateApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateApiTokenBody) => apiSend<CreatedApiToken>('POST', '/tokens', body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: apiTokensQueryKey }),
  });
}

/** DELETE /tokens/:tokenId revokes the token: the hub refuses it from then on. */
export function useRevokeApiToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (tokenId: string) => apiSend('DELETE', `/tokens/${encodeURIComponent(tokenId)}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: apiTokensQueryKey }),
  });
}
