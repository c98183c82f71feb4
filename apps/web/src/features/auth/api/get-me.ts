import type { Principal } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

export const meQueryKey = ['auth', 'me'] as const;

export function getMe({ signal }: { signal?: AbortSignal } = {}): Promise<Principal> {
  return apiGet<Principal>('/auth/me', { signal });
}

export function getMeQueryOptions() {
  return queryOptions({
    queryKey: meQueryKey,
    queryFn: ({ signal }) => getMe({ signal }),
    // a 401 is an answer (not logged in), not a failure worth asking again
    retry: false,
    meta: { authCheck: false },
    staleTime: 60_000,
    refetchOnWindowFocus: true,
  });
}

/** Who is logged in (GET /auth/me); an error with status 401 means nobody is. */
export function useMe() {
  return useQuery(getMeQueryOptions());
}
