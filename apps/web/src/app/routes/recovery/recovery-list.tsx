import { RecoveryStatusSchema, type RecoveryStatus } from '@daxfleet/shared';
import { useSearchParams } from 'react-router';
import { RecoveryPlanList } from '@/features/recovery/components/plan-list';

const STATUSES = RecoveryStatusSchema.anyOf.map((literal) => literal.const as RecoveryStatus);

/** /recovery: recent recovery plans of the fleet (or of ?host=), filtered by ?status=. */
export function RecoveryListRoute() {
  const [searchParams, setSearchParams] = useSearchParams();
  const host = searchParams.get('host') ?? undefined;
  const rawStatus = searchParams.get('status');
  const status = STATUSES.find((candidate) => candidate === rawStatus);
  const setStatus = (next: string) => {
    const params = new URLSearchParams(searchParams);
    if (next === '') params.delete('status');
    else params.set('status', next);
    setSearchParams(params, { replace: true });
  };
  return (
    <>
      <title>Recovery · daxfleet</title>
      <div className="page-title"><h1>Recovery plans</h1></div>
      <p className="muted">
        Start a recovery from an open bad range on the Media errors page (&quot;Recover…&quot;). Each plan is a dry run the host&apos;s
        agent made; an operator executes it after reviewing the steps and the data it loses.
      </p>
      <form className="form form--inline" aria-label="Filter recovery plans" onSubmit={(event) => event.preventDefault()}>
        <label className="form__field">
          <span>Status</span>
          <select value={status ?? ''} onChange={(event) => setStatus(event.target.value)}>
            <option value="">any</option>
            {STATUSES.map((candidate) => <option key={candidate} value={candidate}>{candidate}</option>)}
          </select>
        </label>
        {host !== undefined && <span>Host <code>{host}</code></span>}
      </form>
      <RecoveryPlanList filter={{ host, status }} />
    </>
  );
}
