import type { RecoveryProgress, RecoveryStepResult } from '@daxfleet/shared';
import { formatBytes, formatInteger } from '@/lib/format';

function amount(value: number, unit: RecoveryProgress['unit']): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'sectors') return `${formatInteger(value)} sectors`;
  if (unit === 'seconds') return `${formatInteger(value)} s`;
  return formatInteger(value);
}

/** Between two steps the agent reports no progress: say which step finished last, not "starting". */
function idleText(steps: readonly RecoveryStepResult[]): string {
  const finished = steps.filter((s) => s.status === 'done' || s.status === 'failed' || s.status === 'skipped');
  const last = finished.at(-1);
  if (last === undefined) return 'Starting on the host…';
  return `Step ${last.n} of ${steps.length} ${last.status}: ${last.op}; waiting for the next step to report…`;
}

/** Step 5: the step running now, with a bar for its bytes / sectors / seconds when the agent counts them. */
export function ProgressPanel({ progress, steps, live }: { progress: RecoveryProgress | undefined; steps: readonly RecoveryStepResult[]; live: boolean }) {
  return (
    <section aria-label="Progress" className="panel recovery-progress">
      <h2>Progress</h2>
      {progress === undefined
        ? <p role="status">{idleText(steps)}</p>
        : (
          <>
            <p role="status">Step {progress.step} of {progress.of}: <code>{progress.op}</code> — {progress.message}</p>
            {progress.total !== undefined && progress.total > 0 && (
              <>
                <progress aria-label="Step progress" max={progress.total} value={Math.min(progress.done ?? 0, progress.total)} />{' '}
                <span>{amount(progress.done ?? 0, progress.unit)} of {amount(progress.total, progress.unit)}</span>
              </>
            )}
          </>
        )}
      {!live && <p className="muted">The live stream is down: this page refreshes every few seconds until it is back.</p>}
    </section>
  );
}
