import type { FsDaxEntry } from '@daxfleet/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { pendingReasonText } from '../utils/pending-reasons';

const STATE_TONE: Record<FsDaxEntry['state'], BadgeTone> = { dax: 'good', 'not-dax': 'neutral', pending: 'warning', 'n/a': 'muted' };

export function DaxStateBadge({ state }: { state: FsDaxEntry['state'] }) {
  return <Badge tone={STATE_TONE[state]}>{state}</Badge>;
}

/** Why an entry is pending (in words, the agent's sentence, who holds it open), or its read error. */
export function EntryWhy({ entry }: { entry: FsDaxEntry }) {
  if (entry.error !== undefined) return <span className="text-warning">{entry.error}</span>;
  if (entry.state !== 'pending') return null;
  return (
    <div className="dax-why">
      <div>{pendingReasonText(entry.reason)}</div>
      {entry.detail !== undefined && <div className="muted">{entry.detail}</div>}
      {entry.holders !== undefined && entry.holders.length > 0 && (
        <ul aria-label={`Holders of ${entry.path}`} className="dax-holders">
          {entry.holders.map((holder) => <li key={holder.pid}>pid {holder.pid} ({holder.command})</li>)}
        </ul>
      )}
    </div>
  );
}

export const onOff = (value: boolean) => (value ? 'on' : 'off');
export const effectiveText = (entry: FsDaxEntry) => (entry.effective === undefined ? '—' : entry.effective ? 'DAX' : 'not DAX');
