import { DAX_CHANGE_TTL_SECONDS } from '@daxfleet/shared';
import { useId, type ReactNode } from 'react';

const TTL_CHOICES_MINUTES = [5, 10, 30, 60] as const;
export const DEFAULT_TTL_MINUTES = DAX_CHANGE_TTL_SECONDS / 60;

/**
 * A labelled select. The label is a sibling tied by id, not a wrapper: a wrapping label's text would include the
 * options' text, and "the field labelled Mode" (exactly) would then not be found by label text.
 */
export function SelectField({ label, value, onChange, children }: {
  label: string; value: string | number; onChange: (value: string) => void; children: ReactNode;
}) {
  const id = useId();
  return (
    <div className="form__field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(event) => onChange(event.target.value)}>{children}</select>
    </div>
  );
}

/** A labelled text input, the label tied by id like SelectField's. */
export function TextField({ label, value, onChange, placeholder, maxLength }: {
  label: string; value: string; onChange: (value: string) => void; placeholder?: string; maxLength?: number;
}) {
  const id = useId();
  return (
    <div className="form__field">
      <label htmlFor={id}>{label}</label>
      <input id={id} value={value} placeholder={placeholder} maxLength={maxLength} onChange={(event) => onChange(event.target.value)} />
    </div>
  );
}

/** How long the plan stays executable (ttl_seconds). */
export function TtlField({ minutes, onChange }: { minutes: number; onChange: (minutes: number) => void }) {
  return (
    <SelectField label="Plan valid for" value={minutes} onChange={(value) => onChange(Number(value))}>
      {TTL_CHOICES_MINUTES.map((choice) => <option key={choice} value={choice}>{choice} minutes</option>)}
    </SelectField>
  );
}

/** The note viewers see instead of planning (the hub refuses them anyway). */
export function OperatorNote({ what }: { what: string }) {
  return <p className="dax-role-note" role="note">An operator must {what}.</p>;
}
