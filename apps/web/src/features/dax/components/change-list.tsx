import { Link } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { useDaxChanges, type DaxChangeFilter } from '../api/dax-changes';
import { changeTitle } from '../utils/describe-change';
import { DaxChangeStatusBadge } from './change-parts';

/** Recent DAX changes, newest first, each linking to its page. */
export function DaxChangeList({ filter, showHost = true }: { filter: DaxChangeFilter; showHost?: boolean }) {
  const changes = useDaxChanges(filter);
  if (changes.isPending) return <Loading label="Loading DAX changes" />;
  if (changes.data === undefined) return <ErrorMessage title="Could not load the DAX changes" error={changes.error} onRetry={() => void changes.refetch()} />;
  if (changes.data.changes.length === 0) return <p className="muted">No DAX changes yet.</p>;
  return (
    <table className="table table--compact" aria-label="DAX changes">
      <thead>
        <tr><th scope="col">Change</th>{showHost && <th scope="col">Host</th>}<th scope="col">Status</th><th scope="col">Planned</th><th scope="col">By</th></tr>
      </thead>
      <tbody>
        {changes.data.changes.map((change) => (
          <tr key={change.id}>
            <th scope="row"><Link to={paths.daxChange.getHref(change.id)}>{changeTitle(change.plan.request)}</Link></th>
            {showHost && <td><Link to={paths.hostDax.getHref(change.host_id)}>{change.host_id}</Link></td>}
            <td><DaxChangeStatusBadge status={change.status} /></td>
            <td><RelativeTime iso={change.created_at} /></td>
            <td>{change.created_by}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
