import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';
import { isPasswordChangeRequired, isRetryable, isUnauthenticated } from '@/lib/api-client';

/** How often live data is refetched until the hub pushes updates over SSE. */
export const POLL_INTERVAL_MS = {
  hosts: 3000,
  /** the host list of a large fleet is ~0.5 KiB per host: poll it less often (2000 hosts: 1.1 MiB a poll) */
  largeFleetHosts: 15000,
  host: 3000,
  history: 10000,
} as const;

/** From this many hosts on, the fleet list is polled at the slower `largeFleetHosts` rate. */
export const LARGE_FLEET_HOSTS = 1000;

/**
 * `onSessionLost` runs when any request answers 401 (session ended or expired) or 403 "change your password
 * first": the app then re-asks who is logged in, and the session gate sends the user to the right page.
 * A query or mutation can opt out with `meta: { authCheck: false }` (the login itself, "who am I").
 */
export function createQueryClient({ onSessionLost }: { onSessionLost?: () => void } = {}): QueryClient {
  const check = (error: unknown, meta: Record<string, unknown> | undefined) => {
    if (meta?.authCheck === false) return;
    if (isUnauthenticated(error) || isPasswordChangeRequired(error)) onSessionLost?.();
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError: (error, query) => check(error, query.meta) }),
    mutationCache: new MutationCache({ onError: (error, _variables, _context, mutation) => check(error, mutation.meta) }),
    defaultOptions: {
      queries: {
        retry: (failureCount, error) => isRetryable(error) && failureCount < 2,
        refetchOnWindowFocus: true,
        staleTime: 1000,
      },
    },
  });
}
