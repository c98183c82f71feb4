import { useState, type FormEvent } from 'react';
import type { AuditFilter } from '../api/get-audit';

/** datetime-local gives "2026-11-27T11:30" in local time; the hub wants an ISO date-time. */
function toIso(local: string): string | undefined {
  if (local === '') return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** An ISO date-time as datetime-local's value (local time, to the minute). */
function toLocal(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** Filters for the audit log; applied on submit so typing does not fire a request per key. `initial`: the filter shown first. */
export function AuditFilterForm({ onApply, initial = {} }: { onApply: (filter: AuditFilter) => void; initial?: AuditFilter }) {
  const [actor, setActor] = useState(initial.actor ?? '');
  const [action, setAction] = useState(initial.action ?? '');
  const [target, setTarget] = useState(initial.target ?? '');
  const [result, setResult] = useState<string>(initial.result ?? '');
  const [since, setSince] = useState(toLocal(initial.since));
  const [until, setUntil] = useState(toLocal(initial.until));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const filter: AuditFilter = {};
    if (actor.trim() !== '') filter.actor = actor.trim();
    if (action.trim() !== '') filter.action = action.trim();
    if (target.trim() !== '') filter.target = target.trim();
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
      <label className="form__field"><span>Target</span><input value={target} maxLength={512} placeholder="e.g. plan:ID" onChange={(event) => setTarget(event.target.value)} /></label>
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
