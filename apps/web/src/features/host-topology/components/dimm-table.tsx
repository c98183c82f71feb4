import type { Dimm, DimmHealth } from '@daxfleet/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Missing } from './missing';

const HEALTH_TONE: Record<NonNullable<DimmHealth['health_state']>, BadgeTone> = {
  ok: 'good',
  'non-critical': 'warning',
  critical: 'danger',
  fatal: 'danger',
  unknown: 'muted',
};

function HealthCell({ health }: { health: DimmHealth | undefined }) {
  if (health === undefined) return <Badge tone="muted" title="the host could not read SMART health (no native addon)">not reported</Badge>;
  if (!health.supported) return <Badge tone="muted" title="this DIMM family has no SMART health command">not supported</Badge>;
  if (health.error !== undefined) return <Badge tone="warning" title={health.error}>error</Badge>;
  if (health.health_state === undefined) return <Badge tone="muted" title="the DIMM answered SMART without a valid health state">unknown</Badge>;
  return <Badge tone={HEALTH_TONE[health.health_state]}>{health.health_state}</Badge>;
}

function optional(value: number | string | undefined, suffix = '') {
  return value === undefined ? <Missing /> : <>{value}{suffix}</>;
}

/** The DIMM's security state as the kernel reports it (nmemN/security), e.g. "disabled", "unlocked", "frozen". */
function Security({ dimm }: { dimm: Dimm }) {
  if (dimm.security === undefined) return <Missing />;
  const frozen = dimm.security_frozen === true && dimm.security !== 'frozen';
  return <>{dimm.security}{frozen && ', frozen'}</>;
}

function Shutdown({ health }: { health: DimmHealth | undefined }) {
  if (health?.shutdown_state === undefined && health?.shutdown_count === undefined) return <Missing />;
  const parts = [health.shutdown_state, health.shutdown_count === undefined ? undefined : `${health.shutdown_count} unsafe`];
  return <>{parts.filter((part) => part !== undefined).join(', ')}</>;
}

export function DimmTable({ dimms, busDev }: { dimms: readonly Dimm[]; busDev: string }) {
  if (dimms.length === 0) return <p className="muted">No DIMMs on {busDev}.</p>;
  return (
    <div className="table-wrap">
      <table className="table table--compact dimm-table">
        <caption>DIMMs on {busDev}</caption>
        <thead>
          <tr>
            <th scope="col">DIMM</th>
            <th scope="col">Id</th>
            <th scope="col">Handle</th>
            <th scope="col">Phys id</th>
            <th scope="col">State</th>
            <th scope="col">Security</th>
            <th scope="col">Health</th>
            <th scope="col">Temperature</th>
            <th scope="col">Spares</th>
            <th scope="col">Life used</th>
            <th scope="col">Shutdown</th>
            <th scope="col">Flags</th>
          </tr>
        </thead>
        <tbody>
          {dimms.map((dimm) => (
            <tr key={dimm.dev}>
              <th scope="row">{dimm.dev}</th>
              <td>{dimm.id === undefined ? <Missing /> : <code>{dimm.id}</code>}</td>
              <td>{optional(dimm.handle === undefined ? undefined : `0x${dimm.handle.toString(16)}`)}</td>
              <td>{optional(dimm.phys_id === undefined ? undefined : `0x${dimm.phys_id.toString(16)}`)}</td>
              <td>{dimm.state === 'enabled' ? 'enabled' : <Badge tone="warning">disabled</Badge>}</td>
              <td><Security dimm={dimm} /></td>
              <td><HealthCell health={dimm.health} /></td>
              <td>{optional(dimm.health?.temperature_celsius, ' °C')}</td>
              <td>{optional(dimm.health?.spares_percentage, ' %')}</td>
              <td>{optional(dimm.health?.life_used_percentage, ' %')}</td>
              <td><Shutdown health={dimm.health} /></td>
              <td>{dimm.flags === undefined || dimm.flags.length === 0 ? <Missing /> : dimm.flags.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
