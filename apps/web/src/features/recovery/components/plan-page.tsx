/*
 * The page of one recovery plan, /recovery/:planId: review (step 3), execute (step 4), live progress (step 5) and
 * the verified result (step 6), all from the stored plan (GET /recovery/plans/:planId), refetched on each `recovery`
 * notice of the media stream, and polled only while it executes and the stream is down.
 * Accessible names the e2e walk relies on are listed in ../README.md.
 */
import type { RecoveryPlan } from '@daxfleet/shared';
import { RECOVERY_FINAL_STATUSES } from '@daxfleet/shared';
import { useEffect } from 'react';
import { Link, useNavigate } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { useMediaStreamState } from '@/features/media/api/media-stream';
import { useQueryClient } from '@tanstack/react-query';
import { recoveryPlanQueryKey, useCreateRecoveryPlan, useRecoveryPlan } from '../api/recovery-plans';
import { actionInfo } from '../utils/actions';
import { ExecutePanel } from './execute-panel';
import { ExpiryCountdown, useSecondsLeft } from './expiry';
import { CheckTable, DataLoss, PlanSteps, PlanTarget, RecoveryStatusBadge } from './plan-details';
import { ProgressPanel } from './progress-panel';
import '../recovery.css';
import { VerificationPanel } from './verification-panel';

/** The page's heading: "Punch a hole: /mnt/pmem/orders.tbl" / "Clear errors: region1+2048". */
export function planTitle(plan: RecoveryPlan): string {
  const { request } = plan.plan;
  return `${actionInfo(plan.action).title}: ${request.path ?? `${request.range.region}+${request.range.region_offset}`}`;
}

function isFinal(plan: RecoveryPlan): boolean {
  return RECOVERY_FINAL_STATUSES.includes(plan.status);
}

export function RecoveryPlanPage({ planId }: { planId: string }) {
  const stream = useMediaStreamState();
  const live = stream === 'live';
  const plan = useRecoveryPlan(planId, (data) => data?.status === 'executing' && !live);
  if (plan.isPending) return <Loading label="Loading the recovery plan" />;
  if (plan.data === undefined) {
    return (
      <>
        <h1>Recovery plan {planId}</h1>
        <ErrorMessage title="Could not load this recovery plan" error={plan.error} onRetry={() => void plan.refetch()} />
      </>
    );
  }
  return (
    <>
      {plan.isError && <ErrorMessage title="This page may be out of date: the last refresh failed" error={plan.error} />}
      <PlanView plan={plan.data} live={live} />
    </>
  );
}

/** Everything about one plan, by its status. */
export function PlanView({ plan, live }: { plan: RecoveryPlan; live: boolean }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const replan = useCreateRecoveryPlan(plan.host_id);
  const secondsLeft = useSecondsLeft(plan.expires_at);
  // the hub marks it expired on its own clock; when ours says so, ask it
  const expiredHere = plan.status === 'planned' && secondsLeft === 0;
  useEffect(() => {
    if (expiredHere) void queryClient.invalidateQueries({ queryKey: recoveryPlanQueryKey(plan.id) });
  }, [expiredHere, plan.id, queryClient]);
  const expired = plan.status === 'expired' || expiredHere;
  const againRequest = plan.plan.request;
  const planAgain = () => replan.mutate(againRequest, { onSuccess: (fresh) => void navigate(paths.recovery.plan.getHref(fresh.id)) });
  const executed = plan.execution !== undefined;
  const range = plan.plan.request.range;
  const failedChecks = plan.plan.checks.filter((check) => !check.ok).length;

  return (
    <>
      <title>{`${planTitle(plan)} · daxfleet`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.recovery.list.getHref()}>Recovery</Link> <span aria-hidden="true">/</span> <span>{plan.id}</span>
      </nav>
      <div className="page-title">
        <h1>{planTitle(plan)}</h1>
        <span aria-label="Plan status"><RecoveryStatusBadge status={plan.status} /></span>
      </div>
      <p className="muted">
        On <Link to={paths.host.getHref(plan.host_id)}>{plan.host_id}</Link>, bad range <code>{`${range.region}+${range.region_offset}`}</code> ({range.length} sectors);
        planned by {plan.created_by} <RelativeTime iso={plan.created_at} />. {actionInfo(plan.action).does}
      </p>

      {plan.status === 'refused' && (
        <div className="recovery-banner recovery-banner--refused" role="alert" aria-label="Refused">
          <p><strong>Refused:</strong> {plan.plan.refusal ?? `${failedChecks} precondition${failedChecks === 1 ? '' : 's'} failed.`}</p>
          <p>Nothing was changed on the host. Fix what the failed check says, then plan again.</p>
          <button type="button" className="button button--primary" onClick={planAgain} disabled={replan.isPending}>Plan again</button>
        </div>
      )}
      {expired && (
        <div className="recovery-banner recovery-banner--expired" role="alert" aria-label="Expired">
          <p><strong>This plan expired</strong> before it was executed: the host may have changed since it was reviewed.</p>
          <button type="button" className="button button--primary" onClick={planAgain} disabled={replan.isPending}>Plan again</button>
        </div>
      )}
      {replan.isError && <ErrorMessage title="The hub could not plan this recovery again" error={replan.error} />}

      <DataLoss losses={plan.plan.data_loss} finished={executed && isFinal(plan)} />

      {plan.status === 'planned' && !expired && (
        <section aria-label="Execute" className="panel recovery-confirm">
          <h2>Execute</h2>
          <ExpiryCountdown seconds={secondsLeft} />
          <ExecutePanel plan={plan} onReplan={planAgain} replanning={replan.isPending} />
        </section>
      )}
      {plan.status === 'executing' && <ProgressPanel progress={plan.execution?.progress} steps={plan.execution?.steps ?? []} live={live} />}
      {isFinal(plan) && executed && <VerificationPanel plan={plan} />}

      <PlanSteps plan={plan} />
      <section aria-label="Preconditions">
        <h2>Preconditions</h2>
        <CheckTable checks={plan.plan.checks} label="Preconditions" />
      </section>
      <PlanTarget target={plan.plan.target} />
      <p className="muted recovery-digest">Plan digest <code>{plan.plan.digest}</code>: the agent runs the plan only if planning again gives the same.</p>
    </>
  );
}
