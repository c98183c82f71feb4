/*
 * The page of one DAX change, /dax/changes/:changeId: review the dry run (request, before → expected, steps, data
 * loss, checks, a policy's flag changes), execute it (operators, with the reviewed digest), the verified result.
 * Accessible names the e2e walk relies on are listed in ../README.md.
 */
import type { DaxChange } from '@daxfleet/shared';
import { DAX_CHANGE_FINAL_STATUSES } from '@daxfleet/shared';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { Link, useNavigate } from 'react-router';
import { DescriptionList } from '@/components/ui/description-list';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { daxChangeQueryKey, useCreateDaxChange, useDaxChange } from '../api/dax-changes';
import { changeTitle, KIND_MEANINGS, requestFields } from '../utils/describe-change';
import { BeforeExpected, ChangeSteps, CheckTable, DataLoss, DaxChangeStatusBadge, ExpiryCountdown, useSecondsLeft } from './change-parts';
import { ExecutePanel } from './execute-panel';
import { FlagChangeList } from './flag-change-list';
import { ResultPanel } from './result-panel';
import '../dax.css';

export function DaxChangePage({ changeId }: { changeId: string }) {
  const change = useDaxChange(changeId);
  if (change.isPending) return <Loading label="Loading the DAX change" />;
  if (change.data === undefined) {
    return (
      <>
        <h1>DAX change {changeId}</h1>
        <ErrorMessage title="Could not load this DAX change" error={change.error} onRetry={() => void change.refetch()} />
      </>
    );
  }
  return (
    <>
      {change.isError && <ErrorMessage title="This page may be out of date: the last refresh failed" error={change.error} />}
      <ChangeView change={change.data} />
    </>
  );
}

/** Everything about one change, by its status. */
export function ChangeView({ change }: { change: DaxChange }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const replan = useCreateDaxChange(change.host_id);
  const secondsLeft = useSecondsLeft(change.expires_at);
  // the hub marks it expired on its own clock; when ours says so, ask it
  const expiredHere = change.status === 'planned' && secondsLeft === 0;
  useEffect(() => {
    if (expiredHere) void queryClient.invalidateQueries({ queryKey: daxChangeQueryKey(change.id) });
  }, [expiredHere, change.id, queryClient]);
  const expired = change.status === 'expired' || expiredHere;
  const { plan } = change;
  const planAgain = () => replan.mutate({ request: plan.request }, { onSuccess: (fresh) => void navigate(paths.daxChange.getHref(fresh.id)) });
  const finished = DAX_CHANGE_FINAL_STATUSES.includes(change.status) && change.executed_at !== undefined;
  const failedChecks = plan.checks.filter((check) => !check.ok).length;
  const title = changeTitle(plan.request);

  return (
    <>
      <title>{`${title} · daxfleet`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.host.getHref(change.host_id)}>{change.host_id}</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={paths.hostDax.getHref(change.host_id)}>DAX</Link> <span aria-hidden="true">/</span> <span>{change.id}</span>
      </nav>
      <div className="page-title">
        <h1>{title}</h1>
        <span aria-label="Change status"><DaxChangeStatusBadge status={change.status} /></span>
      </div>
      <p className="muted">
        On <Link to={paths.hostDax.getHref(change.host_id)}>{change.host_id}</Link>; planned by {change.created_by}{' '}
        <RelativeTime iso={change.created_at} />. {KIND_MEANINGS[plan.request.kind]}
      </p>

      {change.status === 'refused' && (
        <div className="dax-banner dax-banner--refused" role="alert" aria-label="Refused">
          <p><strong>Refused:</strong> {plan.refusal ?? `${failedChecks} precondition${failedChecks === 1 ? '' : 's'} failed.`}</p>
          <p>Nothing was changed on the host. Fix what the failed check says, then plan again.</p>
          <button type="button" className="button button--primary" onClick={planAgain} disabled={replan.isPending}>Plan again</button>
        </div>
      )}
      {expired && (
        <div className="dax-banner dax-banner--expired" role="alert" aria-label="Expired">
          <p><strong>This plan expired</strong> before it was executed: the host may have changed since it was reviewed.</p>
          <button type="button" className="button button--primary" onClick={planAgain} disabled={replan.isPending}>Plan again</button>
        </div>
      )}
      {replan.isError && <ErrorMessage title="The hub could not plan this change again" error={replan.error} />}

      <DataLoss losses={plan.data_loss} finished={finished} />

      {change.status === 'planned' && !expired && (
        <section aria-label="Execute" className="panel">
          <h2>Execute</h2>
          <ExpiryCountdown seconds={secondsLeft} />
          <ExecutePanel change={change} onReplan={planAgain} replanning={replan.isPending} />
        </section>
      )}
      {change.status === 'executing' && (
        <section aria-label="Executing" className="panel">
          <h2>Executing</h2>
          <p role="status">The agent is running the steps; this page refreshes until the result arrives.</p>
        </section>
      )}
      {finished && <ResultPanel change={change} />}

      <section aria-label="Request" className="panel">
        <h2>Request</h2>
        <DescriptionList items={requestFields(plan.request).map((field) => ({ term: field.term, value: field.value }))} />
      </section>
      <BeforeExpected plan={plan} after={change.result?.after} />
      <ChangeSteps plan={plan} results={change.result?.steps} />
      <section aria-label="Preconditions">
        <h2>Preconditions</h2>
        <CheckTable checks={plan.checks} label="Preconditions" />
      </section>
      {plan.changes !== undefined && <FlagChangeList changes={plan.changes} total={plan.changes_total} />}
      <p className="muted dax-digest">Plan digest <code>{plan.digest}</code>: the agent runs the change only if planning again gives the same.</p>
    </>
  );
}
