/**
 * Recovery progress, agent -> hub: POST /api/v1/agents/recovery with the agent's credential (over HTTP, or through
 * the local hub in role all: senders.ts hubPoster). Every step or status change is journaled (journal.ts) before
 * it is posted, byte/sector/second progress is only posted; the hub's acknowledgement of the final report removes
 * the run. Reports of one run go out one at a time in seq order; while the hub cannot
 * be reached or refuses, the poster retries with backoff (1 s, doubling, at most 30 s) and keeps only the run's
 * newest report in the queue (each report carries the whole execution, so an older one adds nothing).
 */
import type { RecoveryProgressAck, RecoveryProgressReport } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { HubRefusal, type HubPoster } from '../senders.js';
import type { RecoveryJournal } from './journal.js';

export const RECOVERY_PROGRESS_PATH = '/api/v1/agents/recovery';
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;
/**
 * answers after which the same report can never succeed: invalid (400), forbidden (403), unknown plan (404), the plan
 * is not executing (409), too large (413)
 */
const PERMANENT_REFUSALS: ReadonlySet<number> = new Set([400, 403, 404, 409, 413]);
/**
 * byte/sector/second progress reports are not journaled: the journal reserves this many seqs for them at a time, so
 * a report after a restart still numbers above every one posted (the hub applies only a higher seq)
 */
export const PROGRESS_SEQ_BLOCK = 1000;

export type RecoveryProgressSender = (report: RecoveryProgressReport) => Promise<RecoveryProgressAck>;

export function recoveryProgressSender(post: HubPoster): RecoveryProgressSender {
  return (report) => post<RecoveryProgressAck>(RECOVERY_PROGRESS_PATH, report);
}

export interface RecoveryProgressPosterOptions {
  send: RecoveryProgressSender;
  journal: RecoveryJournal;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  /** first retry delay, doubling up to retryMaxMs (defaults 1 s and 30 s) */
  retryFirstMs?: number;
  retryMaxMs?: number;
}

export class RecoveryProgressPoster {
  private readonly opts: RecoveryProgressPosterOptions;
  /** per plan: reports not yet acknowledged, oldest first */
  private readonly queues = new Map<string, RecoveryProgressReport[]>();
  private readonly loops = new Map<string, Promise<void>>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private closed = false;

  constructor(opts: RecoveryProgressPosterOptions) {
    this.opts = opts;
  }

  /** A step or status change: journals the report durably, then posts it (in the background). */
  post(device: string, report: RecoveryProgressReport): void {
    this.opts.journal.record(device, report);
    this.enqueue(report);
  }

  /**
   * Byte, sector or second progress of the running step: posted, not journaled (the journal keeps the latest step
   * change); only its seq is reserved in the journal, a block at a time.
   */
  postProgress(report: RecoveryProgressReport): void {
    if (report.seq > this.opts.journal.seqLimit(report.plan_id)) {
      this.opts.journal.reserve(report.plan_id, report.seq + PROGRESS_SEQ_BLOCK - 1);
    }
    this.enqueue(report);
  }

  /** Posts a report already in the journal again (resume after a restart). */
  repost(report: RecoveryProgressReport): void {
    this.enqueue(report);
  }

  /** Resolves when every queued report was acknowledged, or the poster was closed. */
  async idle(): Promise<void> {
    while (this.loops.size > 0) await Promise.all([...this.loops.values()]);
  }

  /** Stops retrying: what was not acknowledged stays in the journal and is posted at the next start. */
  close(): void {
    this.closed = true;
    for (const t of this.timers) {
      clearTimeout(t.timer);
      t.wake();
    }
    this.timers.clear();
  }

  /**
   * A plan has a queue exactly while a drain loop works on it: the loop deletes the queue in the same step in which
   * it decides to stop, so a report enqueued after that starts a new loop (keying the decision on `loops` instead
   * would lose a report enqueued between the loop's end and its finally handler, e.g. a run's final report).
   */
  private enqueue(report: RecoveryProgressReport): void {
    if (this.closed) return;
    const planId = report.plan_id;
    const queue = this.queues.get(planId);
    if (queue !== undefined) {
      queue.push(report);
      return;
    }
    this.queues.set(planId, [report]);
    // a loop that threw must not become an unhandled rejection (it would end the agent): log it
    const loop: Promise<void> = this.drain(planId)
      .catch((err: unknown) => {
        this.queues.delete(planId);
        this.opts.log.error({ planId, err: (err as Error).message }, 'recovery progress posting stopped');
      })
      .finally(() => {
        if (this.loops.get(planId) === loop) this.loops.delete(planId);
      });
    this.loops.set(planId, loop);
  }

  private async drain(planId: string): Promise<void> {
    let failures = 0;
    for (;;) {
      const queue = this.queues.get(planId);
      const report = queue?.[0];
      if (queue === undefined || report === undefined || this.closed) {
        this.queues.delete(planId);
        return;
      }
      try {
        const ack = await this.opts.send(report);
        queue.shift();
        this.acknowledge(planId, Math.min(ack.seq, report.seq));
        if (failures > 0) this.opts.log.info({ planId, seq: report.seq }, 'recovery progress reached the hub again');
        failures = 0;
      } catch (err) {
        if (err instanceof HubRefusal && PERMANENT_REFUSALS.has(err.statusCode)) {
          // the hub will never take it (the plan is unknown to it, another host's, or the report is invalid):
          // retrying forever would keep it in the journal for good; say so once and let it go
          queue.shift();
          this.acknowledge(planId, report.seq);
          this.opts.log.warn({ planId, seq: report.seq, err: err.message },
            `the hub refused recovery progress of plan ${planId} for good (${err.message}); this report is dropped`);
          continue;
        }
        failures++;
        // only the newest report matters once the hub fell behind
        queue.splice(0, queue.length - 1);
        const delay = Math.min((this.opts.retryFirstMs ?? RETRY_FIRST_MS) * 2 ** (failures - 1), this.opts.retryMaxMs ?? RETRY_MAX_MS);
        this.opts.log.warn({ planId, seq: queue[0]?.seq, err: (err as Error).message, retryInMs: delay },
          `recovery progress not delivered (${(err as Error).message}); retrying in ${delay} ms`);
        await this.sleep(delay);
      }
    }
  }

  /** The journal write can fail (disk full, read-only): the report stays journaled and is posted at the next start. */
  private acknowledge(planId: string, seq: number): void {
    try {
      this.opts.journal.acknowledge(planId, seq);
    } catch (err) {
      this.opts.log.error({ planId, seq, err: (err as Error).message, file: this.opts.journal.file },
        `could not record the hub's acknowledgement of recovery progress in ${this.opts.journal.file}`);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = { timer: setTimeout(() => { this.timers.delete(entry); resolve(); }, ms), wake: resolve };
      this.timers.add(entry);
    });
  }
}
