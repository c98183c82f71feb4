import { DAX_CHANGE_TTL_SECONDS } from '@daxfleet/shared';

const TTL_CHOICES_MINUTES = [5, 10, 30, 60] as const;
export const DEFAULT_TTL_MINUTES = DAX_CHANGE_TTL_SECONDS / 60;

/** How long the plan stays executable (ttl_seconds). */
export function TtlField({ minutes, onChange }: { minutes: number; onChange: (minutes: number) => void }) {
  return (
    <label className="form__field">
      <span>Plan valid for</span>
      <select value={minutes} onChange={(event) => onChange(Number(event.target.value))}>
        {TTL_CHOICES_MINUTES.map((choice) => <option key={choice} value={choice}>{choice} minutes</option>)}
      </select>
    </label>
  );
}

/** The note viewers see instead of planning (the hub refuses them anyway). */
export function OperatorNote({ what }: { what: string }) {
  return <p className="dax-role-note" role="note">An operator must {what}.</p>;
}
