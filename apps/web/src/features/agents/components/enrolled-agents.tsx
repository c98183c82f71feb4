import { Badge } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { OptionalTime } from '@/components/ui/optional-time';
import { RelativeTime } from '@/components/ui/relative-time';
import { useAgentCredentials, useRevokeAgent } from '../api/agents';

/** Enrolled agents: when each last reported with its credential, and Revoke (the hub refuses it afterwards). */
export function EnrolledAgents() {
  const agents = useAgentCredentials();
  const revoke = useRevokeAgent();
  return (
    <section aria-labelledby="enrolled-agents-heading" className="panel">
      <h2 id="enrolled-agents-heading">Enrolled agents</h2>
      {revoke.isError && <ErrorMessage title="The agent was not revoked" error={revoke.error} />}
      {agents.isPending && <Loading label="Loading agents" />}
      {agents.isError && <ErrorMessage title="Could not load the agents" error={agents.error} onRetry={() => void agents.refetch()} />}
      {agents.data !== undefined && (agents.data.agents.length === 0
        ? <p className="muted">No agent has enrolled yet.</p>
        : (
          <div className="table-wrap">
            <table className="table" aria-label="Enrolled agents">
              <thead><tr><th>Host id</th><th>State</th><th>Enrolled</th><th>Last used</th><th><span className="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {agents.data.agents.map((agent) => (
                  <tr key={agent.host_id}>
                    <th scope="row"><code>{agent.host_id}</code></th>
                    <td>{agent.revoked_at === undefined ? <Badge tone="good">active</Badge> : <Badge tone="danger">revoked</Badge>}</td>
                    <td><RelativeTime iso={agent.created_at} /></td>
                    <td><OptionalTime iso={agent.last_used_at} absent="never" /></td>
                    <td>
                      {agent.revoked_at === undefined && (
                        <ConfirmButton label="Revoke" confirmLabel="Yes, revoke" question={`Revoke the agent of ${agent.host_id}? Its reports are refused until it re-enrolls.`}
                          disabled={revoke.isPending} onConfirm={() => revoke.mutate(agent.host_id)} />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
    </section>
  );
}
