import type { DaxChange } from '@daxfleet/shared';
import { useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { formatBytes } from '@/lib/format';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { ApiRequestError } from '@/lib/api-client';
import { useExecuteDaxChange } from '../api/dax-changes';
import { nextStepForConflict } from '../utils/execute-conflicts';

/**
 * Executing a planned change (operators only). "Execute…" opens a dialog that restates the data that will be lost;
 * when there is any, "I understand this data will be lost" must be ticked before "Execute" sends the reviewed digest.
 * A refusal (409) shows the hub's message and the next step for its code.
 */
export function ExecutePanel({ change, onReplan, replanning }: { change: DaxChange; onReplan: () => void; replanning: boolean }) {
  const me = useMe();
  const execute = useExecuteDaxChange(change.id);
  const [open, setOpen] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const titleId = useId();
  const firstRef = useRef<HTMLInputElement & HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // focus goes into the dialog when it opens and back to "Execute…" when it closes
  useEffect(() => {
    if (open) firstRef.current?.focus();
    else if (wasOpen.current) openerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  if (!hasRole(me.data, 'operator')) {
    return <p className="dax-role-note" role="note">An operator must execute this change.{me.data !== undefined ? ` You are logged in as ${me.data.name} (${me.data.role}).` : ''}</p>;
  }
  const losses = change.plan.data_loss;
  const losesData = losses.length > 0;
  const close = () => {
    setOpen(false);
    setUnderstood(false);
  };
  const conflict = execute.error instanceof ApiRequestError && execute.error.status === 409 ? nextStepForConflict(execute.error.code) : undefined;
  return (
    <div className="dax-execute">
      <button ref={openerRef} type="button" className={`button ${losesData ? 'button--danger' : 'button--primary'}`}
        onClick={() => { execute.reset(); setOpen(true); }} disabled={execute.isPending}>Execute…</button>
      {execute.isPending && <span role="status"> Executing on the host: the agent plans again, runs the steps and verifies with a fresh scan…</span>}
      {execute.isError && (
        <div className="dax-execute__error">
          <ErrorMessage title="The hub did not execute this change" error={execute.error} />
          {conflict !== undefined && <p>{conflict.text}</p>}
          {conflict?.replan === true && (
            <button type="button" className="button button--primary" onClick={onReplan} disabled={replanning}>Plan again</button>
          )}
        </div>
      )}
      {open && (
        <div className="dialog-backdrop">
          <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={titleId}
            onKeyDown={(event) => { if (event.key === 'Escape') close(); }}>
            <h2 id={titleId}>Execute this DAX change?</h2>
            <div className="dialog__warning" role="note">
              {losesData
                ? <><p>This data will be lost:</p><ul>{losses.map((loss, index) => <li key={index}><strong>{loss.description}</strong>{loss.bytes !== undefined ? ` (${formatBytes(loss.bytes)})` : ''}</li>)}</ul></>
                : <p>This change destroys no data.</p>}
              <p>The agent plans again first and runs nothing if the host changed since this review.</p>
            </div>
            {losesData && (
              <label className="dax-execute__understand">
                <input ref={firstRef} type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} />
                {' '}I understand this data will be lost
              </label>
            )}
            <div className="dialog__actions">
              <button ref={losesData ? undefined : firstRef} type="button" className={`button ${losesData ? 'button--danger' : 'button--primary'}`}
                disabled={(losesData && !understood) || execute.isPending}
                onClick={() => execute.mutate(change.plan.digest, { onSettled: close })}>Execute</button>
              <button type="button" className="button" onClick={close}>Cancel</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
