import type { Role } from '@daxfleet/shared';
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { useCreateUser } from '../api/users';

/** A new operator account: username, first password (at least 12 characters), role. */
export function CreateUserForm() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const create = useCreateUser();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ username: username.trim(), password, role }, { onSuccess: () => { setUsername(''); setPassword(''); } });
  };
  return (
    <section aria-labelledby="create-user-heading" className="panel">
      <h2 id="create-user-heading">Create a user</h2>
      <form className="form form--inline" onSubmit={submit} aria-label="Create a user">
        <label className="form__field">
          <span>Username (lowercase letters, digits, . _ -)</span>
          <input required maxLength={64} pattern="[a-z][a-z0-9._\-]*" autoComplete="off" value={username} onChange={(event) => setUsername(event.target.value)} />
        </label>
        <label className="form__field">
          <span>Password (at least 12 characters)</span>
          <input required type="password" minLength={12} maxLength={256} autoComplete="new-password" value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        <label className="form__field">
          <span>Role</span>
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            <option value="viewer">viewer</option>
            <option value="operator">operator</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="button button--primary" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create user'}</button>
      </form>
      {create.isSuccess && <p role="status">Created {create.data.username} ({create.data.role}).</p>}
      {create.isError && <ErrorMessage title="The user was not created" error={create.error} />}
    </section>
  );
}
