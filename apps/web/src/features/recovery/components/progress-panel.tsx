import type { RecoveryProgress } from '@daxfleet/shared';
import { formatBytes, formatInteger } from '@/lib/format';

function amount(value: number, unit: RecoveryProgress['unit']): string {
  if (unit === 'bytes') return formatBytes(value);
  if (unit === 'sectors') return `${formatInteger(value)} sectors`;
  if (unit === 'seconds') return `${formatInteger(value)} s`;
  return formatInteger(value);
}

/** Step 5: the step running now, with a bar for its bytes / sectors / seconds when the agent counts them. */
export function ProgressPanel({ progress, live }: { progress: RecoveryProgress | undefined; live: boolean }) {
  return (
    <section aria-label="Progress" className="panel recovery-progress">
      <h2>Progress</h2>
      {progress === undefined
        ? <p role="status">Starting on the host…</p>
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
