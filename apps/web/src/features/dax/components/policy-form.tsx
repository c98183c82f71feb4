import type { DaxChangeRequest } from '@daxfleet/shared';
import { useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { paths } from '@/config/paths';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { useCreateDaxChange } from '../api/dax-changes';
import { DEFAULT_TTL_MINUTES, OperatorNote, SelectField, TtlField } from './change-form-fields';

type Existing = NonNullable<Extract<DaxChangeRequest, { kind: 'fs-dax-policy' }>['existing']>;

const EXISTING_CHOICES: { value: Existing; label: string }[] = [
  { value: 'none', label: 'none: only this path (new files and directories in it inherit)' },
  { value: 'directories', label: 'directories: also every existing subdirectory' },
  { value: 'all', label: 'all: every existing subdirectory and regular file' },
];

/** "Set DAX policy…" on a path: the flag on or off, how far into what exists, and a dry run that opens the change page. */
export function PolicyForm({ hostId, path, onCancel }: { hostId: string; path: string; onCancel: () => void }) {
  const me = useMe();
  const mayPlan = hasRole(me.data, 'operator');
  const navigate = useNavigate();
  const create = useCreateDaxChange(hostId);
  const ids = useId();
  const [dax, setDax] = useState(true);
  const [existing, setExisting] = useState<Existing>('none');
  const [ttlMinutes, setTtlMinutes] = useState(DEFAULT_TTL_MINUTES);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ request: { kind: 'fs-dax-policy', path, dax, existing }, ttl_seconds: ttlMinutes * 60 },
      { onSuccess: (change) => void navigate(paths.daxChange.getHref(change.id)) });
  };
  return (
    <form className="form panel dax-form" aria-labelledby={`${ids}-title`} onSubmit={submit}>
      <h3 id={`${ids}-title`}>Set DAX policy on {path}</h3>
      <p className="muted">
        Sets or clears the persistent FS_XFLAG_DAX flag. Files and directories created in a flagged directory inherit it;
        existing ones keep theirs unless included below. Under dax=inode a file&apos;s change takes effect once it is closed everywhere and evicted.
      </p>
      <fieldset>
        <legend>DAX flag</legend>
        <label><input type="radio" name={`${ids}-dax`} checked={dax} onChange={() => setDax(true)} /> On</label>{' '}
        <label><input type="radio" name={`${ids}-dax`} checked={!dax} onChange={() => setDax(false)} /> Off</label>
      </fieldset>
      <SelectField label="Existing files and directories" value={existing} onChange={(value) => setExisting(value as Existing)}>
        {EXISTING_CHOICES.map((choice) => <option key={choice.value} value={choice.value}>{choice.label}</option>)}
      </SelectField>
      <TtlField minutes={ttlMinutes} onChange={setTtlMinutes} />
      {create.isError && <ErrorMessage title="The hub could not plan this policy" error={create.error} />}
      <div className="actions">
        <button type="submit" className="button button--primary" disabled={create.isPending || !mayPlan} aria-busy={create.isPending}>Plan (dry run)</button>
        <button type="button" className="button" onClick={onCancel}>Cancel</button>
        {!mayPlan && <OperatorNote what="set a DAX policy" />}
        {mayPlan && create.isPending && <span role="status">Planning on the host: listing every flag that would change…</span>}
      </div>
    </form>
  );
}
