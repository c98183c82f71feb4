import { useMutation, useQueryClient } from '@tanstack/react-query';
import { apiSend } from '@/lib/api-client';
import { meQueryKey } from './get-me';

/** ChangeOwnPasswordBodySchema of @daxfleet/shared */
export type ChangeOwnPasswordBody = { current_password: string; new_password: string };

export function changePassword(body: ChangeOwnPasswordBody): Promise<undefined> {
  return apiSend('POST', '/auth/password', body);
}

/** POST /auth/password; afterwards /auth/me no longer says must_change_password. */
export function useChangePassword({ onSuccess }: { onSuccess?: () => void } = {}) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: changePassword,
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: meQueryKey });
      onSuccess?.();
    },
  });
}
