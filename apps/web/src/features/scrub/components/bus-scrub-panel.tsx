import type { Bus } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { ErrorMessage } from '@/components/ui/error-message';
import { IfRole } from '@/features/auth/components/require-role';
import { useStartHostScrub } from '../api/scrubs';

function BusScrubRow({ hostId, bus }: { hostId: string; bus: Bus }) {
  const start = useStartHostScrub(hostId);
  const result = start.data?.buses.find((candidate) => candidate.bus === bus.dev);
  const canScrub = bus.scrub_state !== undefined;
  return (
    <tr>
      <th scope="row"><code>{bus.dev}</code> <span className="muted">{bus.provider}</span></th>
      <td>
        {!canScrub && <span className="muted">no address-range scrub on this bus</span>}
        {bus.scrub_state === 'active' && <Badge tone="info">scrub running</Badge>}
        {bus.scrub_state === 'idle' && <Badge tone="muted">idle</Badge>}
      </td>
      <td>{bus.scrub_count ?? <span className="muted">-</span>}</td>
      <td>
        {canScrub && (
          <IfRole role="operator">
            <button type="button" className="button" disabled={start.isPending || bus.scrub_state === 'active'}
              onClick={() => start.mutate(bus.dev)} aria-label={`Start scrub on ${bus.dev}`}>
              {start.isPending ? 'Asking the agent…' : 'Start scrub'}
            </button>{' '}
            <span role="status" className="host-actions__status">
              {result !== undefined && (result.started ? 'Scrub started: the bus reads active until it completes.' : `Not started: ${result.reason ?? 'the agent did not start it'}`)}
            </span>
            {start.isError && <ErrorMessage title="The scrub was not started" error={start.error} />}
          </IfRole>
        )}
      </td>
    </tr>
  );
}

/**
 * The host's buses and their address-range scrub: state (idle/active), completed scrubs since boot, and "Start
 * scrub" for operators on a bus that offers it (nfit/scrub). A scrub finds latent bad blocks; they appear in the
 * ledger when the agent reports after it completes.
 */
export function BusScrubPanel({ hostId, buses }: { hostId: string; buses: readonly Bus[] }) {
  if (buses.length === 0) return null;
  return (
    <section aria-labelledby="scrub-heading" className="panel">
      <h2 id="scrub-heading">Address-range scrub</h2>
      <table className="table table--compact" aria-label="Bus scrub state">
        <thead><tr><th scope="col">Bus</th><th scope="col">Scrub</th><th scope="col">Completed since boot</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr></thead>
        <tbody>{buses.map((bus) => <BusScrubRow key={bus.dev} hostId={hostId} bus={bus} />)}</tbody>
      </table>
    </section>
  );
}
