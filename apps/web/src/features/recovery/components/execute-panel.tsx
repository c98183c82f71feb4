import type { RecoveryPlan } from '@daxfleet/shared';
import { useEffect, useId, useRef, useState } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { useMe } from '@/features/auth/api/get-me';
import { hasRole } from '@/features/auth/utils/roles';
import { ApiRequestError } from '@/lib/api-client';
import { RECOVERY_EXECUTE_CONFLICTS, useExecuteRecoveryPlan } from '../api/recovery-plans';

/** What to do after the hub refused to execute (409), by its code. */
function nextStepFor(code: string | undefined): { text: string; replan: boolean } {
  switch (code) {
    case RECOVERY_EXECUTE_CONFLICTS.expired:
      return { text: 'The plan expired before it was executed. Plan again to review the host as it is now.', replan: true };
    case RECOVERY_EXECUTE_CONFLICTS.notExecutable:
      return { text: 'A precondition failed, so this plan cannot run. Fix what the failed check says, then plan again.', replan: true };
    case RECOVERY_EXECUTE_CONFLICTS.alreadyExecuted:
      return { text: 'This plan was already executed: its progress and result are shown on this page.', replan: false };
    case RECOVERY_EXECUTE_CONFLICTS.digestMismatch:
      return { text: 'The plan you reviewed is not the stored one. Reload this page and review it again, or plan again.', replan: true };
    case RECOVERY_EXECUTE_CONFLICTS.hostChanged:
      return { text: 'The host changed since this plan was made (the agent planned again and got a different plan). Review the new situation: plan again.', replan: true };
    case RECOVERY_EXECUTE_CONFLICTS.notStarted:
      return { text: 'The agent did not start it for now (see above); nothing was changed and the plan stays planned: execute it again in a moment.', replan: false };
    default:
      return { text: 'Nothing was changed on the host.', replan: false };
  }
}

/**
 * Step 4: executing a plan (operators only). "Execute…" opens a dialog that restates the data that will be lost and
 * asks for "I understand this data will be lost" before "Execute" sends the reviewed digest. A refusal (409) shows
 * the hub's message and the next action for its code.
 */
export function ExecutePanel({ plan, onReplan, replanning }: { plan: RecoveryPlan; onReplan: () => void; replanning: boolean }) {
  const me = useMe();
  const execute = useExecuteRecoveryPlan(plan.id);
  const [open, setOpen] = useState(false);
  const [understood, setUnderstood] = useState(false);
  const titleId = useId();
  const checkboxRef = useRef<HTMLInputElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);
  // focus goes into the dialog when it opens and back to "Execute…" when it closes (keyboard users stay in place)
  useEffect(() => {
    if (open) checkboxRef.current?.focus();
    else if (wasOpen.current) openerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  if (!hasRole(me.data, 'operator')) {
    return <p className="recovery-role-note" role="note">An operator must execute this plan.{me.data !== undefined ? ` You are logged in as ${me.data.name} (${me.data.role}).` : ''}</p>;
  }
  const losses = plan.plan.data_loss;
  const close = () => {
    setOpen(false);
    setUnderstood(false);
  };
  const conflict = execute.error instanceof ApiRequestError && execute.error.status === 409 ? nextStepFor(execute.error.code) : undefined;
  return (
    <div className="recovery-execute">
      <button ref={openerRef} type="button" className="button button--danger" onClick={() => { execute.reset(); setOpen(true); }} disabled={execute.isPending}>Execute…</button>
      {execute.isError && (
        <div className="recovery-execute__error">
          <ErrorMessage title="The hub did not execute this plan" error={execute.error} />
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
            <h2 id={titleId}>Execute this recovery plan?</h2>
            <div className="dialog__warning" role="note">
              {losses.length === 0
                ? <p>This action writes no data.</p>
                : <><p>This data will be lost:</p><ul>{losses.map((loss, index) => <li key={index}><strong>{loss.detail}</strong></li>)}</ul></>}
              <p>The agent plans again first and runs nothing if the host changed since this review.</p>
            </div>
            <label className="recovery-execute__understand">
              <input ref={checkboxRef} type="checkbox" checked={understood} onChange={(event) => setUnderstood(event.target.checked)} />
              {' '}I understand this data will be lost
            </label>
            <div className="dialog__actions">
              <button type="button" className="button button--danger" disabled={!understood || execute.isPending}
                onClick={() => execute.mutate(plan.plan.digest, { onSettled: close })}>Execute</button>
              <button type="button" className="button" onClick={close}>Cancel</button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
