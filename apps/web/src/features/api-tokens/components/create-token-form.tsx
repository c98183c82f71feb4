import type { Role } from '@daxfleet/shared';
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { SecretDialog } from '@/components/ui/secret-dialog';
import { useCreateApiToken, type CreatedApiToken } from '../api/tokens';

/** Name, scope and optional lifetime of a new API token; the secret then shows once in a dialog. */
export function CreateTokenForm() {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<Role>('viewer');
  const [days, setDays] = useState('');
  const [created, setCreated] = useState<CreatedApiToken | undefined>();
  const create = useCreateApiToken();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const expires = days.trim() === '' ? undefined : Number(days);
    create.mutate(
      { name: name.trim(), scope, ...(expires === undefined ? {} : { expires_in_days: expires }) },
      { onSuccess: (token) => { setCreated(token); setName(''); setDays(''); } },
    );
  };
  return (
    <section aria-labelledby="create-token-heading" className="panel">
      <h2 id="create-token-heading">Create an API token</h2>
      <form className="form form--inline" onSubmit={submit} aria-label="Create an API token">
        <label className="form__field">
          <span>Name</span>
          <input required maxLength={100} value={name} placeholder="e.g. ansible" onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="form__field">
          <span>Scope</span>
          <select value={scope} onChange={(event) => setScope(event.target.value as Role)}>
            <option value="viewer">viewer (read only)</option>
            <option value="operator">operator (read and run host actions)</option>
            <option value="admin">admin (everything)</option>
          </select>
        </label>
        <label className="form__field">
          <span>Expires after (days, empty = never)</span>
          <input type="number" min={1} max={3650} value={days} onChange={(event) => setDays(event.target.value)} />
        </label>
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Creating…' : 'Create token'}
        </button>
      </form>
      {create.isError && <ErrorMessage title="The token was not created" error={create.error} />}
      {created !== undefined && (
        <SecretDialog title={`API token "${created.name}" (${created.scope})`} secret={created.token} onClose={() => setCreated(undefined)}>
          <p>Send it as a bearer token:</p>
          <pre><code>{`curl -H 'Authorization: Bearer ${created.token}' ${window.location.origin}/api/v1/hosts`}</code></pre>
        </SecretDialog>
      )}
    </section>
  );
}
