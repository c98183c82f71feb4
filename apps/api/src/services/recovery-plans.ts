/**
 * Recovery plans on the hub (issue 6): the agent's dry run of one action on one open bad range, stored with an
 * id and an expiry; its execution, which an operator starts with the digest of the plan they reviewed; and the
 * agent's progress reports, which the hub stores and audits step by step.
 *
 * Everything lives in recovery_plans (nothing in memory): a hub restarted while a plan executes keeps taking the
 * agent's reports. The row's `plan` is the agent's answer verbatim (RecoveryAgentPlan), its `execution` the
 * agent's last applied report (seq). State changes are conditional updates, so two executes of one plan, or a
 * late report racing a newer one, cannot both win. Every change publishes a `recovery` notice on the media bus
 * (the SSE stream forwards it; the UI refetches the plan).
 *
 * Expiry: a planned plan past its expires_at reads as expired everywhere (toRecoveryPlan and the list filters);
 * the row itself is updated when an execute finds it expired and by the periodic sweep (RecoveryPlanSweeper), which
 * also ends a plan left executing without a single report (interruptUnstartedPlans).
 */
import { randomBytes } from 'node:crypto';
import {
  RECOVERY_FINAL_STATUSES, RECOVERY_PLAN_TTL_SECONDS, RecoveryExecuteCommandAckSchema, RecoveryPlanCommandAckSchema,
  type RecoveryAction, type RecoveryAgentPlan, type RecoveryExecution, type RecoveryPlan, type RecoveryPlanList,
  type RecoveryProgressAck, type RecoveryProgressReport, type RecoveryRequest, type RecoveryStatus, type RangeRef,
} from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { Value } from 'typebox/value';
import type { Prisma, RecoveryPlan as RecoveryPlanRow } from '../../generated/prisma/index.js';
import { AgentCommandTimeoutError, commandDestination, newCommandId, sendAgentCommand } from '../agent/command-sender.js';
import type { PrismaClient } from '../db/client.js';
import { ApiError } from '../errors.js';
import { recordAudit } from './audit.js';
import { requireHost } from './ledger.js';
import { effectiveStatus as effectiveRowStatus, encodeBefore, olderThan, statusWhere } from './planned-rows.js';

export const DEFAULT_PLAN_LIST_LIMIT = 50;
export const DEFAULT_SWEEP_MS = 30_000;

const FILE_ACTIONS: ReadonlySet<RecoveryAction> = new Set(['punch-hole', 'truncate', 'delete-restore']);
const FINAL: ReadonlySet<string> = new Set(RECOVERY_FINAL_STATUSES);
/** the statuses whose plan accepts an agent's progress report */
const REPORTABLE: ReadonlySet<string> = new Set(['executing', 'interrupted']);

/** 128 random bits, url-safe (it goes into URLs and the agent's command, whose plan_id pattern it matches). */
export function newPlanId(): string {
  // "rp_" first: a bare base64url id can start with "-", which a command line reads as an option
  return `rp_${randomBytes(16).toString('base64url')}`;
}

/** The status a row reads as at `now`: planned past its expiry is expired, whether the row was updated or not. */
export function effectiveStatus(row: Pick<RecoveryPlanRow, 'status' | 'expiresAt'>, now: Date): RecoveryStatus {
  return effectiveRowStatus<RecoveryStatus>(row, now);
}

export function toRecoveryPlan(row: RecoveryPlanRow, now = new Date()): RecoveryPlan {
  return {
    id: row.id,
    host_id: row.hostId,
    action: row.action as RecoveryAction,
    status: effectiveStatus(row, now),
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    expires_at: row.expiresAt.toISOString(),
    plan: JSON.parse(row.plan) as RecoveryAgentPlan,
    ...(row.execution !== null ? { execution: JSON.parse(row.execution) as RecoveryExecution } : {}),
  };
}

function publish(fastify: FastifyInstance, row: Pick<RecoveryPlanRow, 'id' | 'hostId' | 'status' | 'seq' | 'expiresAt'>): void {
  fastify.mediaBus.emit('recovery', { id: row.id, host_id: row.hostId, status: effectiveStatus(row, new Date()), seq: row.seq });
}

async function requirePlanRow(prisma: PrismaClient, id: string): Promise<RecoveryPlanRow> {
  const row = await prisma.recoveryPlan.findUnique({ where: { id } });
  if (!row) {
    throw new ApiError('DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND', `no recovery plan ${id}: GET /api/v1/recovery/plans ` +
      'lists them');
  }
  return row;
}

// --- planning ---------------------------------------------------------------------------------------------------

/**
 * The request's fields that depend on the action, checked before anything is sent to the agent (the schema
 * cannot say "path is required for these actions"): a 400 that says what to send.
 */
export function checkRecoveryRequest(request: RecoveryRequest): void {
  const bad = (message: string): never => {
    throw new ApiError('DAXFLEET_ERR_REQUEST_VALIDATION', message);
  };
  const { action } = request;
  if (FILE_ACTIONS.has(action) && request.path === undefined) {
    bad(`body/path is required for ${action}: send the absolute path of the file the range hits (GET ` +
      '/api/v1/hosts/:hostId/ledger lists the files of each open range)');
  }
  if (!FILE_ACTIONS.has(action) && request.path !== undefined) {
    bad(`body/path is not used by ${action}, which works on the namespace's device: leave it out, or choose ` +
      'punch-hole, truncate or delete-restore to act on a file');
  }
  if (action === 'delete-restore' && request.backup_path === undefined) {
    bad('body/backup_path is required for delete-restore: send the absolute path of a backup of the file on the ' +
      'host (a regular file, not on the bad range)');
  }
  if (action !== 'delete-restore' && request.backup_path !== undefined) {
    bad(`body/backup_path is only for delete-restore, not ${action}: leave it out`);
  }
  if (action !== 'truncate' && request.size !== undefined) {
    bad(`body/size is only for truncate, not ${action}: leave it out`);
  }
}

/** The range must be open in the host's ledger: recovery starts from a range the hub knows is bad. */
async function requireOpenRange(prisma: PrismaClient, hostId: string, range: RangeRef): Promise<void> {
  const open = await prisma.badBlock.findFirst({
    where: { hostId, region: range.region, regionOffset: range.region_offset, length: range.length, clearedAt: null },
    select: { id: true },
  });
  if (!open) {
    throw new ApiError('DAXFLEET_ERR_RECOVERY_RANGE_NOT_FOUND', `${range.region} sectors ${range.region_offset}+` +
      `${range.length} is not an open bad range of host ${hostId}: GET /api/v1/hosts/${hostId}/ledger?state=open ` +
      'lists the open ranges (region, region_offset and length must be one of them exactly)');
  }
}

export interface CreatePlanInput {
  hostId: string;
  request: RecoveryRequest;
  /** `${kind}:${name}` of the caller */
  createdBy: string;
}

/**
 * Asks the host's agent for a plan (the signed recovery-plan command: a dry run, nothing changes on the host) and
 * stores its answer verbatim: planned when executable, else refused. The expiry counts from when the answer came.
 */
export async function createRecoveryPlan(fastify: FastifyInstance, input: CreatePlanInput): Promise<RecoveryPlan> {
  const { hostId, request } = input;
  checkRecoveryRequest(request);
  await requireHost(fastify.prisma, hostId);
  await requireOpenRange(fastify.prisma, hostId, request.range);
  const dest = await commandDestination(fastify, hostId);
  const answer = await sendAgentCommand(dest, { type: 'recovery-plan', id: newCommandId(), request });
  if (!Value.Check(RecoveryPlanCommandAckSchema, answer)) {
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${hostId} answered the recovery-plan ` +
      'command without a plan: it predates recovery plans; upgrade it');
  }
  const now = new Date();
  const ttl = request.ttl_seconds ?? RECOVERY_PLAN_TTL_SECONDS;
  const row = await fastify.prisma.recoveryPlan.create({
    data: {
      id: newPlanId(),
      hostId,
      action: request.action,
      status: answer.plan.executable ? 'planned' : 'refused',
      createdAt: now,
      createdBy: input.createdBy,
      expiresAt: new Date(now.getTime() + ttl * 1000),
      plan: JSON.stringify(answer.plan),
      seq: 0,
      updatedAt: now,
    },
  });
  publish(fastify, row);
  return toRecoveryPlan(row, now);
}

// --- reading ----------------------------------------------------------------------------------------------------

export interface PlanListFilter {
  host?: string;
  status?: RecoveryStatus;
  limit: number;
  /** a next_before of a previous page */
  before?: string;
}

/** Newest first (created_at, then id), keyset paged. */
export async function listRecoveryPlans(prisma: PrismaClient, filter: PlanListFilter, now = new Date()): Promise<RecoveryPlanList> {
  const and: Prisma.RecoveryPlanWhereInput[] = [];
  if (filter.host !== undefined) and.push({ hostId: filter.host });
  if (filter.status !== undefined) and.push(statusWhere(filter.status, now));
  if (filter.before !== undefined) {
    and.push(olderThan(filter.before));
  }
  const rows = await prisma.recoveryPlan.findMany({
    where: { AND: and }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  const plans = page.map((r) => toRecoveryPlan(r, now));
  return rows.length > filter.limit && last ? { plans, next_before: encodeBefore(last) } : { plans };
}

/** One plan; a planned row found past its expiry is marked expired on the way (the lazy half of expiry). */
export async function getRecoveryPlan(fastify: FastifyInstance, id: string, now = new Date()): Promise<RecoveryPlan> {
  const row = await requirePlanRow(fastify.prisma, id);
  if (row.status === 'planned' && effectiveStatus(row, now) === 'expired') await expirePlan(fastify, row, now);
  return toRecoveryPlan(row, now);
}

/** planned -> expired, only if the row is still planned (an execute may have won since it was read). */
async function expirePlan(fastify: FastifyInstance, row: RecoveryPlanRow, now: Date): Promise<boolean> {
  const updated = await fastify.prisma.recoveryPlan.updateMany({
    where: { id: row.id, status: 'planned', expiresAt: { lte: now } },
    data: { status: 'expired', updatedAt: now },
  });
  if (updated.count === 1) publish(fastify, { ...row, status: 'expired' });
  return updated.count === 1;
}

/** Marks every planned plan past its expiry as expired; returns how many. */
export async function expireDuePlans(fastify: FastifyInstance, now = new Date()): Promise<number> {
  const due = await fastify.prisma.recoveryPlan.findMany({ where: { status: 'planned', expiresAt: { lte: now } } });
  let expired = 0;
  for (const row of due) if (await expirePlan(fastify, row, now)) expired += 1;
  return expired;
}

/**
 * An agent posts its first report (seq 1) the moment a run starts, and retries it until the hub takes it. A plan
 * still executing without any report this long after the execute was claimed was never started: the hub stopped
 * between the claim and the command's answer. It becomes interrupted (a plan is never sent twice; plan again); a
 * report that still comes from the agent applies over it.
 */
export const NO_REPORT_AFTER_MS = 5 * 60_000;

export async function interruptUnstartedPlans(fastify: FastifyInstance, now = new Date()): Promise<number> {
  const stale = await fastify.prisma.recoveryPlan.findMany({
    where: { status: 'executing', seq: 0, updatedAt: { lte: new Date(now.getTime() - NO_REPORT_AFTER_MS) } },
  });
  let interrupted = 0;
  for (const row of stale) {
    const execution = row.execution !== null ? JSON.parse(row.execution) as RecoveryExecution : undefined;
    const error = `no progress report came from the agent within ${NO_REPORT_AFTER_MS / 60_000} min of the execute ` +
      '(the hub stopped while sending the command, or the agent never got it): plan again';
    const updated = await fastify.prisma.recoveryPlan.updateMany({
      where: { id: row.id, status: 'executing', seq: 0, updatedAt: row.updatedAt },
      data: {
        status: 'interrupted', updatedAt: now,
        ...(execution ? { execution: JSON.stringify({ ...execution, finished_at: now.toISOString(), error }) } : {}),
      },
    });
    if (updated.count === 1) {
      interrupted += 1;
      publish(fastify, { ...row, status: 'interrupted' });
    }
  }
  return interrupted;
}

// --- execution --------------------------------------------------------------------------------------------------

export interface ExecuteInput {
  planId: string;
  /** the digest of the plan the operator reviewed */
  digest: string;
  /** `${kind}:${name}` of the caller */
  executedBy: string;
}

/**
 * Starts a planned plan: checks it can run and that the caller reviewed this very plan (digest), moves it
 * planned -> executing with one conditional update (of two concurrent executes exactly one wins), then sends the
 * signed recovery-execute command. The agent plans again and starts only when its digest is the same. When it does
 * not start: the host changed or the plan cannot run, refused with the agent's fresh plan (409 HOST_CHANGED: plan
 * again); a passing reason (device busy, agent stopping, re-plan failed), planned again (409 NOT_STARTED); it already
 * runs or ran the plan (a lost answer), still executing (409 ALREADY_EXECUTED). When the command cannot be
 * delivered, planned again (the agent answers before it runs); when no answer comes in time, still executing.
 */
export async function executeRecoveryPlan(fastify: FastifyInstance, input: ExecuteInput): Promise<RecoveryPlan> {
  const prisma = fastify.prisma;
  const now = new Date();
  const row = await requirePlanRow(prisma, input.planId);
  const status = effectiveStatus(row, now);
  const plan = JSON.parse(row.plan) as RecoveryAgentPlan;
  const id = row.id;
  if (status === 'expired') {
    if (row.status === 'planned') await expirePlan(fastify, row, now);
    throw new ApiError('DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED', `recovery plan ${id} expired at ` +
      `${row.expiresAt.toISOString()} without being executed: plan again (POST /api/v1/hosts/${row.hostId}/recovery/plans)`);
  }
  if (status === 'refused') {
    throw new ApiError('DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE', `recovery plan ${id} cannot be executed: ` +
      `${plan.refusal ?? 'a precondition failed'}`);
  }
  if (status !== 'planned') {
    throw new ApiError('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED', `recovery plan ${id} is ${status}: a plan is ` +
      `executed once (GET /api/v1/recovery/plans/${id} shows its execution); plan again to act once more`);
  }
  if (input.digest !== plan.digest) {
    throw new ApiError('DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH', `the digest sent is not the digest of recovery plan ` +
      `${id}: review the plan you execute (GET /api/v1/recovery/plans/${id}) and send its plan.digest`);
  }
  const execution: RecoveryExecution = {
    executed_by: input.executedBy,
    started_at: now.toISOString(),
    steps: plan.steps.map((s) => ({ n: s.n, op: s.op, status: 'pending' as const })),
  };
  const claimed = await prisma.recoveryPlan.updateMany({
    where: { id, status: 'planned', expiresAt: { gt: now } },
    data: { status: 'executing', executedBy: input.executedBy, execution: JSON.stringify(execution), updatedAt: now },
  });
  if (claimed.count !== 1) {
    // another execute won, or the plan expired or changed between the read and the update: say which
    const again = await requirePlanRow(prisma, id);
    const nowStatus = effectiveStatus(again, new Date());
    if (nowStatus === 'expired') {
      throw new ApiError('DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED', `recovery plan ${id} expired at ` +
        `${again.expiresAt.toISOString()}: plan again (POST /api/v1/hosts/${again.hostId}/recovery/plans)`);
    }
    throw new ApiError('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED', `recovery plan ${id} is ${nowStatus}: another ` +
      `execute started it first (GET /api/v1/recovery/plans/${id} shows its execution)`);
  }
  publish(fastify, { ...row, status: 'executing' });

  /** the claim is undone only while no progress report came (seq 0): a report proves the agent runs it */
  const release = async (data: Prisma.RecoveryPlanUpdateManyMutationInput): Promise<void> => {
    const updated = await prisma.recoveryPlan.updateMany({ where: { id, status: 'executing', seq: 0 }, data });
    if (updated.count === 1) {
      const after = await requirePlanRow(prisma, id);
      publish(fastify, after);
    }
  };
  const backToPlanned = { status: 'planned', executedBy: null, execution: null, updatedAt: new Date() };
  let answer: unknown;
  try {
    const dest = await commandDestination(fastify, row.hostId);
    answer = await sendAgentCommand(dest, {
      type: 'recovery-execute', id: newCommandId(), plan_id: id, request: plan.request, digest: plan.digest,
      executed_by: input.executedBy.slice(0, 200),
    });
  } catch (err) {
    if (err instanceof AgentCommandTimeoutError) {
      // the agent may have started it (its re-plan can be slow): the plan stays executing; its first progress report
      // confirms it, and the sweep marks it interrupted when none comes
      throw new ApiError('DAXFLEET_ERR_AGENT_UNREACHABLE', `${err.message}. Recovery plan ${id} stays executing: ` +
        `follow it (GET /api/v1/recovery/plans/${id}); it becomes interrupted if the agent reports nothing within ` +
        `${NO_REPORT_AFTER_MS / 60_000} minutes`);
    }
    await release(backToPlanned);
    throw err;
  }
  if (!Value.Check(RecoveryExecuteCommandAckSchema, answer)) {
    await release(backToPlanned);
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${row.hostId} answered the recovery-execute ` +
      'command without saying whether it started: it predates recovery execution; upgrade it');
  }
  if (!answer.started) {
    const refusal = answer.refusal ?? answer.plan?.refusal ?? 'the agent did not start the plan';
    const because = answer.refused_because;
    if (because === 'already-executed') {
      // an earlier execute reached the agent but its answer was lost: the agent runs or ran it, its reports follow
      throw new ApiError('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED', `the agent of host ${row.hostId} already runs or ran ` +
        `recovery plan ${id} (${refusal}): follow it (GET /api/v1/recovery/plans/${id})`);
    }
    if (because === 'device-busy' || because === 'stopping' || because === 'replan-failed') {
      // nothing about the plan is wrong: it stays planned, to execute again later
      await release(backToPlanned);
      throw new ApiError('DAXFLEET_ERR_RECOVERY_NOT_STARTED', `the agent of host ${row.hostId} did not start recovery ` +
        `plan ${id}: ${refusal}. The plan stays planned until ${row.expiresAt.toISOString()}: execute it again then`);
    }
    // the agent's fresh plan when it gave one (the host changed), else ours; either way with the agent's refusal
    const fresh: RecoveryAgentPlan = { ...(answer.plan ?? plan), refusal };
    await release({ status: 'refused', plan: JSON.stringify(fresh), executedBy: null, execution: null, updatedAt: new Date() });
    throw new ApiError('DAXFLEET_ERR_RECOVERY_HOST_CHANGED', `the agent of host ${row.hostId} did not start recovery ` +
      `plan ${id}: ${refusal}. The plan is now refused (its fresh plan is stored): plan again ` +
      `(POST /api/v1/hosts/${row.hostId}/recovery/plans)`);
  }
  return toRecoveryPlan(await requirePlanRow(prisma, id));
}

// --- progress from the agent ------------------------------------------------------------------------------------

export interface ProgressInput {
  /** the agent credential's host */
  hostId: string;
  report: RecoveryProgressReport;
  /** for the audit entries */
  sourceIp: string;
  /** the HTTP status the route answers, for the audit entries */
  statusCode: number;
}

function resultDetail(report: RecoveryProgressReport): string {
  const v = report.execution.verification;
  if (v) return `${v.verdict}: ${v.detail}`;
  return `${report.status}${report.execution.error !== undefined ? `: ${report.execution.error}` : ''}`;
}

/**
 * Applies an agent's progress report when its seq is above the stored one (a re-sent or late report changes
 * nothing) and the plan is executing or interrupted (else 409 RECOVERY_NOT_EXECUTING), and audits in the same transaction every step that newly reached done or failed ('recovery.step')
 * and, once, the final status ('recovery.result'). Answers the highest seq the hub now has for the plan.
 */
export async function applyProgressReport(fastify: FastifyInstance, input: ProgressInput): Promise<RecoveryProgressAck> {
  const { report, hostId } = input;
  if (report.host_id !== hostId) {
    throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', `this agent credential belongs to host "${hostId}" and cannot ` +
      `report progress as "${report.host_id}"`);
  }
  const outcome = await fastify.prisma.$transaction(async (tx) => {
    const row = await tx.recoveryPlan.findUnique({ where: { id: report.plan_id } });
    if (!row) {
      throw new ApiError('DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND', `no recovery plan ${report.plan_id} on this hub: ` +
        'drop the report (the plan was made on another hub, or its database was replaced)');
    }
    if (row.hostId !== hostId) {
      throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', `recovery plan ${row.id} is for host ${row.hostId}, not ` +
        `${hostId}: an agent reports only its own host's plans`);
    }
    if (report.seq <= row.seq) return { row, applied: false };
    // only a plan the hub handed to the agent takes reports; an interrupted one too (the sweep may have marked it
    // before a slow agent's first report arrived)
    if (!REPORTABLE.has(row.status)) {
      throw new ApiError('DAXFLEET_ERR_RECOVERY_NOT_EXECUTING', `recovery plan ${row.id} is ${row.status}, not ` +
        'executing: the hub takes no progress for it; drop the report');
    }
    const now = new Date();
    const before = row.execution !== null ? JSON.parse(row.execution) as RecoveryExecution : undefined;
    const was = new Map((before?.steps ?? []).map((s) => [s.n, s.status]));
    const updated = await tx.recoveryPlan.update({
      where: { id: row.id },
      data: {
        status: report.status, execution: JSON.stringify(report.execution), executedBy: report.execution.executed_by,
        seq: report.seq, updatedAt: now,
      },
    });
    const audit = { actor_kind: 'agent' as const, actor: hostId, source_ip: input.sourceIp, target: `plan:${row.id}`, at: now };
    for (const step of report.execution.steps) {
      if ((step.status !== 'done' && step.status !== 'failed') || was.get(step.n) === step.status) continue;
      await recordAudit(tx, {
        ...audit, action: 'recovery.step', result: step.status === 'done' ? 'success' : 'failure',
        status_code: input.statusCode, detail: `step ${step.n} ${step.op}: ${step.detail ?? step.status}`,
      });
    }
    if (FINAL.has(report.status) && report.status !== row.status) {
      await recordAudit(tx, {
        ...audit, action: 'recovery.result',
        result: report.status === 'verified' || report.status === 'still-present' ? 'success' : 'failure',
        status_code: input.statusCode, detail: resultDetail(report),
      });
    }
    return { row: updated, applied: true };
  });
  if (outcome.applied) publish(fastify, outcome.row);
  return { plan_id: outcome.row.id, seq: outcome.row.seq };
}

// --- the expiry sweep -------------------------------------------------------------------------------------------

/** Marks expired and never-started plans every `intervalMs` (started when the hub is ready, stopped before it closes). */
export class RecoveryPlanSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly fastify: FastifyInstance, private readonly intervalMs: number) {}

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep().finally(() => { this.running = undefined; });
    }, this.intervalMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    try {
      await expireDuePlans(this.fastify);
      await interruptUnstartedPlans(this.fastify);
    } catch (err) {
      this.fastify.log.error({ err }, 'recovery plan sweep failed; retrying at the next one');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
