/**
 * DAX changes on the hub (issue 7): a namespace / dax device / filesystem-flag change planned by the host's agent
 * (a dry run), stored with an id and an expiry, executed by an operator with the digest of the plan they reviewed,
 * and answered with the agent's result (its steps and the verification by a fresh scan).
 *
 * Everything lives in dax_changes. The row's `plan` is the agent's DaxChangeAgentPlan verbatim, its `result` the
 * agent's DaxChangeResult. Unlike recovery there is no progress stream: the execute command is answered once the
 * change ran and was verified (within the 120 s command timeout), so the hub writes the result itself. State changes
 * are conditional updates: of two concurrent executes exactly one claims the change. Every change of a row
 * publishes a `dax` notice on the media bus (the SSE stream forwards it; the UI refetches).
 *
 * Expiry as recovery: a planned change past expires_at reads as expired everywhere; the sweep (DaxChangeSweeper)
 * writes it into the row, and ends a change left executing after the hub stopped mid-command (interrupted).
 */
import { randomBytes } from 'node:crypto';
import {
  DAX_CHANGE_TTL_SECONDS, DaxChangeExecuteCommandAckSchema, DaxChangePlanCommandAckSchema, DaxChangeRequestSchema,
  FsDaxInspectCommandAckSchema,
  type DaxChange, type DaxChangeAgentPlan, type DaxChangeKind, type DaxChangeList, type DaxChangeRequest,
  type DaxChangeResult, type DaxChangeStatus, type FsDaxInspectRequest, type FsDaxInspectResult,
} from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { Value } from 'typebox/value';
import type { DaxChange as DaxChangeRow, Prisma } from '../../generated/prisma/index.js';
import {
  AgentAnswerLostError, AgentCommandTimeoutError, commandDestination, commandTimeoutMs, newCommandId, sendAgentCommand,
} from '../agent/command-sender.js';
import type { PrismaClient } from '../db/client.js';
import { ApiError } from '../errors.js';
import { recordAudit } from './audit.js';
import { requireHost } from './ledger.js';
import { effectiveStatus as effectiveRowStatus, encodeBefore, olderThan, statusWhere } from './planned-rows.js';

export const DEFAULT_CHANGE_LIST_LIMIT = 50;
export const DEFAULT_DAX_SWEEP_MS = 30_000;
/**
 * A change still executing this long after it was claimed lost its command: the execute command is answered
 * within its timeout (120 s) or fails, so only a hub stopped in between leaves one behind.
 */
export const EXECUTING_STALE_MS = 5 * 60_000;

/** 128 random bits, url-safe, "dc_" first (a bare base64url id can start with "-", read as an option by a CLI). */
export function newChangeId(): string {
  return `dc_${randomBytes(16).toString('base64url')}`;
}

/** The status a row reads as at `now`: planned past its expiry is expired, whether the row was updated or not. */
export function effectiveStatus(row: Pick<DaxChangeRow, 'status' | 'expiresAt'>, now: Date): DaxChangeStatus {
  return effectiveRowStatus<DaxChangeStatus>(row, now);
}

export function toDaxChange(row: DaxChangeRow, now = new Date()): DaxChange {
  return {
    id: row.id,
    host_id: row.hostId,
    kind: row.kind,
    status: effectiveStatus(row, now),
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    expires_at: row.expiresAt.toISOString(),
    plan: JSON.parse(row.plan) as DaxChangeAgentPlan,
    ...(row.executedAt !== null ? { executed_at: row.executedAt.toISOString() } : {}),
    ...(row.result !== null ? { result: JSON.parse(row.result) as DaxChangeResult } : {}),
  };
}

function publish(fastify: FastifyInstance, row: Pick<DaxChangeRow, 'id' | 'hostId' | 'kind' | 'status' | 'expiresAt'>): void {
  fastify.mediaBus.emit('dax', { id: row.id, host_id: row.hostId, kind: row.kind, status: effectiveStatus(row, new Date()) });
}

async function requireChangeRow(prisma: PrismaClient, id: string): Promise<DaxChangeRow> {
  const row = await prisma.daxChange.findUnique({ where: { id } });
  if (!row) {
    throw new ApiError('DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND', `no DAX change ${id}: GET /api/v1/dax/changes lists them`);
  }
  return row;
}

/** What a device-level change names, for messages: "namespace0.0", "dax1.0", "/mnt/pmem/db". */
export function changeSubject(request: DaxChangeRequest): string {
  switch (request.kind) {
    case 'namespace-create': return request.region;
    case 'namespace-reconfigure': case 'namespace-destroy': return request.namespace;
    case 'daxdev-reconfigure': case 'daxdev-online': case 'daxdev-offline': return request.device;
    case 'fs-dax-policy': return request.path;
  }
}

// --- planning ---------------------------------------------------------------------------------------------------

/**
 * The request with its defaults written out (existing: "none", online / movable: true). The agent's digest covers
 * the request as it received it, and its answer's serializer writes the schema's defaults into the plan's request
 * (the body validator does not apply defaults inside the request's union): without this, a request that left a
 * default out came back with it, and executing that stored request gave another digest (409 HOST_CHANGED).
 */
export function withDefaults(request: DaxChangeRequest): DaxChangeRequest {
  return Value.Default(DaxChangeRequestSchema, structuredClone(request)) as DaxChangeRequest;
}

export interface CreateChangeInput {
  hostId: string;
  request: DaxChangeRequest;
  ttlSeconds?: number;
  /** `${kind}:${name}` of the caller */
  createdBy: string;
}

/**
 * Asks the host's agent for a plan (the signed dax-change-plan command: a dry run, nothing changes on the host) and
 * stores its answer verbatim: planned when executable, else refused. The expiry counts from when the answer came.
 */
export async function createDaxChange(fastify: FastifyInstance, input: CreateChangeInput): Promise<DaxChange> {
  const { hostId } = input;
  const request = withDefaults(input.request);
  await requireHost(fastify.prisma, hostId);
  const dest = await commandDestination(fastify, hostId);
  const answer = await sendAgentCommand(dest, { type: 'dax-change-plan', id: newCommandId(), request });
  if (!Value.Check(DaxChangePlanCommandAckSchema, answer)) {
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${hostId} answered the dax-change-plan ` +
      'command without a plan: it predates DAX changes; upgrade it');
  }
  const plan = answer.dax_plan;
  const now = new Date();
  const ttl = input.ttlSeconds ?? DAX_CHANGE_TTL_SECONDS;
  const row = await fastify.prisma.daxChange.create({
    data: {
      id: newChangeId(),
      hostId,
      kind: request.kind,
      status: plan.executable ? 'planned' : 'refused',
      createdAt: now,
      createdBy: input.createdBy,
      expiresAt: new Date(now.getTime() + ttl * 1000),
      plan: JSON.stringify(plan),
      updatedAt: now,
    },
  });
  publish(fastify, row);
  return toDaxChange(row, now);
}

// --- reading ----------------------------------------------------------------------------------------------------

export interface ChangeListFilter {
  host?: string;
  kind?: DaxChangeKind;
  status?: DaxChangeStatus;
  limit: number;
  /** a next_before of a previous page */
  before?: string;
}

/** Newest first (created_at, then id), keyset paged. */
export async function listDaxChanges(prisma: PrismaClient, filter: ChangeListFilter, now = new Date()): Promise<DaxChangeList> {
  const and: Prisma.DaxChangeWhereInput[] = [];
  if (filter.host !== undefined) and.push({ hostId: filter.host });
  if (filter.kind !== undefined) and.push({ kind: filter.kind });
  if (filter.status !== undefined) and.push(statusWhere(filter.status, now));
  if (filter.before !== undefined) {
    and.push(olderThan(filter.before));
  }
  const rows = await prisma.daxChange.findMany({
    where: { AND: and }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: filter.limit + 1,
  });
  const page = rows.slice(0, filter.limit);
  const last = page[page.length - 1];
  const changes = page.map((r) => toDaxChange(r, now));
  return rows.length > filter.limit && last ? { changes, next_before: encodeBefore(last) } : { changes };
}

/** One change; a planned row found past its expiry is marked expired on the way (the lazy half of expiry). */
export async function getDaxChange(fastify: FastifyInstance, id: string, now = new Date()): Promise<DaxChange> {
  const row = await requireChangeRow(fastify.prisma, id);
  if (row.status === 'planned' && effectiveStatus(row, now) === 'expired') await expireChange(fastify, row, now);
  return toDaxChange(row, now);
}

/** planned -> expired, only if the row is still planned (an execute may have won since it was read). */
async function expireChange(fastify: FastifyInstance, row: DaxChangeRow, now: Date): Promise<boolean> {
  const updated = await fastify.prisma.daxChange.updateMany({
    where: { id: row.id, status: 'planned', expiresAt: { lte: now } },
    data: { status: 'expired', updatedAt: now },
  });
  if (updated.count === 1) publish(fastify, { ...row, status: 'expired' });
  return updated.count === 1;
}

/** Marks every planned change past its expiry as expired; returns how many. */
export async function expireDueChanges(fastify: FastifyInstance, now = new Date()): Promise<number> {
  const due = await fastify.prisma.daxChange.findMany({ where: { status: 'planned', expiresAt: { lte: now } } });
  let expired = 0;
  for (const row of due) if (await expireChange(fastify, row, now)) expired += 1;
  return expired;
}

/**
 * A change executing for EXECUTING_STALE_MS was claimed by a hub that stopped before the agent's answer came:
 * it becomes interrupted (the agent may have run it: the host's next scan shows its state; plan again).
 */
export async function interruptStaleChanges(fastify: FastifyInstance, now = new Date()): Promise<number> {
  const stale = await fastify.prisma.daxChange.findMany({
    where: { status: 'executing', updatedAt: { lte: new Date(now.getTime() - EXECUTING_STALE_MS) } },
  });
  let interrupted = 0;
  for (const row of stale) {
    const error = `no answer from the agent was recorded within ${EXECUTING_STALE_MS / 60_000} min of the execute ` +
      '(the hub stopped while the command ran): the host\'s inventory shows whether the change happened; plan again';
    const result = interruptedResult(row, now, error);
    const updated = await fastify.prisma.daxChange.updateMany({
      where: { id: row.id, status: 'executing', updatedAt: row.updatedAt },
      data: { status: 'interrupted', result: JSON.stringify(result), updatedAt: now },
    });
    if (updated.count === 1) {
      interrupted += 1;
      await recordAudit(fastify.prisma, {
        actor_kind: 'system', actor: 'hub', source_ip: 'local', action: 'dax.result', target: `change:${row.id}`,
        result: 'failure', status_code: 0, detail: `interrupted: ${error}`, at: now,
      });
      publish(fastify, { ...row, status: 'interrupted' });
    }
  }
  return interrupted;
}

/** The result stored for an interrupted change: nothing is known of its steps, the error says what to do. */
function interruptedResult(row: Pick<DaxChangeRow, 'executedBy' | 'executedAt'>, now: Date, error: string): DaxChangeResult {
  return {
    outcome: 'failed',
    executed_by: row.executedBy ?? '-',
    started_at: (row.executedAt ?? now).toISOString(),
    finished_at: now.toISOString(),
    steps: [],
    verification: [],
    error,
  };
}

// --- execution --------------------------------------------------------------------------------------------------

export interface ExecuteChangeInput {
  changeId: string;
  /** the digest of the plan the operator reviewed */
  digest: string;
  /** who executes it: executed_by is `${kind}:${name}`, and the dax.result audit entry's actor */
  caller: { kind: 'user' | 'token'; name: string };
  /** for the dax.result audit entry */
  sourceIp: string;
  /** the answer's wait; default the command's timeout (120 s) */
  timeoutMs?: number;
}

/** One line for the dax.result audit entry: the outcome and the verification checks that failed (or how many held). */
export function resultSummary(result: DaxChangeResult): string {
  const failed = result.verification.filter((c) => !c.ok);
  const failedSteps = result.steps.filter((s) => s.status === 'failed');
  const parts: string[] = [result.outcome];
  if (failedSteps.length > 0) parts.push(`step ${failedSteps.map((s) => `${s.n} ${s.op}`).join(', ')} failed`);
  if (failed.length > 0) parts.push(`verification failed: ${failed.map((c) => `${c.id} (${c.detail})`).join('; ')}`);
  else if (result.verification.length > 0) parts.push(`verification: ${result.verification.length} checks ok`);
  if (result.changed !== undefined) parts.push(`${result.changed} flags changed`);
  if (result.pending !== undefined && result.pending > 0) parts.push(`${result.pending} pending`);
  if (result.error !== undefined) parts.push(result.error);
  return parts.join('; ');
}

/**
 * Executes a planned change: checks it can run and that the caller reviewed this very plan (digest), claims it
 * planned -> executing with one conditional update (of two concurrent executes exactly one wins), then sends the
 * signed dax-change-execute command and waits for the result (120 s). The agent plans again and runs only when its
 * digest is the same and the plan is executable: else the change becomes refused with the agent's fresh plan (409
 * DAX_HOST_CHANGED); another change running on the host leaves it planned (409 DAX_BUSY). When the command cannot
 * be delivered or is refused, it goes back to planned (502); when no answer comes in time or the connection closes
 * before it, it becomes interrupted (200, result.error says so: the agent may have run it, the next scan shows).
 */
export async function executeDaxChange(fastify: FastifyInstance, input: ExecuteChangeInput): Promise<DaxChange> {
  const prisma = fastify.prisma;
  const now = new Date();
  const executedBy = `${input.caller.kind}:${input.caller.name}`;
  const row = await requireChangeRow(prisma, input.changeId);
  const status = effectiveStatus(row, now);
  const plan = JSON.parse(row.plan) as DaxChangeAgentPlan;
  const id = row.id;
  const replan = `plan again (POST /api/v1/hosts/${row.hostId}/dax/changes)`;
  if (status === 'expired') {
    if (row.status === 'planned') await expireChange(fastify, row, now);
    throw new ApiError('DAXFLEET_ERR_DAX_CHANGE_EXPIRED', `DAX change ${id} expired at ${row.expiresAt.toISOString()} ` +
      `without being executed: ${replan}`);
  }
  if (status === 'refused') {
    throw new ApiError('DAXFLEET_ERR_DAX_NOT_EXECUTABLE', `DAX change ${id} cannot be executed: ` +
      `${plan.refusal ?? 'a precondition failed'}. Fix that on the host, then ${replan}`);
  }
  if (status !== 'planned') {
    throw new ApiError('DAXFLEET_ERR_DAX_ALREADY_EXECUTED', `DAX change ${id} is ${status}: a change is executed ` +
      `once (GET /api/v1/dax/changes/${id} shows its result); ${replan} to change the host again`);
  }
  if (input.digest !== plan.digest) {
    throw new ApiError('DAXFLEET_ERR_DAX_DIGEST_MISMATCH', `the digest sent is not the digest of DAX change ${id}: ` +
      `review the plan you execute (GET /api/v1/dax/changes/${id}) and send its plan.digest`);
  }
  const claimed = await prisma.daxChange.updateMany({
    where: { id, status: 'planned', expiresAt: { gt: now } },
    data: { status: 'executing', executedBy, executedAt: now, updatedAt: now },
  });
  if (claimed.count !== 1) {
    // another execute won, or the change expired between the read and the update: say which
    const again = await requireChangeRow(prisma, id);
    const nowStatus = effectiveStatus(again, new Date());
    if (nowStatus === 'expired') {
      throw new ApiError('DAXFLEET_ERR_DAX_CHANGE_EXPIRED', `DAX change ${id} expired at ` +
        `${again.expiresAt.toISOString()}: ${replan}`);
    }
    throw new ApiError('DAXFLEET_ERR_DAX_ALREADY_EXECUTED', `DAX change ${id} is ${nowStatus}: another execute ` +
      `started it first (GET /api/v1/dax/changes/${id} shows its result)`);
  }
  publish(fastify, { ...row, status: 'executing' });

  /** only the claim this call made is moved on (the sweep may have marked it interrupted meanwhile) */
  const settle = async (data: Prisma.DaxChangeUpdateManyMutationInput): Promise<DaxChangeRow> => {
    const updated = await prisma.daxChange.updateMany({ where: { id, status: 'executing', executedAt: now }, data });
    const after = await requireChangeRow(prisma, id);
    if (updated.count === 1) publish(fastify, after);
    return after;
  };
  const backToPlanned = { status: 'planned', executedBy: null, executedAt: null, updatedAt: new Date() };
  const auditResult = async (result: 'success' | 'failure', detail: string): Promise<void> => {
    await recordAudit(prisma, {
      actor_kind: input.caller.kind, actor: input.caller.name, source_ip: input.sourceIp, action: 'dax.result',
      target: `change:${id}`, result, status_code: 200, detail,
    });
  };

  /** the agent may have made the change: never planned again (it would run twice); the next scan shows the host */
  const interrupt = async (error: string): Promise<DaxChange> => {
    const result = interruptedResult({ executedBy, executedAt: now }, new Date(), error);
    const after = await settle({ status: 'interrupted', result: JSON.stringify(result), updatedAt: new Date() });
    await auditResult('failure', `interrupted: ${error}`);
    return toDaxChange(after);
  };

  let answer: unknown;
  const timeoutMs = input.timeoutMs ?? commandTimeoutMs('dax-change-execute');
  try {
    const dest = await commandDestination(fastify, row.hostId);
    answer = await sendAgentCommand(dest, {
      type: 'dax-change-execute', id: newCommandId(), change_id: id, request: plan.request, digest: plan.digest,
      executed_by: executedBy.slice(0, 200),
    }, { timeoutMs });
  } catch (err) {
    if (err instanceof AgentCommandTimeoutError || err instanceof AgentAnswerLostError) {
      // no answer in time, or the connection broke before it: the agent may have made the change or part of it
      const why = err instanceof AgentAnswerLostError
        ? `the connection to the agent broke before its answer (${err.message}): it may have made the change or part of it`
        : err.message;
      return interrupt(`${why}. The host's next inventory (GET /api/v1/hosts/${row.hostId}/inventory) shows its state: ` +
        'plan again from there');
    }
    await settle(backToPlanned);
    throw err;
  }
  if (!Value.Check(DaxChangeExecuteCommandAckSchema, answer)) {
    await settle(backToPlanned);
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${row.hostId} answered the dax-change-execute ` +
      'command without a result: it predates DAX changes; upgrade it');
  }
  if (!answer.executed) {
    const refusal = answer.refusal ?? answer.dax_plan?.refusal ?? 'the agent did not run the change';
    if (answer.refused_because === 'busy') {
      await settle(backToPlanned);
      throw new ApiError('DAXFLEET_ERR_DAX_BUSY', `the agent of host ${row.hostId} did not run DAX change ${id}: ` +
        `${refusal}. The change stays planned until ${row.expiresAt.toISOString()}: execute it again once the other ` +
        'change finished');
    }
    if (answer.refused_because === 'already-executed') {
      // the agent's journal has this change as started before (a replay, or an execute the hub lost the answer of):
      // never run twice; its result when the agent has one, else the change may be half done (interrupted)
      const known = answer.result;
      if (known !== undefined) {
        await settle({ status: known.outcome, result: JSON.stringify(known), updatedAt: new Date() });
        await auditResult(known.outcome === 'verified' ? 'success' : 'failure', `already executed: ${resultSummary(known)}`);
      } else {
        await interrupt(`${refusal}; the agent has no result for it (it stopped while the change ran): the host's next ` +
          `inventory (GET /api/v1/hosts/${row.hostId}/inventory) shows its state`);
      }
      throw new ApiError('DAXFLEET_ERR_DAX_ALREADY_EXECUTED', `the agent of host ${row.hostId} did not run DAX change ${id} ` +
        `again: ${refusal}. ${known !== undefined ? `Its result (${known.outcome}) is stored with the change`
          : 'The change is now interrupted'}: GET /api/v1/dax/changes/${id}`);
    }
    // host-changed / not-executable: the agent's fresh plan when it gave one, else ours; with the agent's refusal
    const fresh: DaxChangeAgentPlan = { ...(answer.dax_plan ?? plan), refusal };
    await settle({ status: 'refused', plan: JSON.stringify(fresh), executedBy: null, executedAt: null, updatedAt: new Date() });
    throw new ApiError('DAXFLEET_ERR_DAX_HOST_CHANGED', `the agent of host ${row.hostId} did not run DAX change ${id}: ` +
      `${refusal}. The change is now refused (the agent's fresh plan is stored): review it and ${replan}`);
  }
  if (answer.result === undefined) {
    // executed without a result breaks the command's contract; the host may have changed all the same
    return interrupt('the agent said it executed the change but sent no result: the host\'s next inventory ' +
      `(GET /api/v1/hosts/${row.hostId}/inventory) shows its state`);
  }
  const result = answer.result;
  const after = await settle({ status: result.outcome, result: JSON.stringify(result), updatedAt: new Date() });
  await auditResult(result.outcome === 'verified' ? 'success' : 'failure', resultSummary(result));
  return toDaxChange(after);
}

// --- filesystem DAX inspection ----------------------------------------------------------------------------------

/** Asks the host's agent what DAX state a path (and its children / subtree) is in: the fs-dax-inspect command. */
export async function inspectHostFsDax(
  fastify: FastifyInstance, hostId: string, request: FsDaxInspectRequest,
): Promise<FsDaxInspectResult> {
  await requireHost(fastify.prisma, hostId);
  const dest = await commandDestination(fastify, hostId);
  const answer = await sendAgentCommand(dest, { type: 'fs-dax-inspect', id: newCommandId(), request });
  if (!Value.Check(FsDaxInspectCommandAckSchema, answer)) {
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${hostId} answered the fs-dax-inspect ` +
      'command without an inspection: it predates filesystem DAX inspection; upgrade it');
  }
  return answer.inspection;
}

// --- the sweep --------------------------------------------------------------------------------------------------

/** Marks expired and stale executing changes every `intervalMs` (started when the hub is ready, stopped before it closes). */
export class DaxChangeSweeper {
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
      await expireDueChanges(this.fastify);
      await interruptStaleChanges(this.fastify);
    } catch (err) {
      this.fastify.log.error({ err }, 'DAX change sweep failed; retrying at the next one');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
