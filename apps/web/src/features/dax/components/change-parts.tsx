/** Small pieces of the change page: status badge, check table, steps, data loss, the countdown. */
import type { DaxChange, DaxChangeAgentPlan, DaxCheck, DaxStepResult } from '@daxfleet/shared';
import { useEffect, useState } from 'react';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { formatBytes, formatChangeValue, formatExactBytes } from '@/lib/format';

const STATUS_TONE: Record<DaxChange['status'], BadgeTone> = {
  planned: 'info', refused: 'danger', expired: 'muted', executing: 'info', verified: 'good', failed: 'danger', interrupted: 'danger',
};

export function DaxChangeStatusBadge({ status }: { status: DaxChange['status'] }) {
  return <Badge tone={STATUS_TONE[status]}>{status}</Badge>;
}

/** Preconditions or verification checks, each ✓ or ✗ with what the agent found. */
export function CheckTable({ checks, label }: { checks: readonly DaxCheck[]; label: string }) {
  if (checks.length === 0) return <p className="muted">No {label.toLowerCase()}.</p>;
  return (
    <table className="table table--compact dax-checks" aria-label={label}>
      <thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead>
      <tbody>
        {checks.map((check, index) => (
          <tr key={`${check.id}:${index}`} className={check.ok ? undefined : 'dax-checks__failed'}>
            <td><code>{check.id}</code></td>
            <td><span aria-label={check.ok ? 'passed' : 'failed'} className={check.ok ? 'dax-checks__ok' : 'dax-checks__fail'}>{check.ok ? '✓' : '✗'}</span></td>
            <td>{check.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const STEP_TONE: Record<DaxStepResult['status'], BadgeTone> = { done: 'good', failed: 'danger', skipped: 'warning' };

/** The planned steps, numbered and exact; after an execution each with what happened. */
export function ChangeSteps({ plan, results }: { plan: DaxChangeAgentPlan; results: readonly DaxStepResult[] | undefined }) {
  const byN = new Map((results ?? []).map((step) => [step.n, step]));
  return (
    <section aria-label="Steps">
      <h2>Steps</h2>
      {plan.steps.length === 0
        ? <p className="muted">No steps: nothing to change, or the agent cannot carry this out here.</p>
        : (
          <ol className="dax-steps" aria-label="Steps">
            {plan.steps.map((step) => {
              const result = byN.get(step.n);
              return (
                <li key={step.n} className={`dax-steps__step dax-steps__step--${result?.status ?? 'planned'}`}>
                  <span className="dax-steps__n">{step.n}.</span> <code>{step.op}</code>
                  {result !== undefined && <> <Badge tone={STEP_TONE[result.status]}>{result.status}</Badge></>}{' '}
                  <div className="dax-steps__description">{step.description}</div>
                  {result?.detail !== undefined && <>{' '}<div className="dax-steps__detail">{result.detail}</div></>}
                </li>
              );
            })}
          </ol>
        )}
    </section>
  );
}

/** The data the change destroys, in red with the bytes, before anything a reviewer might skim past. */
export function DataLoss({ losses, finished }: { losses: DaxChangeAgentPlan['data_loss']; finished: boolean }) {
  return (
    <section aria-label="Data loss" className={`dax-loss${losses.length > 0 ? ' dax-loss--some' : ''}`}>
      <h2>{finished ? 'Data lost' : 'Data that will be lost'}</h2>
      {losses.length === 0
        ? <p>None: this change destroys no data.</p>
        : (
          <ul>
            {losses.map((loss, index) => (
              <li key={index}>
                <strong>{loss.description}</strong>
                {loss.bytes !== undefined && <> (<span title={formatExactBytes(loss.bytes)}>{formatBytes(loss.bytes)}</span>)</>}
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}

/** A plain object's fields, or undefined for anything else. */
function fieldsOf(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined;
}

/**
 * Before → expected: each field the verification will check, with its value now. The whole object as the scan
 * found it follows in a collapsed block.
 */
export function BeforeExpected({ plan, after }: { plan: DaxChangeAgentPlan; after?: unknown }) {
  const before = fieldsOf(plan.before);
  const expected = plan.expected ?? {};
  const keys = Object.keys(expected);
  // a policy's after is an inspection of the path: its first entry is the path itself
  const afterObject = fieldsOf(after);
  const afterEntries = afterObject?.entries;
  const afterCandidate = Array.isArray(afterEntries) ? fieldsOf(afterEntries[0]) : afterObject;
  const afterFields = afterCandidate !== undefined && keys.some((key) => key in afterCandidate) ? afterCandidate : undefined;
  return (
    <section aria-label="Before and expected" className="panel">
      <h2>Before → expected</h2>
      {keys.length === 0
        ? <p className="muted">The plan names no fields to verify.</p>
        : (
          <table className="table table--compact" aria-label="Before and expected">
            <thead>
              <tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">Expected</th>{afterFields !== undefined && <th scope="col">After</th>}</tr>
            </thead>
            <tbody>
              {keys.map((key) => (
                <tr key={key}>
                  <th scope="row"><code>{key}</code></th>
                  <td>{formatChangeValue(before?.[key], key)}</td>
                  <td>{formatChangeValue(expected[key], key)}</td>
                  {afterFields !== undefined && <td>{formatChangeValue(afterFields[key], key)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      {plan.before !== undefined && (
        <details>
          <summary>The object as the agent found it</summary>
          <pre className="dax-json">{JSON.stringify(plan.before, null, 2)}</pre>
        </details>
      )}
    </section>
  );
}

/** Seconds until `iso`, updated every second (0 once past). */
export function useSecondsLeft(iso: string): number {
  const deadline = new Date(iso).getTime();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** 599 -> "9:59" */
export function formatCountdown(seconds: number): string {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

export function ExpiryCountdown({ seconds }: { seconds: number }) {
  return (
    <p className="dax-expiry">
      Executable for{' '}
      <span role="timer" aria-label="Time left to execute" aria-live="off">{formatCountdown(seconds)}</span>{' '}
      more; after that it must be planned again.
    </p>
  );
}
