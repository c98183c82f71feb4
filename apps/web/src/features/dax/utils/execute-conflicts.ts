/**
 * The hub's 409 answers to an execute, by their code (apps/api/src/errors.ts): what
 * happened and the next step, and whether "Plan again" is the way on.
 */
const CONFLICTS: { code: string; text: string; replan: boolean }[] = [
  { code: 'DAXFLEET_ERR_DAX_CHANGE_EXPIRED', text: 'The plan expired before it was executed. Plan again to review the host as it is now.', replan: true },
  { code: 'DAXFLEET_ERR_DAX_NOT_EXECUTABLE', text: 'A precondition failed, so this change cannot run. Fix what the failed check says, then plan again.', replan: true },
  { code: 'DAXFLEET_ERR_DAX_ALREADY_EXECUTED', text: 'This change was already executed: its result is shown on this page.', replan: false },
  { code: 'DAXFLEET_ERR_DAX_DIGEST_MISMATCH', text: 'The plan you reviewed is not the stored one. Reload this page and review it again, or plan again.', replan: true },
  { code: 'DAXFLEET_ERR_DAX_HOST_CHANGED', text: 'The host changed since this plan was made (the agent planned again and got a different plan): the change is refused. Review the new situation: plan again.', replan: true },
  { code: 'DAXFLEET_ERR_DAX_BUSY', text: 'Another change is running on this host. Nothing was changed and this plan stays planned: execute it again in a moment.', replan: false },
];

export function nextStepForConflict(code: string | undefined): { text: string; replan: boolean } {
  const match = code === undefined ? undefined : CONFLICTS.find((conflict) => conflict.code === code);
  return match ?? { text: 'Nothing was changed on the host.', replan: false };
}
