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

export function numberSteps(steps: readonly Omit<DaxStep, 'n'>[]): DaxStep[] {
  return steps.map((s, i) => ({ n: i + 1, ...s }));
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
    const failedAt = Math.max(0, steps.findIndex((s) => s.op === call));
    const results: DaxStepResult[] = steps.map((s, i) => {
      if (i < failedAt) return { n: s.n, op: s.op, status: 'done', finished_at };
      if (i === failedAt) return { n: s.n, op: s.op, status: 'failed', detail: error, finished_at };
      return { n: s.n, op: s.op, status: 'skipped' };
    });
    return { results, error };
  }
}
