import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiSend } from '@/lib/api-client';
import { hostQueryKey } from './get-host';

export function rescanHost(hostId: string): Promise<{ accepted: boolean }> {
  return apiSend<{ accepted: boolean }>('POST', `/hosts/${encodeURIComponent(hostId)}/rescan`);
}

/** POST /hosts/:hostId/rescan (operator): the hub asks the host's agent to scan now; its report follows. */
export function useRescanHost(hostId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => rescanHost(hostId),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: hostQueryKey(hostId) }),
  });
}
