import type { ApiToken } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { OptionalTime } from '@/components/ui/optional-time';
import { RelativeTime } from '@/components/ui/relative-time';
import { useRevokeApiToken } from '../api/tokens';

function status(token: ApiToken): { label: string; tone: 'good' | 'muted' | 'danger' } {
  if (token.revoked_at !== undefined) return { label: 'revoked', tone: 'danger' };
  if (token.expires_at !== undefined && Date.parse(token.expires_at) <= Date.now()) return { label: 'expired', tone: 'muted' };
  return { label: 'active', tone: 'good' };
}

/** Every API token: what recognises it (prefix), what it may do, when it was used, and Revoke. */
export function TokenTable({ tokens }: { tokens: readonly ApiToken[] }) {
  const revoke = useRevokeApiToken();
  if (tokens.length === 0) return <p className="muted">No API tokens yet.</p>;
  return (
    <>
      {revoke.isError && <ErrorMessage title="The token was not revoked" error={revoke.error} />}
      <div className="table-wrap">
        <table className="table" aria-label="API tokens">
          <thead>
            <tr><th>Name</th><th>Prefix</th><th>Scope</th><th>Status</th><th>Created</th><th>Expires</th><th>Last used</th><th><span className="visually-hidden">Actions</span></th></tr>
          </thead>
          <tbody>
            {tokens.map((token) => {
              const state = status(token);
              return (
                <tr key={token.id}>
                  <th scope="row">{token.name}</th>
                  <td><code>{token.prefix}…</code></td>
                  <td>{token.scope}</td>
                  <td>
                    <Badge tone={state.tone}>{state.label}</Badge>
                    {token.revoked_at !== undefined && <> <OptionalTime iso={token.revoked_at} absent="" /></>}
                  </td>
                  <td><RelativeTime iso={token.created_at} /> by {token.created_by}</td>
                  <td><OptionalTime iso={token.expires_at} absent="never" /></td>
                  <td><OptionalTime iso={token.last_used_at} absent="never" /></td>
                  <td>
                    {token.revoked_at === undefined && (
                      <ConfirmButton
                        label="Revoke"
                        confirmLabel="Yes, revoke"
                        question={`Revoke ${token.name}? Anything using it is refused from now on.`}
                        disabled={revoke.isPending}
                        onConfirm={() => revoke.mutate(token.id)}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
