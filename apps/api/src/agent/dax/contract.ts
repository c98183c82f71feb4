/**
 * The seam between the agent's DAX change dispatcher (agent/dax/: digest, one change at a time, the commands,
 * device kinds) and the filesystem DAX part (agent/fsdax/: mounts, inspection, the fs-dax-policy kind).
 *
 * A planner returns the plan's parts; the dispatcher derives `executable` and `refusal` from the checks (executable
 * only when every check is ok), adds the digest and planned_at. An executor runs a plan the dispatcher has just
 * re-planned and matched by digest, verifies by reading the host again (never by trusting return codes) and
 * returns the result's parts; the dispatcher adds executed_by, the times and the outcome (verified only when every
 * step is done and every verification check is ok).
 */
import type { DaxChangeAgentPlan, DaxChangeRequest, DaxChangeResult } from '@daxfleet/shared';

export type DaxPlanParts = Omit<DaxChangeAgentPlan, 'digest' | 'planned_at' | 'executable' | 'refusal'>;
export type DaxExecutionParts = Pick<DaxChangeResult, 'steps' | 'verification' | 'after' | 'changed' | 'pending' | 'error'>;

export type FsDaxPolicyRequest = Extract<DaxChangeRequest, { kind: 'fs-dax-policy' }>;
export type DeviceChangeRequest = Exclude<DaxChangeRequest, { kind: 'fs-dax-policy' }>;

/** One kind's planner and executor. */
export interface DaxChangeHandler<R extends DaxChangeRequest> {
  plan(request: R): Promise<DaxPlanParts>;
  /** `plan` is the fresh plan the dispatcher just matched against the operator's digest */
  execute(request: R, plan: DaxChangeAgentPlan): Promise<DaxExecutionParts>;
}
