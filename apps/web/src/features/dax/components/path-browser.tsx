/**
 * A path browser over one host's files: each entry's persistent flag (FS_XFLAG_DAX), its effective state (S_DAX)
 * and, when they differ, why and who holds it; directories open on click; "Audit" lists every pending file under the
 * path. Operators only: the agent reads the metadata of any path it is given.
 */
import type { FsDaxEntry, FsDaxInspectResult } from '@daxfleet/shared';
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { ApiRequestError } from '@/lib/api-client';
import { useFsDax, type FsDaxQuery } from '../api/fs-dax';
import { daxModeText } from '../utils/fs-dax-mode';
import { TextField } from './change-form-fields';
import { DaxStateBadge, EntryWhy, effectiveText, onOff } from './fs-dax-state';

const OPERATOR_SENTENCE = 'An operator must inspect paths: the agent runs as root, reads the metadata of any path it is given and names the processes holding files.';

/** The parent of an absolute path ("/" stays "/"). */
export function parentPath(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const cut = trimmed.lastIndexOf('/');
  return cut <= 0 ? '/' : trimmed.slice(0, cut);
}

function Counts({ result }: { result: FsDaxInspectResult }) {
  const { counts } = result;
  return (
    <p className="muted" aria-label="Counts">
      Scanned {result.scanned}: {counts.dax} dax, {counts['not-dax']} not-dax, {counts.pending} pending, {counts['n/a']} n/a
      {result.truncated && ' (more exist: the list is cut)'}.
    </p>
  );
}

function EntryTable({ label, entries, onOpen, onPolicy, showSelf }: {
  label: string; entries: readonly FsDaxEntry[]; onOpen?: (path: string) => void; onPolicy: (path: string) => void; showSelf: boolean;
}) {
  return (
    <table className="table table--compact dax-entries" aria-label={label}>
      <thead>
        <tr><th scope="col">Path</th><th scope="col">Kind</th><th scope="col">Flag</th><th scope="col">Effective</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">Actions</th></tr>
      </thead>
      <tbody>
        {entries.map((entry, index) => (
          <tr key={`${entry.path}:${entry.inode}`} className={entry.state === 'pending' ? 'dax-entries__pending' : undefined}>
            <th scope="row">
              {entry.kind === 'dir' && onOpen !== undefined && !(showSelf && index === 0)
                ? <button type="button" className="link-button" aria-label={`Open ${entry.path}`} onClick={() => onOpen(entry.path)}><code>{entry.path}</code>/</button>
                : <code>{entry.path}</code>}
              {showSelf && index === 0 && <span className="muted"> (this path)</span>}
            </th>
            <td>{entry.kind}</td>
            <td>{onOff(entry.flag)}</td>
            <td>{effectiveText(entry)}</td>
            <td><span aria-label={`State of ${entry.path}`}><DaxStateBadge state={entry.state} /></span></td>
            <td><EntryWhy entry={entry} /></td>
            <td>{entry.kind !== 'other' && entry.error === undefined && (
              <button type="button" className="button" aria-label={`Set DAX policy on ${entry.path}`} onClick={() => onPolicy(entry.path)}>Policy…</button>
            )}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function InspectView({ hostId, query, onOpen, onPolicy }: { hostId: string; query: FsDaxQuery; onOpen: (path: string) => void; onPolicy: (path: string) => void }) {
  const audit = query.mismatchesOnly === true;
  const result = useFsDax(hostId, query);
  if (result.isPending) return <p role="status">{audit ? `Auditing ${query.path} on the host…` : `Reading ${query.path} on the host…`}</p>;
  if (result.isError) {
    if (result.error instanceof ApiRequestError && result.error.status === 403) return <p className="dax-role-note" role="note">{OPERATOR_SENTENCE}</p>;
    return <ErrorMessage title={`Could not inspect ${query.path}`} error={result.error} onRetry={() => void result.refetch()} />;
  }
  const data = result.data;
  return (
    <div>
      {data.filesystem !== undefined && (
        <p className="muted">On <code>{data.filesystem.mountpoint}</code> ({data.filesystem.fstype}, {daxModeText(data.filesystem)}
          {data.filesystem.per_inode ? ': per-inode flags honoured' : ': per-inode flags not honoured'}).</p>
      )}
      {data.error !== undefined && <p role="alert">{data.error}</p>}
      <Counts result={data} />
      {audit
        ? (data.entries.length === 0
          ? <p>No pending files under <code>{query.path}</code>: every file&apos;s effective state matches its flag and mount.</p>
          : <EntryTable label={`Pending files under ${query.path}`} entries={data.entries} onPolicy={onPolicy} showSelf={false} />)
        : <EntryTable label={`Entries of ${query.path}`} entries={data.entries} onOpen={onOpen} onPolicy={onPolicy} showSelf />}
    </div>
  );
}

/**
 * `initialPath`: what the path box starts with (the first mountpoint); `requested`: a path chosen elsewhere ("Browse"
 * in the filesystems table), shown at once each time it is chosen (a new object each time).
 */
export function PathBrowser({ hostId, initialPath, requested, onPolicy }: {
  hostId: string; initialPath: string | undefined; requested: { path: string } | undefined; onPolicy: (path: string) => void;
}) {
  const me = useMe();
  const mayInspect = hasRole(me.data, 'operator');
  const [draft, setDraft] = useState(initialPath ?? '/');
  const [query, setQuery] = useState<FsDaxQuery | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const look = (path: string, mismatchesOnly: boolean) => {
    setError(undefined);
    if (!path.startsWith('/')) return setError('Give an absolute path on the host, e.g. /mnt/pmem.');
    setDraft(path);
    setQuery(mismatchesOnly ? { path, recursive: true, mismatchesOnly: true } : { path });
  };
  // the first mountpoint, once the host loads, fills the path box (unless something was asked already)
  useEffect(() => { if (initialPath !== undefined && query === undefined) setDraft(initialPath); }, [initialPath]);
  // "Browse" in the filesystems table: show that mountpoint now (viewers: nothing is asked)
  useEffect(() => {
    if (requested === undefined) return;
    if (mayInspect) look(requested.path, false);
    else setDraft(requested.path);
  }, [requested]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    look(draft.trim(), false);
  };

  return (
    <section aria-labelledby="dax-browser-heading">
      <h2 id="dax-browser-heading">Files and their DAX state</h2>
      {!mayInspect
        ? <p className="dax-role-note" role="note">{OPERATOR_SENTENCE}</p>
        : (
          <>
            <form className="form form--inline" aria-label="Browse a path" onSubmit={submit}>
              <TextField label="Path" value={draft} maxLength={1024} onChange={setDraft} />
              <button type="submit" className="button button--primary">Show</button>
              <button type="button" className="button" onClick={() => look(parentPath(draft.trim()), false)} disabled={draft.trim() === '/'}>Up</button>
              <button type="button" className="button" onClick={() => look(draft.trim(), true)}>Audit</button>
              <button type="button" className="button" onClick={() => (draft.trim().startsWith('/') ? onPolicy(draft.trim()) : setError('Give an absolute path on the host, e.g. /mnt/pmem.'))}>Set DAX policy…</button>
            </form>
            {error !== undefined && <p className="form__error" role="alert">{error}</p>}
            {query !== undefined && <InspectView hostId={hostId} query={query} onOpen={(path) => look(path, false)} onPolicy={onPolicy} />}
          </>
        )}
    </section>
  );
}
