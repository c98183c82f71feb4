import type { Role, User } from '@daxfleet/shared';
import { useState, type FormEvent } from 'react';
import { Badge } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { OptionalTime } from '@/components/ui/optional-time';
import { useDeleteUser, useUpdateUser } from '../api/users';

function ResetPassword({ user, onReset }: { user: User; onReset: (password: string) => void }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  if (!open) return <button type="button" className="button" onClick={() => setOpen(true)}>Reset password</button>;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onReset(password);
    setOpen(false);
    setPassword('');
  };
  return (
    <form className="form form--row" onSubmit={submit} aria-label={`New password for ${user.username}`}>
      <input type="password" required minLength={12} maxLength={256} autoComplete="new-password" aria-label={`New password for ${user.username}`}
        placeholder="new password (12+ characters)" value={password} onChange={(event) => setPassword(event.target.value)} />
      <button type="submit" className="button">Set</button>
      <button type="button" className="button" onClick={() => setOpen(false)}>Cancel</button>
    </form>
  );
}

/**
 * Users with their role (changeable in place), state and last login. The hub refuses to remove the last admin
 * or let an admin lock themselves out (409): that answer is shown above the table.
 */
export function UserTable({ users, currentUserId }: { users: readonly User[]; currentUserId: string | undefined }) {
  const update = useUpdateUser();
  const remove = useDeleteUser();
  const [problem, setProblem] = useState<{ title: string; error: unknown } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const run = (title: string, success: string, action: (callbacks: { onError: (error: unknown) => void; onSuccess: () => void }) => void) => {
    setProblem(undefined);
    setDone(undefined);
    action({ onError: (error) => setProblem({ title, error }), onSuccess: () => setDone(success) });
  };
  return (
    <>
      {problem !== undefined && <ErrorMessage title={problem.title} error={problem.error} />}
      <p role="status" className="muted">{done}</p>
      <div className="table-wrap">
        <table className="table" aria-label="Users">
          <thead>
            <tr><th>Username</th><th>Role</th><th>State</th><th>Created</th><th>Last login</th><th><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <th scope="row">{user.username}{user.id === currentUserId && <span className="muted"> (you)</span>}</th>
                <td>
                  <select aria-label={`Role of ${user.username}`} value={user.role} disabled={update.isPending}
                    onChange={(event) => {
                      const role = event.target.value as Role;
                      run(`Could not change the role of ${user.username}`, `${user.username} is now ${role}.`,
                        (callbacks) => update.mutate({ userId: user.id, body: { role } }, callbacks));
                    }}>
                    <option value="viewer">viewer</option>
                    <option value="operator">operator</option>
                    <option value="admin">admin</option>
                  </select>
                </td>
                <td>
                  {user.disabled ? <Badge tone="danger">disabled</Badge> : <Badge tone="good">active</Badge>}
                  {user.must_change_password && <> <Badge tone="warning">must change password</Badge></>}
                </td>
                <td><OptionalTime iso={user.created_at} absent="" /></td>
                <td><OptionalTime iso={user.last_login_at} absent="never" /></td>
                <td className="actions">
                  <button type="button" className="button" disabled={update.isPending} onClick={() =>
                    run(`Could not ${user.disabled ? 'enable' : 'disable'} ${user.username}`,
                      `${user.username} is ${user.disabled ? 'enabled' : 'disabled'}.`,
                      (callbacks) => update.mutate({ userId: user.id, body: { disabled: !user.disabled } }, callbacks))}>
                    {user.disabled ? 'Enable' : 'Disable'}
                  </button>
                  <ResetPassword user={user} onReset={(password) =>
                    run(`Could not reset the password of ${user.username}`,
                      `New password set for ${user.username}; they must change it at their next login.`,
                      (callbacks) => update.mutate({ userId: user.id, body: { password } }, callbacks))} />
                  <ConfirmButton label="Delete" confirmLabel="Yes, delete" question={`Delete ${user.username}?`} disabled={remove.isPending}
                    onConfirm={() => run(`Could not delete ${user.username}`, `${user.username} deleted.`,
                      (callbacks) => remove.mutate(user.id, callbacks))} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
