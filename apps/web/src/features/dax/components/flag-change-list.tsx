import type { FsDaxFlagChange } from '@daxfleet/shared';
import { useState } from 'react';
import { pendingReasonText } from '../utils/pending-reasons';

/** Rows shown per page of the dry-run list (a subtree can have thousands of files). */
export const FLAG_CHANGES_PAGE_SIZE = 50;

const onOff = (value: boolean | undefined) => (value === undefined ? '—' : value ? 'on' : 'off');

/** The policy's dry run: each path whose flag changes, flag and effective state before → after, and why pending. */
export function FlagChangeList({ changes, total, pageSize = FLAG_CHANGES_PAGE_SIZE }: {
  changes: readonly FsDaxFlagChange[]; total: number | undefined; pageSize?: number;
}) {
  const [page, setPage] = useState(0);
  const pages = Math.max(1, Math.ceil(changes.length / pageSize));
  const shown = changes.slice(page * pageSize, (page + 1) * pageSize);
  const all = total ?? changes.length;
  return (
    <section aria-label="Flag changes" className="panel">
      <h2>Flag changes ({all})</h2>
      {all > changes.length && <p className="muted">The agent listed the first {changes.length} of {all} changes.</p>}
      {changes.length === 0
        ? <p>No flag changes: every path already has the flag asked for.</p>
        : (
          <>
            <table className="table table--compact" aria-label="Flag changes">
              <thead>
                <tr>
                  <th scope="col">Path</th><th scope="col">Kind</th><th scope="col">Flag</th><th scope="col">Effective</th><th scope="col">Pending because</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((change) => (
                  <tr key={`${change.path}:${change.inode}`}>
                    <td><code>{change.path}</code></td>
                    <td>{change.kind}</td>
                    <td className="dax-nowrap">{onOff(change.flag_before)} → {onOff(change.flag_after)}</td>
                    <td className="dax-nowrap">{change.kind === 'dir' ? 'n/a' : `${onOff(change.effective_before)} → ${onOff(change.effective_after)}`}</td>
                    <td>{change.pending_reason === undefined ? '' : pendingReasonText(change.pending_reason)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {pages > 1 && (
              <nav aria-label="Flag change pages" className="actions">
                <button type="button" className="button" disabled={page === 0} onClick={() => setPage(page - 1)}>Previous page</button>
                <span>Page {page + 1} of {pages}</span>
                <button type="button" className="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>Next page</button>
              </nav>
            )}
          </>
        )}
    </section>
  );
}
