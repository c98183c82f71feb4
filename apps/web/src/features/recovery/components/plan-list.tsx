import { Link } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { useRecoveryPlans, type RecoveryPlanFilter } from '../api/recovery-plans';
import { actionInfo } from '../utils/actions';
import { RecoveryStatusBadge } from './plan-details';

/** Recent recovery plans (newest first) with their status: the fleet's, or one host's (`showHost` false). */
export function RecoveryPlanList({ filter, showHost = true }: { filter: RecoveryPlanFilter; showHost?: boolean }) {
  const plans = useRecoveryPlans(filter);
  if (plans.isPending) return <Loading label="Loading recovery plans" />;
  if (plans.isError) return <ErrorMessage title="Could not load the recovery plans" error={plans.error} onRetry={() => void plans.refetch()} />;
  if (plans.data.plans.length === 0) return <p className="muted">No recovery plans{filter.status !== undefined ? ` with status ${filter.status}` : ''}.</p>;
  return (
    <div className="table-wrap">
      <table className="table table--compact" aria-label="Recovery plans">
        <thead>
          <tr>
            <th scope="col">Plan</th>
            {showHost && <th scope="col">Host</th>}
            <th scope="col">Range</th>
            <th scope="col">File</th>
            <th scope="col">Status</th>
            <th scope="col">Planned</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {plans.data.plans.map((plan) => {
            const { request } = plan.plan;
            return (
              <tr key={plan.id}>
                <td><Link to={paths.recovery.plan.getHref(plan.id)}>{actionInfo(plan.action).title}</Link></td>
                {showHost && <td><Link to={paths.host.getHref(plan.host_id)}>{plan.host_id}</Link></td>}
                <td><code>{`${request.range.region}+${request.range.region_offset}`}</code></td>
                <td>{request.path === undefined ? <span className="muted">-</span> : <code>{request.path}</code>}</td>
                <td><RecoveryStatusBadge status={plan.status} /></td>
                <td><RelativeTime iso={plan.created_at} /></td>
                <td>{plan.created_by}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
