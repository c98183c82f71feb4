import type { RecoveryCheck, RecoveryDataLoss, RecoveryPlan, RecoveryStepResult, RecoveryTarget } from '@daxfleet/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { DescriptionList } from '@/components/ui/description-list';
import { formatInteger } from '@/lib/format';

/** What the action works on, as the agent found it when it planned. */
export function PlanTarget({ target }: { target: RecoveryTarget }) {
  const sectors = target.sectors === undefined ? undefined : `${formatInteger(target.sectors)} × 512 B`;
  return (
    <section aria-label="Target" className="panel">
      <h2>Target</h2>
      <DescriptionList items={[
        { term: 'Namespace', value: target.namespace === undefined ? undefined : `${target.namespace}${target.mode === undefined ? '' : ` (${target.mode})`}` },
        { term: 'Bus', value: target.bus },
        { term: 'Device', value: target.blockdev ?? target.chardev },
        { term: 'First sector', value: target.sector === undefined ? undefined : formatInteger(target.sector) },
        { term: 'Sectors', value: sectors },
        { term: 'SPA', value: target.spa === undefined ? undefined : <code>{target.spa}</code> },
        { term: 'Filesystem', value: target.mountpoint === undefined ? undefined : <><code>{target.mountpoint}</code> ({target.fstype ?? '?'}{target.dax === undefined ? '' : `, dax=${target.dax}`})</> },
        { term: 'File', value: target.path === undefined ? undefined : <><code>{target.path}</code>{target.inode === undefined ? '' : ` (inode ${target.inode})`}</> },
        { term: 'File size', value: target.file_size === undefined ? undefined : <Bytes value={target.file_size} /> },
        { term: 'File bytes on the bad range', value: target.file_ranges === undefined || target.file_ranges.length === 0 ? undefined
          : target.file_ranges.map((range) => `${formatInteger(range.offset)}–${formatInteger(range.offset + range.length - 1)}`).join(', ') },
        { term: 'New size', value: target.new_size === undefined ? undefined : `${formatInteger(target.new_size)} bytes` },
        { term: 'Backup', value: target.backup === undefined ? undefined
          : <><code>{target.backup.path}</code> (<Bytes value={target.backup.size} />, mode {target.backup.mode}, uid {target.backup.uid}, gid {target.backup.gid})</> },
        { term: 'Copied first to', value: target.temp_path === undefined ? undefined : <code>{target.temp_path}</code> },
      ]} />
    </section>
  );
}

const STEP_TONE: Record<RecoveryStepResult['status'], BadgeTone> = {
  pending: 'muted', running: 'info', done: 'good', failed: 'danger', skipped: 'warning',
};

/** The steps, numbered and exact; once executing, each with its state and what happened. */
export function PlanSteps({ plan }: { plan: RecoveryPlan }) {
  const results = new Map((plan.execution?.steps ?? []).map((step) => [step.n, step]));
  const executed = plan.execution !== undefined;
  if (plan.plan.steps.length === 0) return <section aria-label="Steps"><h2>Steps</h2><p className="muted">No steps: the agent cannot carry out this action here.</p></section>;
  return (
    <section aria-label="Steps">
      <h2>Steps</h2>
      <ol className="recovery-steps" aria-label="Steps">
        {plan.plan.steps.map((step) => {
          const result = results.get(step.n);
          const status = result?.status ?? 'pending';
          return (
            <li key={step.n} className={`recovery-steps__step recovery-steps__step--${executed ? status : 'planned'}`}>
              <span className="recovery-steps__n">{step.n}.</span>{' '}
              <code>{step.op}</code>{executed && <> <Badge tone={STEP_TONE[status]}>{status}</Badge></>}{' '}
              <div className="recovery-steps__description">{step.description}</div>
              {result?.detail !== undefined && <>{' '}<div className="recovery-steps__detail">{result.detail}</div></>}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

/** The data the action destroys, shown before everything else a reviewer might skim past. */
export function DataLoss({ losses, finished }: { losses: readonly RecoveryDataLoss[]; finished: boolean }) {
  return (
    <section aria-label="Data loss" className={`recovery-loss${losses.length > 0 ? ' recovery-loss--some' : ''}`}>
      <h2>{finished ? 'Data lost' : 'Data that will be lost'}</h2>
      {losses.length === 0
        ? <p>None: this action writes no data.</p>
        : <ul>{losses.map((loss, index) => <li key={index}><strong>{loss.detail}</strong></li>)}</ul>}
    </section>
  );
}

/** Preconditions or verification checks, each ✓ or ✗ with what the agent found. */
export function CheckTable({ checks, label }: { checks: readonly RecoveryCheck[]; label: string }) {
  if (checks.length === 0) return <p className="muted">No {label.toLowerCase()}.</p>;
  return (
    <table className="table table--compact recovery-checks" aria-label={label}>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
      <tbody>
        {checks.map((check) => (
          <tr key={check.id} className={check.ok ? undefined : 'recovery-checks__failed'}>
            <td><code>{check.id}</code></td>
            <td><span aria-label={check.ok ? 'passed' : 'failed'} className={check.ok ? 'recovery-checks__ok' : 'recovery-checks__fail'}>{check.ok ? '✓' : '✗'}</span></td>
            <td>{check.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STATUS_TONE: Record<RecoveryPlan['status'], BadgeTone> = {
  planned: 'info', refused: 'danger', expired: 'muted', executing: 'info',
  verified: 'good', 'still-present': 'warning', failed: 'danger', interrupted: 'danger',
};

export function RecoveryStatusBadge({ status }: { status: RecoveryPlan['status'] }) {
  return <Badge tone={STATUS_TONE[status]}>{status}</Badge>;
}
