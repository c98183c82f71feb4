/** GET /fleet/capacity: bytes by mode over the fleet, per host, and the filesystems on pmem by dax mode. */
import type { FleetCapacity } from '@daxfleet/shared';
import { queryOptions, useQuery } from '@tanstack/react-query';
import { apiGet } from '@/lib/api-client';

export const fleetCapacityQueryKey = ['fleet-capacity'] as const;

/** The capacity moves only when a namespace or device changes: a slow poll is enough. */
export const FLEET_CAPACITY_POLL_MS = 15_000;

export function getFleetCapacityQueryOptions() {
  return queryOptions({
    queryKey: fleetCapacityQueryKey,
    queryFn: ({ signal }) => apiGet<FleetCapacity>('/fleet/capacity', { signal }),
    refetchInterval: FLEET_CAPACITY_POLL_MS,
  });
}

export function useFleetCapacity() {
  return useQuery(getFleetCapacityQueryOptions());
}
