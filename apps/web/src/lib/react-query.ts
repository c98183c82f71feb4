import { QueryClient } from '@tanstack/react-query';
import { isRetryable } from '@/lib/api-client';

/** How often live data is refetched until the hub pushes updates over SSE. */
export const POLL_INTERVAL_MS = {
  hosts: 3000,
  host: 3000,
  history: 10000,
} as const;

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: (failureCount, error) => isRetryable(error) && failureCount < 2,
        refetchOnWindowFocus: true,
        staleTime: 1000,
      },
    },
  });
}
