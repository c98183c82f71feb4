import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { useMe } from '@/features/auth/api/get-me';
import { useUsers } from '@/features/users/api/users';
import { CreateUserForm } from '@/features/users/components/create-user-form';
import { UserTable } from '@/features/users/components/user-table';

export function AdminUsersRoute() {
  const users = useUsers();
  const me = useMe();
  return (
    <>
      <title>Users · daxfleet</title>
      <h2>Users</h2>
      {users.isPending && <Loading label="Loading users" />}
      {users.isError && <ErrorMessage title="Could not load the users" error={users.error} onRetry={() => void users.refetch()} />}
      {users.data !== undefined && <UserTable users={users.data.users} currentUserId={me.data?.kind === 'user' ? me.data.id : undefined} />}
      <CreateUserForm />
    </>
  );
}
