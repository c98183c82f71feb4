/**
 * The agent's DAX change dispatcher: plans a change with its kind's handler (contract.ts), and executes one change
 * at a time on the host after planning it again and matching the operator's digest.
 *
 * plan: executable only when every check is ok; refusal = the first failed check's detail; digest = sha256 of the
 * canonical JSON of {kind, request, before, expected, steps, data_loss, changes} (what would be done, to what):
 * planning twice on an unchanged host gives the same digest, and a host that changed in anything the plan shows
 * gives another. execute: a second change while one runs is refused 'busy' (it stays planned at the hub); a
 * different digest is 'host-changed', a plan no longer executable 'not-executable' (both with the fresh plan);
 * otherwise the handler runs and verifies, and the agent scans and reports at once so the hub's inventory shows the
 * change. A change_id the journal (journal.ts) has seen start is 'already-executed' (with its result when it has
 * one): a replayed command or a repeat after a restart never runs a change twice. A handler that throws becomes outcome failed with the error (and what the host looks like is in the next
 * report): the operator never gets a bare 500 for a host that may be half changed.
 */
import { createHash } from 'node:crypto';
import { DaxChangeRequestSchema } from '@daxfleet/shared';
import type {
  DaxChangeAgentPlan, DaxChangeExecuteAgentCommand, DaxChangeExecuteCommandAck, DaxChangeKind, DaxChangeRequest,
  DaxChangeResult, FsDaxInspectRequest, FsDaxInspectResult,
} from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { Value } from 'typebox/value';
import { canonicalJson } from '../recovery/plan.js';
import type { DaxChangeHandler, DaxPlanParts } from './contract.js';
import type { HostChangeLock } from './change-lock.js';
import type { DaxJournal } from './journal.js';

export type DaxChangeHandlers = { [K in DaxChangeKind]?: DaxChangeHandler<Extract<DaxChangeRequest, { kind: K }>> };

export interface DaxChangeServiceOptions {
  handlers: DaxChangeHandlers;
  /** fs-dax-inspect (agent/fsdax/) */
  inspect?: (request: FsDaxInspectRequest) => Promise<FsDaxInspectResult>;
  /** scan and report to the hub now (after a change) */
  rescan?: () => Promise<void>;
  log?: FastifyBaseLogger;
  now?: () => Date;
  /** DATA-DIR/dax-journal.json: the change ids executed here, so a replay or a repeat after a restart is refused */
  journal?: DaxJournal;
  /** shared with the recovery executor: no DAX change starts while a recovery runs (and the other way round) */
  changeLock?: HostChangeLock;
}

/** A kind (or inspection) this agent was started without: the command answers 400 with this message. */
export class DaxChangeUnsupportedError extends Error {}

/**
 * sha256 hex of the canonical JSON of what a plan would do (dax-modes.ts DaxChangeAgentPlan.digest). A policy's
 * changes are digested without effective_before and pending_reason: they depend on who holds a file at the moment
 * (not-evicted), and a busy subtree would otherwise never plan twice to the same digest; the plan still shows them.
 */
export function daxPlanDigest(p: Pick<DaxPlanParts, 'kind' | 'request' | 'before' | 'expected' | 'steps' | 'data_loss' | 'changes'>): string {
  const { kind, request, before, expected, steps, data_loss } = p;
  const changes = p.changes?.map(({ effective_before: _now, pending_reason: _why, ...change }) => change);
  return createHash('sha256').update(canonicalJson({ kind, request, before, expected, steps, data_loss, changes })).digest('hex');
}

/**
 * The request with DaxChangeRequestSchema's defaults filled in (existing: 'none', online: true, movable: true) on a
 * copy: the plan and its digest describe what would be done, so a request that spells a default out and one that
 * leaves it implied must plan to the same digest, whoever sent them.
 */
export function withRequestDefaults(request: DaxChangeRequest): DaxChangeRequest {
  return Value.Default(DaxChangeRequestSchema, Value.Clone(request)) as DaxChangeRequest;
}

export class DaxChangeService {
  private readonly opts: DaxChangeServiceOptions;
  /** the change running now (one at a time per host) */
  private running: string | undefined;

  constructor(opts: DaxChangeServiceOptions) {
    this.opts = opts;
  }

  /** the change_id of the change running now, if any */
  get busyWith(): string | undefined {
    return this.running;
  }

  private handlerOf(request: DaxChangeRequest): DaxChangeHandler<DaxChangeRequest> {
    const handler = this.opts.handlers[request.kind] as DaxChangeHandler<DaxChangeRequest> | undefined;
    if (handler === undefined) {
      throw new DaxChangeUnsupportedError(`this agent cannot plan ${request.kind} changes (it was started without them: ` +
        'a recorded sysfs tree, or an agent without the DAX change handlers)');
    }
    return handler;
  }

  /** The dry run: nothing on the host is changed. */
  async plan(received: DaxChangeRequest): Promise<DaxChangeAgentPlan> {
    const request = withRequestDefaults(received);
    const parts = await this.handlerOf(request).plan(request);
    const failed = parts.checks.find((c) => !c.ok);
    return {
      ...parts,
      executable: failed === undefined,
      ...(failed !== undefined ? { refusal: failed.detail } : {}),
      digest: daxPlanDigest(parts),
      planned_at: (this.opts.now?.() ?? new Date()).toISOString(),
    };
  }

  async execute(received: DaxChangeExecuteAgentCommand): Promise<DaxChangeExecuteCommandAck> {
    // the handler executes the request the fresh plan (and so the digest) was made from
    const cmd = { ...received, request: withRequestDefaults(received.request) };
    const base = { accepted: true as const, id: cmd.id };
    const done = this.opts.journal?.get(cmd.change_id);
    if (done !== undefined) {
      return {
        ...base, executed: false, refused_because: 'already-executed', ...(done.result !== undefined ? { result: done.result } : {}),
        refusal: `this change was already executed on ${done.started_at}` + (done.result !== undefined
          ? ` (${done.result.outcome}): it is not run twice` : ' and did not finish (the agent stopped while it ran): it is not run twice'),
      };
    }
    if (this.running !== undefined) {
      return {
        ...base, executed: false, refused_because: 'busy',
        refusal: `another DAX change (${this.running}) is running on this host: execute this one when it has finished`,
      };
    }
    const handler = this.handlerOf(cmd.request);
    const recoveries = this.opts.changeLock?.take('dax', cmd.change_id) ?? [];
    if (recoveries.length > 0) {
      return {
        ...base, executed: false, refused_because: 'busy',
        refusal: `a recovery (plan ${recoveries.join(', ')}) is running on this host and may be writing through the devices a ` +
          'DAX change reconfigures: execute this one when it has finished',
      };
    }
    this.running = cmd.change_id;
    try {
      const fresh = await this.plan(cmd.request);
      if (fresh.digest !== cmd.digest) {
        return {
          ...base, executed: false, refused_because: 'host-changed', dax_plan: fresh,
          refusal: 'the host changed since this plan was made (its digest differs): nothing was done; review the fresh plan and plan again',
        };
      }
      if (!fresh.executable) {
        return {
          ...base, executed: false, refused_because: 'not-executable', dax_plan: fresh,
          refusal: `not executable now: ${fresh.refusal ?? 'a precondition failed'}; nothing was done`,
        };
      }
      const result = await this.run(cmd, handler, fresh);
      await this.report();
      return { ...base, executed: true, result };
    } finally {
      this.running = undefined;
      this.opts.changeLock?.release(cmd.change_id);
    }
  }

  private async run(cmd: DaxChangeExecuteAgentCommand, handler: DaxChangeHandler<DaxChangeRequest>, plan: DaxChangeAgentPlan): Promise<DaxChangeResult> {
    const started_at = (this.opts.now?.() ?? new Date()).toISOString();
    const log = this.opts.log;
    log?.info({ changeId: cmd.change_id, kind: cmd.request.kind, by: cmd.executed_by }, 'DAX change executing');
    // durably before the first step: a journal that cannot be written stops the change here (nothing was done)
    this.opts.journal?.started(cmd.change_id, cmd.request.kind, started_at);
    const result = await this.runHandler(cmd, handler, plan, started_at);
    try {
      this.opts.journal?.finished(cmd.change_id, result);
    } catch (err) {
      log?.error({ err, changeId: cmd.change_id }, `the DAX journal did not take the result: ${(err as Error).message} ` +
        '(the change stays recorded as started: a repeat is refused all the same)');
    }
    return result;
  }

  private async runHandler(cmd: DaxChangeExecuteAgentCommand, handler: DaxChangeHandler<DaxChangeRequest>,
    plan: DaxChangeAgentPlan, started_at: string): Promise<DaxChangeResult> {
    const log = this.opts.log;
    try {
      const parts = await handler.execute(cmd.request, plan);
      const verified = parts.steps.every((s) => s.status === 'done') && parts.verification.every((c) => c.ok);
      const failedCheck = parts.verification.find((c) => !c.ok);
      const result: DaxChangeResult = {
        outcome: verified ? 'verified' : 'failed',
        executed_by: cmd.executed_by,
        started_at,
        finished_at: (this.opts.now?.() ?? new Date()).toISOString(),
        ...parts,
        ...(!verified && parts.error === undefined
          ? { error: failedCheck !== undefined ? `verification failed: ${failedCheck.detail}` : 'a step did not complete' } : {}),
      };
      log?.info({ changeId: cmd.change_id, outcome: result.outcome, error: result.error }, 'DAX change finished');
      return result;
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      log?.error({ err, changeId: cmd.change_id }, `DAX change failed: ${message}`);
      return {
        outcome: 'failed', executed_by: cmd.executed_by, started_at,
        finished_at: (this.opts.now?.() ?? new Date()).toISOString(),
        steps: plan.steps.map((s) => ({ n: s.n, op: s.op, status: 'skipped' as const })),
        verification: [],
        error: `the change stopped with an error: ${message}; its steps' state is unknown, the next inventory report shows the host as it is`,
      };
    }
  }

  /** the report after a change: a failure to report is logged, never the change's failure */
  private async report(): Promise<void> {
    try {
      await this.opts.rescan?.();
    } catch (err) {
      this.opts.log?.warn({ err }, `the report after a DAX change failed: ${(err as Error).message}`);
    }
  }

  async inspect(request: FsDaxInspectRequest): Promise<FsDaxInspectResult> {
    if (this.opts.inspect === undefined) throw new DaxChangeUnsupportedError('this agent cannot inspect filesystem DAX (started without it)');
    return this.opts.inspect(request);
  }
}
