import type { Role, User } from '@daxfleet/shared';
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** CreateUserBodySchema / UpdateUserBodySchema of @daxfleet/shared */
export type CreateUserBody = { username: string; password: string; role: Role };
export type UpdateUserBody = { role?: Role; password?: string; disabled?: boolean };

export const usersQueryKey = ['users'] as const;

export function getUsers({ signal }: { signal?: AbortSignal } = {}): Promise<{ users: User[] }> {
  return apiGet<{ users: User[] }>('/users', { signal });
}

export function getUsersQueryOptions() {
  return queryOptions({ queryKey: usersQueryKey, queryFn: ({ signal }) => getUsers({ signal }) });
}

/** GET /users (admin). */
export function useUsers() {
  return useQuery(getUsersQueryOptions());
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateUserBody) => apiSend<User>('POST', '/users', body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
  });
}

/** PATCH /users/:userId: role, password (the user must change it at next login) or disabled. */
export function useUpdateUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, body }: { userId: string; body: UpdateUserBody }) =>
      apiSend<User>('PATCH', `/users/${encodeURIComponent(userId)}`, body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
  });
}

export function useDeleteUser() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => apiSend('DELETE', `/users/${encodeURIComponent(userId)}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: usersQueryKey }),
  });
}
