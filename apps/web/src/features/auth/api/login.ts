import type { LoginBody, Principal } from '@daxfleet/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiSend } from '@/lib/api-client';
import { meQueryKey } from './get-me';

export function login(body: LoginBody): Promise<Principal> {
  return apiSend<Principal>('POST', '/auth/login', body);
}

/** POST /auth/login: the hub sets the httpOnly session cookie; the principal it answers becomes "me". */
export function useLogin({ onSuccess }: { onSuccess?: (principal: Principal) => void } = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: login,
    meta: { authCheck: false },
    onSuccess: (principal) => {
      // whatever was cached belonged to the previous session (or to nobody)
      queryClient.clear();
      queryClient.setQueryData(meQueryKey, principal);
      onSuccess?.(principal);
    },
  });
}
