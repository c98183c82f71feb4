import { useState, type FormEvent } from 'react';
import type { AuditFilter } from '../api/get-audit';

/** datetime-local gives "2026-11-27T11:30" in local time; the hub wants an ISO date-time. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** Filters for the audit log; applied on submit so typing does not fire a request per key. */
export function AuditFilterForm({ onApply }: { onApply: (filter: AuditFilter) => void }) {
  const [actor, setActor] = useState('');
  const [action, setAction] = useState('');
  const [result, setResult] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const filter: AuditFilter = {};
    if (actor.trim() !== '') filter.actor = actor.trim();
    if (action.trim() !== '') filter.action = action.trim();
    if (result === 'success' || result === 'failure') filter.result = result;
    const sinceIso = toIso(since);
    const untilIso = toIso(until);
    if (sinceIso !== undefined) filter.since = sinceIso;
    if (untilIso !== undefined) filter.until = untilIso;
    onApply(filter);
  };
  return (
    <form className="form form--inline" onSubmit={submit} aria-label="Filter the audit log">
      <label className="form__field"><span>Actor</span><input value={actor} maxLength={128} placeholder="username, token or host" onChange={(event) => setActor(event.target.value)} /></label>
      <label className="form__field"><span>Action</span><input value={action} maxLength={64} placeholder="e.g. auth.login" onChange={(event) => setAction(event.target.value)} /></label>
      <label className="form__field">
        <span>Result</span>
        <select value={result} onChange={(event) => setResult(event.target.value)}>
          <option value="">any</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
        </select>
      </label>
      <label className="form__field"><span>From</span><input type="datetime-local" value={since} onChange={(event) => setSince(event.target.value)} /></label>
      <label className="form__field"><span>To</span><input type="datetime-local" value={until} onChange={(event) => setUntil(event.target.value)} /></label>
      <button type="submit" className="button button--primary">Apply filters</button>
    </form>
  );
}
