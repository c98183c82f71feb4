import type { DaxChange, FsDaxInspectResult } from '@daxfleet/shared';
import { Link } from 'react-router';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { CheckTable } from './change-parts';
import { DaxStateBadge, EntryWhy, effectiveText, onOff } from './fs-dax-state';

/** A policy's after (an inspection of the path): each entry's flag, effective state and why pending. */
function AfterEntries({ after }: { after: unknown }) {
  const entries = typeof after === 'object' && after !== null && Array.isArray((after as { entries?: unknown }).entries)
    ? (after as FsDaxInspectResult).entries : undefined;
  if (entries === undefined || entries.length === 0) return null;
  return (
    <>
      <h3>After the change</h3>
      <table className="table table--compact" aria-label="After the change">
        <thead><tr><th scope="col">Path</th><th scope="col">Flag</th><th scope="col">Effective</th><th scope="col">State</th><th scope="col">Why</th></tr></thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={`${entry.path}:${entry.inode}`}>
              <th scope="row"><code>{entry.path}</code></th>
              <td>{onOff(entry.flag)}</td>
              <td>{effectiveText(entry)}</td>
              <td><span aria-label={`State of ${entry.path}`}><DaxStateBadge state={entry.state} /></span></td>
              <td><EntryWhy entry={entry} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

const OUTCOME_TITLE = { verified: 'Verified', failed: 'Failed' } as const;

/** After an execution: the outcome from the fresh scan, each verification check, what the object is now. */
export function ResultPanel({ change }: { change: DaxChange }) {
  const result = change.result;
  const title = result !== undefined ? OUTCOME_TITLE[result.outcome] : change.status === 'interrupted' ? 'Interrupted' : 'Failed';
  return (
    <section aria-label="Result" className={`panel dax-result dax-result--${result?.outcome ?? 'failed'}`}>
      <h2>Result: {title}</h2>
      {result === undefined && (
        <p role="alert">{change.status === 'interrupted'
          ? 'The agent did not answer the execute command (timeout or restart): the host\'s next scan shows what happened.'
          : 'The execution ended without a result.'}</p>
      )}
      {result !== undefined && (
        <>
          {result.error !== undefined && <p role="alert">{result.error}</p>}
          <p>
            Executed by {result.executed_by}, finished <RelativeTime iso={result.finished_at} />.
            {result.changed !== undefined && <> {result.changed} {result.changed === 1 ? 'flag' : 'flags'} changed.</>}
            {result.pending !== undefined && <> {result.pending} {result.pending === 1 ? 'file is' : 'files are'} pending: flag and effective state differ (why: below).</>}
          </p>
          <h3>Verification checks</h3>
          <CheckTable checks={result.verification} label="Verification checks" />
          <AfterEntries after={result.after} />
          {result.after !== undefined && (
            <details>
              <summary>The object after the change (fresh scan)</summary>
              <pre className="dax-json">{JSON.stringify(result.after, null, 2)}</pre>
            </details>
          )}
        </>
      )}
      <p className="actions">
        <Link to={paths.hostDax.getHref(change.host_id)}>DAX of this host</Link>
        <Link to={paths.admin.audit.getHref({ target: `change:${change.id}` })}>Audit log of this change</Link>
      </p>
    </section>
  );
}
