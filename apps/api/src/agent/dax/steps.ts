/**
 * Checks and steps as the device planners and executors build them. A device change is one native call that runs
 * the planned library calls in order; when it fails, the step it names (NativeError.syscall) failed, the ones
 * before it are done and the rest skipped. When the error names no planned call, the first step carries the failure
 * and the rest are skipped: the verification's fresh scan then says what state the host is in.
 */
import type { DaxCheck, DaxStep, DaxStepResult } from '@daxfleet/shared';
import { nativeErrorCall, nativeErrorText } from './native.js';

/** The checks of one plan or verification, in the order they were made. */
export class Checks {
  readonly list: DaxCheck[] = [];
  add(id: string, ok: boolean, detail: string): boolean {
    this.list.push({ id, ok, detail });
    return ok;
  }
}

/**
 * Calls a NativeError can name that belong to a planned step of another name (the step is the group: claiming a
 * namespace sets the claim's uuid, location and align before ndctl_pfn_set_namespace; zeroing the info block is an
 * open + pwrite + fdatasync; memory goes offline by writes to memoryN/state).
 */
const STEP_OF_CALL: Readonly<Record<string, string>> = {
  ndctl_namespace_set_alt_name: 'ndctl_namespace_set_uuid',
  open: 'zero_info_block', pwrite: 'zero_info_block', fdatasync: 'zero_info_block',
  ndctl_pfn_set_uuid: 'ndctl_pfn_set_namespace', ndctl_pfn_set_location: 'ndctl_pfn_set_namespace', ndctl_pfn_set_align: 'ndctl_pfn_set_namespace',
  ndctl_dax_set_uuid: 'ndctl_dax_set_namespace', ndctl_dax_set_location: 'ndctl_dax_set_namespace', ndctl_dax_set_align: 'ndctl_dax_set_namespace',
  ndctl_btt_set_uuid: 'ndctl_btt_set_namespace', ndctl_btt_set_sector_size: 'ndctl_btt_set_namespace',
  write: 'daxctl_memory_offline',
};

export function numberSteps(steps: readonly Omit<DaxStep, 'n'>[]): DaxStep[] {
  return steps.map((s, i) => ({ n: i + 1, ...s }));
}

/**
 * runSteps, after looking once more, right before the call, for processes holding the device it disables: the
 * kernel and libraries do not refuse that for a dax character device (daxctl_dev_disable, ndctl's disable of a
 * devdax namespace), so a holder that appeared since the plan fails the first step and nothing is called.
 */
export async function runStepsUnlessHeld<T>(steps: readonly DaxStep[], holders: () => Promise<string[]>, call: () => Promise<T>):
  Promise<{ results: DaxStepResult[]; value?: T; error?: string }> {
  const held = await holders();
  if (held.length === 0) return runSteps(steps, call);
  const finished_at = new Date().toISOString();
  const error = `${held.join('; ')}: a process holds the device now (nobody did when it was planned), so nothing was changed; ` +
    'stop it and plan the change again';
  return {
    results: steps.map((s, i): DaxStepResult => i === 0
      ? { n: s.n, op: s.op, status: 'failed', detail: error, finished_at } : { n: s.n, op: s.op, status: 'skipped' }),
    error,
  };
}

/** Runs the one native call behind `steps` and turns its outcome into step results. */
export async function runSteps<T>(steps: readonly DaxStep[], call: () => Promise<T>):
  Promise<{ results: DaxStepResult[]; value?: T; error?: string }> {
  try {
    const value = await call();
    const finished_at = new Date().toISOString();
    return { results: steps.map((s) => ({ n: s.n, op: s.op, status: 'done', finished_at })), value };
  } catch (err) {
    const finished_at = new Date().toISOString();
    const error = nativeErrorText(err);
    const call = nativeErrorCall(err);
    const op = call === undefined ? undefined : (STEP_OF_CALL[call] ?? call);
    const failedAt = Math.max(0, steps.findIndex((s) => s.op === op));
    const results: DaxStepResult[] = steps.map((s, i) => {
      if (i < failedAt) return { n: s.n, op: s.op, status: 'done', finished_at };
      if (i === failedAt) return { n: s.n, op: s.op, status: 'failed', detail: error, finished_at };
      return { n: s.n, op: s.op, status: 'skipped' };
    });
    return { results, error };
  }
}
