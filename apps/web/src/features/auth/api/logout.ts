import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiSend } from '@/lib/api-client';

export function logout(): Promise<undefined> {
  return apiSend('POST', '/auth/logout');
}

/**
 * POST /auth/logout ends the session on the hub; the cache (hosts, users, tokens) is dropped either way, so
 * nothing of the session stays in memory, and the caller goes to the login page.
 */
export function useLogout({ onSettled }: { onSettled?: () => void } = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: logout,
    meta: { authCheck: false },
    onSettled: () => {
      queryClient.clear();
      onSettled?.();
    },
  });
}
