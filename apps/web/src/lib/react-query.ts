import { QueryClient } from '@tanstack/react-query';
import { isRetryable } from '@/lib/api-client';

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
