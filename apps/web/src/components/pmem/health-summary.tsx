import type { HealthSummary as HealthCounts } from '@daxfleet/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';

const HEALTH_STATES: Array<{ key: keyof HealthCounts; label: string; tone: BadgeTone }> = [
  { key: 'fatal', label: 'fatal', tone: 'danger' },
  { key: 'critical', label: 'critical', tone: 'danger' },
  { key: 'non-critical', label: 'non-critical', tone: 'warning' },
  { key: 'unknown', label: 'unknown', tone: 'muted' },
  { key: 'ok', label: 'ok', tone: 'good' },
  { key: 'not_reported', label: 'not reported', tone: 'muted' },
];

/** DIMM health counts of a host, worst first; states with no DIMM are left out. */
export function HealthSummary({ health, dimmCount }: { health: HealthCounts; dimmCount: number }) {
  if (dimmCount === 0) return <span className="muted">no DIMMs</span>;
  const present = HEALTH_STATES.filter((state) => health[state.key] > 0);
  return (
    <ul className="health-summary" aria-label={`DIMM health of ${dimmCount} ${dimmCount === 1 ? 'DIMM' : 'DIMMs'}`}>
      {present.map((state) => (
        <li key={state.key}>
          <Badge tone={state.tone}>{health[state.key]} {state.label}</Badge>
        </li>
      ))}
    </ul>
  );
}
