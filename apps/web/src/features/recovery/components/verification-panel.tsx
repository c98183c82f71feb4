import type { RecoveryPlan, RecoveryVerification } from '@daxfleet/shared';
import { Link } from 'react-router';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { formatInteger } from '@/lib/format';
import { CheckTable } from './plan-details';

const VERDICT_TITLE: Record<RecoveryVerification['verdict'], string> = {
  cleared: 'Cleared',
  'still-present': 'Still present',
  failed: 'Failed',
};

/** The audit log of this plan: its plan and execute requests, each step the agent reported and the result. */
export function auditHref(plan: RecoveryPlan): string {
  return paths.admin.audit.getHref({ target: `plan:${plan.id}` });
}

/**
 * Step 6: what the agent found when it read the bad-block lists again: the verdict and why, the range's sectors
 * still listed, every verification check; links to the range in the ledger and to the audit log.
 */
export function VerificationPanel({ plan }: { plan: RecoveryPlan }) {
  const verification = plan.execution?.verification;
  const range = plan.plan.request.range;
  return (
    <section aria-label="Result" className={`panel recovery-result recovery-result--${verification?.verdict ?? 'failed'}`}>
      <h2>Result: {verification === undefined ? (plan.status === 'interrupted' ? 'Interrupted' : 'Failed') : VERDICT_TITLE[verification.verdict]}</h2>
      {verification === undefined && (
        <p role="alert">{plan.execution?.error ?? (plan.status === 'interrupted'
          ? 'The agent restarted during the execution; the steps below show how far it got.'
          : 'The execution ended without a verification.')}</p>
      )}
      {verification !== undefined && (
        <>
          <p className="recovery-result__detail">{verification.detail}</p>
          {plan.execution?.error !== undefined && <p role="alert">{plan.execution.error}</p>}
          <h3>Remaining bad sectors</h3>
          {verification.remaining.length === 0
            ? <p>None: no sector of <code>{`${range.region}+${range.region_offset}`}</code> is listed bad any more.</p>
            : (
              <ul aria-label="Remaining bad sectors">
                {verification.remaining.map((piece) => (
                  <li key={piece.region_offset}><code>{`${range.region}+${piece.region_offset}`}</code> ({formatInteger(piece.length)} {piece.length === 1 ? 'sector' : 'sectors'})</li>
                ))}
              </ul>
            )}
          <h3>Verification checks</h3>
          <CheckTable checks={verification.checks} label="Verification checks" />
          <p className="muted">Verified <RelativeTime iso={verification.verified_at} />.</p>
        </>
      )}
      <p className="actions">
        <Link to={paths.media.getHref(plan.host_id)}>Show the range in the ledger</Link>
        <Link to={auditHref(plan)}>Audit log of this plan</Link>
      </p>
    </section>
  );
}
