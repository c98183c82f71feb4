import { useState, type FormEvent } from 'react';
import { Badge } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { OptionalTime } from '@/components/ui/optional-time';
import { RelativeTime } from '@/components/ui/relative-time';
import { SecretDialog } from '@/components/ui/secret-dialog';
import { CopyButton } from '@/components/ui/copy-button';
import { useCreateJoinToken, useDeleteJoinToken, useJoinTokens, type CreatedJoinToken, type JoinToken } from '../api/agents';
import { agentCommand } from './agent-command';

function joinTokenState(token: JoinToken): { label: string; tone: 'good' | 'muted' | 'info' } {
  if (token.used_at !== undefined) return { label: `used by ${token.used_by_host ?? 'an agent'}`, tone: 'info' };
  if (Date.parse(token.expires_at) <= Date.now()) return { label: 'expired', tone: 'muted' };
  return { label: 'unused', tone: 'good' };
}

/** Join tokens: each enrolls one agent once; create one, then run the command it comes with on the new host. */
export function JoinTokens({ hubUrl }: { hubUrl: string }) {
  const tokens = useJoinTokens();
  const create = useCreateJoinToken();
  const remove = useDeleteJoinToken();
  const [hours, setHours] = useState('24');
  const [created, setCreated] = useState<CreatedJoinToken | undefined>();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ expires_in_hours: Number(hours) }, { onSuccess: setCreated });
  };
  return (
    <section aria-labelledby="join-tokens-heading" className="panel">
      <h2 id="join-tokens-heading">Join tokens</h2>
      <p className="muted">A join token lets one agent enroll once; the agent then gets its own credential.</p>
      <form className="form form--inline" onSubmit={submit} aria-label="Create a join token">
        <label className="form__field">
          <span>Valid for (hours)</span>
          <input type="number" min={1} max={720} required value={hours} onChange={(event) => setHours(event.target.value)} />
        </label>
        <button type="submit" className="button button--primary" disabled={create.isPending}>{create.isPending ? 'Creating…' : 'Create join token'}</button>
      </form>
      {create.isError && <ErrorMessage title="The join token was not created" error={create.error} />}
      {remove.isError && <ErrorMessage title="The join token was not deleted" error={remove.error} />}
      {created !== undefined && (
        <SecretDialog title="Join token" secret={created.token} onClose={() => setCreated(undefined)}>
          <p>On the new host, from a daxfleet checkout, run:</p>
          <pre><code aria-label="Agent command">{agentCommand(hubUrl, created.token)}</code></pre>
          <CopyButton text={agentCommand(hubUrl, created.token)} label="Copy command" />
          <p className="muted">It expires <OptionalTime iso={created.expires_at} absent="" /> and works once.</p>
        </SecretDialog>
      )}
      {tokens.isPending && <Loading label="Loading join tokens" />}
      {tokens.isError && <ErrorMessage title="Could not load the join tokens" error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {tokens.data !== undefined && (tokens.data.join_tokens.length === 0
        ? <p className="muted">No join tokens.</p>
        : (
          <div className="table-wrap">
            <table className="table" aria-label="Join tokens">
              <thead><tr><th>Prefix</th><th>State</th><th>Created</th><th>Expires</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {tokens.data.join_tokens.map((token) => {
                  const state = joinTokenState(token);
                  return (
                    <tr key={token.id}>
                      <th scope="row"><code>{token.prefix}…</code></th>
                      <td><Badge tone={state.tone}>{state.label}</Badge></td>
                      <td><RelativeTime iso={token.created_at} /> by {token.created_by}</td>
                      <td><OptionalTime iso={token.expires_at} absent="" /></td>
                      <td>
                        <ConfirmButton label="Delete" confirmLabel="Yes, delete" question={`Delete join token ${token.prefix}…?`}
                          disabled={remove.isPending} onConfirm={() => remove.mutate(token.id)} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
