/**
 * Address range scrubs from the hub: one host at a time on request (startHostScrub), and fleet-wide jobs that
 * start hosts ONE AT A TIME so a fleet never scrubs all at once (ARS costs memory bandwidth on the host it runs
 * on). A job is a scrub_jobs row: its status and, as JSON, every host's state in order. The runner keeps nothing
 * that matters in memory: each step reads the row and the host's current inventory from the database and writes
 * the row back, so a hub restarted mid-job carries on where the table says (services/scrub-jobs.ts, started by
 * plugins/app/scrub-jobs.ts).
 *
 * A host's scrub is done when a report shows, for every bus it started, the bus idle with a scrub count above the
 * count before the start (the kernel counts completed scrubs in nfit/scrub). Reports arrive through the ingest
 * route; the runner wakes on its `ingested` notices (fastify.mediaBus) for the host it waits for, and polls
 * besides (missed notices, per-host timeouts).
 */
import { randomUUID } from 'node:crypto';
import {
  ScrubCommandAckSchema, type Inventory, type ScrubBusResult, type ScrubHostState, type ScrubJob,
  type ScrubJobCounts, type ScrubJobStatus,
} from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { Value } from 'typebox/value';
import { commandDestination, newCommandId, sendAgentCommand, type CommandDestination } from '../agent/command-sender.js';
import type { PrismaClient } from '../db/client.js';
import { ApiError } from '../errors.js';
import { ONLINE_INTERVALS } from './hosts.js';
import type { IngestedNotice } from './media-bus.js';

export const DEFAULT_HOST_TIMEOUT_S = 6 * 3600;
export const DEFAULT_POLL_MS = 5000;

const TERMINAL = new Set<ScrubHostState['state']>(['completed', 'failed', 'skipped', 'cancelled']);

/** The buses of an inventory that offer address range scrub (their nfit/scrub was read). */
export function scrubBusesOf(inventory: Inventory): Array<{ bus: string; scrub_state?: 'idle' | 'active'; scrub_count: number }> {
  return inventory.buses.flatMap((b) => (b.scrub_count === undefined ? [] : [{
    bus: b.dev, scrub_count: b.scrub_count, ...(b.scrub_state !== undefined ? { scrub_state: b.scrub_state } : {}),
  }]));
}

async function currentInventory(prisma: PrismaClient, hostId: string): Promise<Inventory | undefined> {
  return (await latestReport(prisma, hostId)).inventory;
}

/** The host's current inventory and when it last reported (last_seen: every report bumps it). */
async function latestReport(prisma: PrismaClient, hostId: string): Promise<{ inventory?: Inventory; lastSeen?: Date }> {
  const host = await prisma.host.findUnique({
    where: { id: hostId }, select: { lastSeen: true, currentVersion: { select: { inventory: true } } },
  });
  const json = host?.currentVersion?.inventory;
  return {
    ...(json !== undefined ? { inventory: JSON.parse(json) as Inventory } : {}),
    ...(host ? { lastSeen: host.lastSeen } : {}),
  };
}

/**
 * Sends the signed scrub command and returns the agent's per-bus answer. Throws the command sender's errors, or
 * AGENT_REFUSED when the agent answered without per-bus results (an agent older than the scrub command).
 */
export async function startHostScrub(fastify: FastifyInstance, hostId: string, bus?: string): Promise<ScrubBusResult[]> {
  return sendScrubCommand(await commandDestination(fastify, hostId), bus);
}

/** The send half of startHostScrub: once it is called, the agent may have written nfit/scrub even when it throws. */
async function sendScrubCommand(dest: CommandDestination, bus?: string): Promise<ScrubBusResult[]> {
  const command = { type: 'scrub' as const, id: newCommandId(), ...(bus !== undefined ? { bus } : {}) };
  const answer = await sendAgentCommand(dest, command);
  if (!Value.Check(ScrubCommandAckSchema, answer)) {
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${dest.hostId} answered the scrub command ` +
      'without per-bus results: it predates address range scrub; upgrade it');
  }
  return answer.buses;
}

/** One line on why no bus started, from the agent's per-bus reasons. */
export function notStartedMessage(hostId: string, buses: readonly ScrubBusResult[]): string {
  const reasons = buses.map((b) => `${b.bus}: ${b.reason ?? 'not started'}`).join('; ');
  return `no address range scrub started on host ${hostId} (${reasons || 'it has no nd bus'})`;
}

// --- jobs ------------------------------------------------------------------------------------------------------

interface JobRow { id: string; createdAt: Date; createdBy: string; status: string; hosts: string; updatedAt: Date }

export function toScrubJob(row: JobRow): ScrubJob {
  const hosts = JSON.parse(row.hosts) as ScrubHostState[];
  const counts: ScrubJobCounts = {
    total: hosts.length, waiting: 0, starting: 0, running: 0, completed: 0, failed: 0, skipped: 0, cancelled: 0,
  };
  for (const h of hosts) counts[h.state] += 1;
  return {
    id: row.id,
    status: row.status as ScrubJobStatus,
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    updated_at: row.updatedAt.toISOString(),
    host_timeout_s: hosts[0]?.timeout_s ?? DEFAULT_HOST_TIMEOUT_S,
    hosts,
    counts,
  };
}

export interface CreateScrubJobInput {
  hostIds?: readonly string[];
  hostTimeoutS: number;
  createdBy: string;
  now?: Date;
}

/**
 * Creates a running job: the named hosts in that order, or every online host whose current inventory has a bus
 * that can scrub (by hostname). Refused while another job runs: two jobs would scrub two hosts at once.
 */
export async function createScrubJob(prisma: PrismaClient, input: CreateScrubJobInput): Promise<ScrubJob> {
  const now = input.now ?? new Date();
  return prisma.$transaction(async (tx) => {
    const running = await tx.scrubJob.findFirst({ where: { status: 'running' }, select: { id: true } });
    if (running) {
      throw new ApiError('DAXFLEET_ERR_SCRUB_JOB_RUNNING', `scrub job ${running.id} is still running: wait for it ` +
        `(GET /api/v1/scrubs/${running.id}) or cancel it (POST /api/v1/scrubs/${running.id}/cancel) first`);
    }
    const rows = await tx.host.findMany({
      where: input.hostIds ? { id: { in: [...input.hostIds] } } : {},
      select: {
        id: true, hostname: true, lastSeen: true, intervalMs: true, currentVersion: { select: { inventory: true } },
      },
      orderBy: [{ hostname: 'asc' }, { id: 'asc' }],
    });
    const byId = new Map(rows.map((r) => [r.id, r]));
    const chosen: typeof rows = [];
    if (input.hostIds) {
      for (const id of input.hostIds) {
        const row = byId.get(id);
        if (!row || !row.currentVersion) {
          throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host ${id} with an inventory: GET /api/v1/hosts lists the hosts`);
        }
        chosen.push(row);
      }
    } else {
      chosen.push(...rows.filter((r) => now.getTime() - r.lastSeen.getTime() <= ONLINE_INTERVALS * r.intervalMs));
    }
    const hosts: ScrubHostState[] = [];
    for (const row of chosen) {
      const buses = row.currentVersion ? scrubBusesOf(JSON.parse(row.currentVersion.inventory) as Inventory) : [];
      if (buses.length === 0) {
        if (input.hostIds) {
          throw new ApiError('DAXFLEET_ERR_SCRUB_UNSUPPORTED', `host ${row.id} (${row.hostname}) has no bus that ` +
            'offers address range scrub (its inventory shows no nfit/scrub): leave it out of host_ids');
        }
        continue;
      }
      hosts.push({
        host_id: row.id, hostname: row.hostname, state: 'waiting', timeout_s: input.hostTimeoutS,
        buses: buses.map((b) => ({ bus: b.bus, started: false })),
      });
    }
    if (hosts.length === 0) {
      throw new ApiError('DAXFLEET_ERR_SCRUB_UNSUPPORTED', 'no online host has a bus that offers address range scrub ' +
        '(no inventory shows nfit/scrub; QEMU\'s emulated NVDIMMs have none): nothing to scrub');
    }
    const row = await tx.scrubJob.create({
      data: { id: randomUUID(), createdAt: now, createdBy: input.createdBy, status: 'running', hosts: JSON.stringify(hosts), updatedAt: now },
    });
    return toScrubJob(row);
  });
}

export async function listScrubJobs(prisma: PrismaClient, status: ScrubJobStatus | undefined, limit: number): Promise<ScrubJob[]> {
  const rows = await prisma.scrubJob.findMany({
    where: status ? { status } : {}, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: limit,
  });
  return rows.map(toScrubJob);
}

export async function getScrubJob(prisma: PrismaClient, id: string): Promise<ScrubJob> {
  const row = await prisma.scrubJob.findUnique({ where: { id } });
  if (!row) throw new ApiError('DAXFLEET_ERR_SCRUB_JOB_NOT_FOUND', `no scrub job ${id}: GET /api/v1/scrubs lists them`);
  return toScrubJob(row);
}

/**
 * Cancels a running job: hosts not finished become cancelled, the runner stops at its next write (every write it
 * makes requires the job still running). A scrub the kernel already runs is not stopped: sysfs offers no way.
 */
export async function cancelScrubJob(prisma: PrismaClient, id: string, now = new Date()): Promise<ScrubJob> {
  for (;;) {
    const row = await prisma.scrubJob.findUnique({ where: { id } });
    if (!row) throw new ApiError('DAXFLEET_ERR_SCRUB_JOB_NOT_FOUND', `no scrub job ${id}: GET /api/v1/scrubs lists them`);
    if (row.status !== 'running') {
      throw new ApiError('DAXFLEET_ERR_SCRUB_JOB_FINISHED', `scrub job ${id} is already ${row.status}: nothing to cancel`);
    }
    const hosts = (JSON.parse(row.hosts) as ScrubHostState[]).map((h): ScrubHostState => {
      if (TERMINAL.has(h.state)) return h;
      const started = h.state === 'running' || h.state === 'starting';
      return {
        ...h, state: 'cancelled', finished_at: now.toISOString(),
        error: started ? 'cancelled while its scrub ran: the kernel finishes a scrub it started (sysfs has no way to ' +
          'stop one)' : 'cancelled before its turn',
      };
    });
    // only if nobody (the runner) wrote since we read: otherwise read again
    const updated = await prisma.scrubJob.updateMany({
      where: { id, status: 'running', updatedAt: row.updatedAt },
      data: { status: 'cancelled', hosts: JSON.stringify(hosts), updatedAt: now },
    });
    if (updated.count === 1) return getScrubJob(prisma, id);
  }
}

// --- the runner ------------------------------------------------------------------------------------------------

export interface ScrubRunnerOptions {
  /** how often running jobs are looked at without a report notice (timeouts, missed notices) */
  pollMs: number;
}

export class ScrubJobRunner {
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** hosts the running jobs wait for, as of the last pass: which `ingested` notices are worth a pass */
  private watched = new Set<string>();
  private readonly onIngested = (notice: IngestedNotice): void => {
    if (this.watched.has(notice.host_id)) this.kick();
  };

  constructor(private readonly fastify: FastifyInstance, private readonly opts: ScrubRunnerOptions) {}

  start(): void {
    this.stopped = false;
    this.fastify.mediaBus.on('ingested', this.onIngested);
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fastify.mediaBus.off('ingested', this.onIngested);
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
  }

  /** A pass over the running jobs now (or right after the one in progress). */
  kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.ticking = this.pass().finally(() => {
      this.ticking = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
      } else {
        this.timer = setTimeout(() => this.kick(), this.opts.pollMs);
        this.timer.unref();
      }
    });
  }

  private async pass(): Promise<void> {
    try {
      const jobs = await this.fastify.prisma.scrubJob.findMany({ where: { status: 'running' }, orderBy: { createdAt: 'asc' } });
      const watched = new Set<string>();
      for (const job of jobs) {
        if (this.stopped) return;
        const waitingFor = await this.advance(job);
        if (waitingFor !== undefined) watched.add(waitingFor);
      }
      this.watched = watched;
    } catch (err) {
      this.fastify.log.error({ err }, 'scrub job runner pass failed; retrying at the next poll');
    }
  }

  /**
   * Writes the job's hosts (and status) unless it is no longer running; false when it is not. updateMany, because
   * Prisma runs it in a transaction of its own (the adapter's mutex): a plain write here, while the ingest route's
   * transaction is open on the shared connection, would run inside it and be undone by its rollback
   * (test/scrub-jobs-db.test.ts). Same for cancelScrubJob; createScrubJob is a $transaction.
   */
  private async save(id: string, hosts: ScrubHostState[], status: ScrubJobStatus = 'running'): Promise<boolean> {
    const updated = await this.fastify.prisma.scrubJob.updateMany({
      where: { id, status: 'running' },
      data: { hosts: JSON.stringify(hosts), status, updatedAt: new Date() },
    });
    return updated.count === 1;
  }

  /** Moves one job as far as it can go now; returns the host it waits for, if any. */
  private async advance(job: JobRow): Promise<string | undefined> {
    const hosts = JSON.parse(job.hosts) as ScrubHostState[];
    const log = this.fastify.log.child({ scrubJob: job.id });
    for (;;) {
      if (this.stopped) return undefined;
      const host = hosts.find((h) => !TERMINAL.has(h.state));
      if (!host) {
        const status: ScrubJobStatus = hosts.some((h) => h.state === 'failed') ? 'failed' : 'completed';
        if (await this.save(job.id, hosts, status)) log.info({ status }, 'scrub job finished');
        return undefined;
      }
      const now = new Date();
      if (host.state === 'waiting') {
        host.state = 'starting';
        host.started_at = now.toISOString();
        host.deadline_at = new Date(now.getTime() + host.timeout_s * 1000).toISOString();
        if (!await this.save(job.id, hosts)) return undefined;
        await this.startHost(host, log);
        if (!await this.save(job.id, hosts)) return undefined;
        continue;
      }
      if (host.state === 'starting') {
        // the hub stopped while the command was on its way, or sending it failed without an answer: a bus the
        // reports show active took it. Else, after a failed send, the first report after the failure decides (the
        // agent may have written nfit/scrub and not answered in time); after a hub stop, send again.
        const report = await latestReport(this.fastify.prisma, host.host_id);
        const active = report.inventory ? scrubBusesOf(report.inventory).filter((b) => b.scrub_state === 'active') : [];
        if (active.length > 0) {
          host.buses = active.map((b) => ({ bus: b.bus, started: true, count_before: b.scrub_count, scrub_state: 'active' }));
          host.state = 'running';
          if (host.command_error_at !== undefined) {
            log.info({ host: host.host_id }, 'scrub command failed, but the host reports a scrub running: waiting for it');
          }
          delete host.command_error_at;
          delete host.error;
        } else if (host.command_error_at !== undefined) {
          const failedAt = Date.parse(host.command_error_at);
          const reported = report.lastSeen !== undefined && report.lastSeen.getTime() > failedAt;
          const expired = host.deadline_at !== undefined && now.getTime() > Date.parse(host.deadline_at);
          if (!reported && !expired) return host.host_id; // wait for the host's next report
          host.state = 'failed';
          host.finished_at = now.toISOString();
          host.error = `${host.error ?? 'sending the scrub command failed'}; ${reported ? 'its first report after ' +
            'that shows no scrub running' : `no report came within ${host.timeout_s} s`}`;
          delete host.command_error_at;
          log.warn({ host: host.host_id }, host.error);
        } else {
          await this.startHost(host, log);
        }
        if (!await this.save(job.id, hosts)) return undefined;
        continue;
      }
      // running: done when every started bus is idle with a count above the one before the start
      const inventory = await currentInventory(this.fastify.prisma, host.host_id);
      const seen = new Map((inventory ? scrubBusesOf(inventory) : []).map((b) => [b.bus, b]));
      let changed = false;
      let done = true;
      for (const bus of host.buses.filter((b) => b.started)) {
        const now_ = seen.get(bus.bus);
        if (now_?.scrub_state !== undefined && now_.scrub_state !== bus.scrub_state) {
          bus.scrub_state = now_.scrub_state;
          changed = true;
        }
        if (now_ && now_.scrub_state !== 'active' && now_.scrub_count > (bus.count_before ?? -1)) {
          if (bus.count_after !== now_.scrub_count) {
            bus.count_after = now_.scrub_count;
            changed = true;
          }
        } else {
          done = false;
        }
      }
      if (done) {
        host.state = 'completed';
        host.finished_at = now.toISOString();
        log.info({ host: host.host_id }, 'scrub completed on host; next host');
        if (!await this.save(job.id, hosts)) return undefined;
        continue;
      }
      if (host.deadline_at !== undefined && now.getTime() > Date.parse(host.deadline_at)) {
        host.state = 'failed';
        host.finished_at = now.toISOString();
        const states = host.buses.filter((b) => b.started)
          .map((b) => `${b.bus} ${seen.get(b.bus)?.scrub_count ?? '?'}${seen.get(b.bus)?.scrub_state === 'active' ? '+' : ''}`);
        host.error = `no report showed the scrub completed within ${host.timeout_s} s (latest nfit/scrub: ` +
          `${states.join(', ')}); the next host starts`;
        log.warn({ host: host.host_id }, host.error);
        if (!await this.save(job.id, hosts)) return undefined;
        continue;
      }
      if (changed && !await this.save(job.id, hosts)) return undefined;
      return host.host_id;
    }
  }

  /**
   * Sends the command; the host becomes running, or failed/skipped with the reason. A bus the agent answers is
   * already scrubbing (e.g. the command sent again after a hub restart, or a scrub someone else started) counts as
   * running: its completion is waited for like a started one, so the next host never starts while it runs. When
   * the send fails without an answer, the host stays starting with command_error_at: the reports decide (advance).
   */
  private async startHost(host: ScrubHostState, log: FastifyInstance['log']): Promise<void> {
    const fail = (err: unknown): void => {
      host.state = 'failed';
      host.finished_at = new Date().toISOString();
      host.error = err instanceof ApiError ? err.message : `starting the scrub failed: ${(err as Error).message}`;
      log.warn({ host: host.host_id, err }, 'scrub could not be started on host');
    };
    let dest: CommandDestination;
    try {
      dest = await commandDestination(this.fastify, host.host_id);
    } catch (err) {
      fail(err); // nothing was sent
      return;
    }
    let results: ScrubBusResult[];
    try {
      results = await sendScrubCommand(dest);
    } catch (err) {
      host.command_error_at = new Date().toISOString();
      host.error = err instanceof ApiError ? err.message : `sending the scrub command failed: ${(err as Error).message}`;
      log.warn({ host: host.host_id, err }, 'scrub command failed without an answer; the host\'s next report decides');
      return;
    }
    delete host.command_error_at;
    delete host.error;
    const running = (r: ScrubBusResult): boolean => r.started || (r.supported && r.scrub_state === 'active');
    host.buses = results.map((r) => ({
      bus: r.bus, started: running(r), ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.scrub_count !== undefined ? { count_before: r.scrub_count } : {}),
      ...(r.scrub_state !== undefined ? { scrub_state: r.scrub_state } : {}),
    }));
    if (results.some(running)) {
      host.state = 'running';
      log.info({ host: host.host_id, buses: results.filter(running).map((r) => r.bus) }, 'scrub started (or already running) on host');
      return;
    }
    host.state = results.every((r) => !r.supported) ? 'skipped' : 'failed';
    host.finished_at = new Date().toISOString();
    host.error = notStartedMessage(host.host_id, results);
  }
}
