import { useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { useAudit, type AuditFilter } from '../api/get-audit';
import { AuditFilterForm } from './audit-filter';

/** Who did what, from where, to what, when, and whether it worked; newest first. `initialFilter`: from a link. */
export function AuditLog({ initialFilter = {} }: { initialFilter?: AuditFilter }) {
  const [filter, setFilter] = useState<AuditFilter>(initialFilter);
  const audit = useAudit(filter);
  const entries = audit.data?.pages.flatMap((page) => page.entries) ?? [];
  return (
    <section aria-label="Audit log">
      <AuditFilterForm initial={initialFilter} onApply={setFilter} />
      {audit.isPending && <Loading label="Loading the audit log" />}
      {audit.isError && <ErrorMessage title="Could not load the audit log" error={audit.error} onRetry={() => void audit.refetch()} />}
      {audit.isSuccess && entries.length === 0 && <p className="muted">No audit entries match these filters.</p>}
      {entries.length > 0 && (
        <div className="table-wrap">
          <table className="table table--compact" aria-label="Audit entries">
            <thead><tr><th>When</th><th>Actor</th><th>From</th><th>Action</th><th>Target</th><th>Result</th><th>Detail</th></tr></thead>
            <tbody>
              {entries.map((entry) => (
                <tr key={entry.id}>
                  <td><RelativeTime iso={entry.at} /></td>
                  <td>{entry.actor} <span className="muted">({entry.actor_kind})</span></td>
                  <td><code>{entry.source_ip}</code></td>
                  <td><code>{entry.action}</code></td>
                  <td>{entry.target ?? <span className="muted">-</span>}</td>
                  <td><Badge tone={entry.result === 'success' ? 'good' : 'danger'}>{entry.result} {entry.status_code}</Badge></td>
                  <td className="muted">{entry.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {audit.hasNextPage && (
        <button type="button" className="button" disabled={audit.isFetchingNextPage} onClick={() => void audit.fetchNextPage()}>
          {audit.isFetchingNextPage ? 'Loading older entries…' : 'Show older'}
        </button>
      )}
    </section>
  );
}
