/**
 * The webhook dispatcher: sends the outbox's pending deliveries (services/webhooks/outbox.ts), records every
 * attempt, and retries with exponential backoff and full jitter until the delivery's max age has passed.
 *
 * Order: each subscription's deliveries go out one at a time, in queue order (created_at, then id: ids are UUIDv7
 * and sort in creation order within one created_at): only the head, the first pending delivery of a subscription,
 * is eligible. So a receiver sees a bad range's "resolved" after its "firing", and a receiver that is down gets one
 * request per backoff step instead of one per queued alert; when it is back, the head succeeds at its next retry
 * and the rest follow at once. The price: one delivery that keeps failing holds back the later ones of its
 * subscription until it is delivered or failed (its max age). A redelivery resets created_at, so it joins the
 * TAIL (ordering by id alone would let an old "firing" overtake the "resolved" queued after it). Test sends
 * (event type "test") are not in the queue: each is its own lane, sent at once even behind a failing head, and not
 * counted against `concurrency`. Different subscriptions go in parallel, up to `concurrency`.
 *
 * Durability: nothing lives only in memory. The dispatcher reads due rows from the table on every pass; it wakes
 * on 'ingested' notices with deliveries, on wake() (test sends, redeliveries), after every attempt, and on a timer
 * for the next due row (unref'd: it never keeps the process alive). After a crash or restart the pending rows are
 * simply found again: delivery is at least once, and the idempotency key lets receivers drop duplicates.
 *
 * Every read of the queue and every write goes through prisma.$transaction: the hub has one SQLite connection, and
 * the Prisma adapter serialises only transactions (startTransaction takes its mutex); a plain query issued while
 * an ingest interactive transaction is open runs INSIDE it: a write would be rolled back with it, a read would see
 * its uncommitted deliveries (and send an alert that is then rolled back).
 */
import type { PrismaClient } from '../../db/client.js';
import type { Prisma } from '../../../generated/prisma/index.js';
import type { MediaBus } from '../media-bus.js';
import type { WebhookFormat } from '@daxfleet/shared';
import { CLOUDEVENTS_CONTENT_TYPE, TEST_EVENT_TYPE } from './formats.js';
import { deliveryHeaders } from './signing.js';

export const DEFAULT_BACKOFF_BASE_MS = 1_000;
export const DEFAULT_BACKOFF_CAP_MS = 5 * 60_000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
export const DEFAULT_CONCURRENCY = 8;
/** the longest the dispatcher sleeps without looking at the table (a row written by another process) */
const MAX_SLEEP_MS = 60_000;
/** how much of a receiver's answer is kept in last_error */
const MAX_ERROR_TEXT = 300;

export interface DispatcherOptions {
  prisma: PrismaClient;
  bus: MediaBus;
  /** the hub's version, for the user-agent */
  version: string;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  attemptTimeoutMs?: number;
  concurrency?: number;
  log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/** Full jitter (AWS architecture blog): a uniform delay in [0, min(cap, base * 2^(attempt-1))]. */
export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export function contentTypeOf(format: WebhookFormat): string {
  return format === 'cloudevents' ? CLOUDEVENTS_CONTENT_TYPE : 'application/json';
}

interface DueDelivery {
  id: string;
  subscriptionId: string;
  eventType: string;
  body: string;
  attempts: number;
  createdAt: Date;
  url: string;
  secret: string;
  format: WebhookFormat;
  maxAgeSeconds: number;
}

type LaneDelivery = DueDelivery & { lane: string };

export interface AttemptOutcome {
  statusCode?: number;
  error?: string;
  latencyMs: number;
  at: Date;
  aborted: boolean;
}

export class WebhookDispatcher {
  private readonly prisma: PrismaClient;
  private readonly bus: MediaBus;
  private readonly version: string;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  readonly attemptTimeoutMs: number;
  readonly concurrency: number;
  private readonly log: NonNullable<DispatcherOptions['log']> | undefined;

  /** lane (a subscription id, or `test:<delivery id>` for a test send) -> the attempt in flight */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** how many ordered-queue attempts are in flight (test sends are not counted against `concurrency`) */
  private queuedInFlight = 0;
  private readonly stopController = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private passRunning = false;
  private passAgain = false;
  private started = false;
  private stopped = false;
  private readonly onIngested = (notice: { deliveries: number }): void => {
    if (notice.deliveries > 0) this.wake();
  };

  constructor(opts: DispatcherOptions) {
    this.prisma = opts.prisma;
    this.bus = opts.bus;
    this.version = opts.version;
    this.backoffBaseMs = opts.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS;
    this.backoffCapMs = opts.backoffCapMs ?? DEFAULT_BACKOFF_CAP_MS;
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.log = opts.log;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.bus.on('ingested', this.onIngested);
    this.wake();
  }

  /**
   * Stops picking deliveries, aborts the attempts in flight (they stay pending, due at once: the next start sends
   * them again) and waits until those are recorded. Never longer than the attempt timeout.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.bus.off('ingested', this.onIngested);
    if (this.timer) clearTimeout(this.timer);
    this.stopController.abort();
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Look at the table now (new rows, a redelivery, a test send). */
  wake(): void {
    if (!this.started || this.stopped) return;
    if (this.passRunning) {
      this.passAgain = true;
      return;
    }
    this.passRunning = true;
    void this.runPasses().finally(() => {
      this.passRunning = false;
    });
  }

  private async runPasses(): Promise<void> {
    do {
      this.passAgain = false;
      try {
        await this.pass();
      } catch (err) {
        if (this.stopped) return;
        this.log?.error({ err }, 'webhook dispatcher pass failed; retrying on the next timer');
        this.schedule(Math.min(this.backoffCapMs, 5_000));
      }
    } while (this.passAgain && !this.stopped);
  }

  /**
   * One look at the table: start the due head of every idle subscription and every due test send, sleep until the
   * next due row.
   */
  private async pass(): Promise<void> {
    if (this.stopped) return;
    const { heads, tests, nextDue } = await this.prisma.$transaction((tx) => this.findDue(tx));
    for (const delivery of tests) {
      if (this.stopped) break;
      this.run(delivery, delivery.lane, false);
    }
    heads.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const delivery of heads) {
      if (this.stopped || this.queuedInFlight >= this.concurrency) break;
      this.run(delivery, delivery.lane, true);
    }
    this.schedule(nextDue - Date.now());
  }

  /** The due head of every idle subscription, every due test send, and when the next one is due. */
  private async findDue(tx: Prisma.TransactionClient): Promise<{ heads: LaneDelivery[]; tests: LaneDelivery[]; nextDue: number }> {
    const subs = await tx.webhookSubscription.findMany({
      where: { enabled: true },
      select: { id: true, url: true, secret: true, format: true, maxAgeSeconds: true },
    });
    const now = Date.now();
    let nextDue = now + MAX_SLEEP_MS;
    const heads: LaneDelivery[] = [];
    const tests: LaneDelivery[] = [];
    const select = { id: true, eventType: true, body: true, attempts: true, createdAt: true, nextAttemptAt: true } as const;
    for (const sub of subs) {
      const due = (row: { id: string; eventType: string; body: string; attempts: number; createdAt: Date }, lane: string): LaneDelivery => ({
        lane, id: row.id, subscriptionId: sub.id, eventType: row.eventType, body: row.body, attempts: row.attempts,
        createdAt: row.createdAt, url: sub.url, secret: sub.secret, format: sub.format as WebhookFormat,
        maxAgeSeconds: sub.maxAgeSeconds,
      });
      // test sends: their own lane each, outside the ordered queue
      const pendingTests = await tx.webhookDelivery.findMany({
        where: { subscriptionId: sub.id, status: 'pending', eventType: TEST_EVENT_TYPE },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select,
      });
      for (const t of pendingTests) {
        const lane = `test:${t.id}`;
        if (this.inFlight.has(lane)) continue;
        const at = t.nextAttemptAt?.getTime() ?? now;
        if (at > now) nextDue = Math.min(nextDue, at);
        else tests.push(due(t, lane));
      }
      if (this.inFlight.has(sub.id)) continue;
      const head = await tx.webhookDelivery.findFirst({
        where: { subscriptionId: sub.id, status: 'pending', eventType: { not: TEST_EVENT_TYPE } },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        select,
      });
      if (!head) continue;
      const at = head.nextAttemptAt?.getTime() ?? now;
      if (at > now) {
        nextDue = Math.min(nextDue, at);
        continue;
      }
      heads.push(due(head, sub.id));
    }
    return { heads, tests, nextDue };
  }

  private run(delivery: DueDelivery, lane: string, queued: boolean): void {
    if (queued) this.queuedInFlight += 1;
    const run = this.attempt(delivery).finally(() => {
      this.inFlight.delete(lane);
      if (queued) this.queuedInFlight -= 1;
      // the next delivery of this subscription, or one that waited for a free slot
      this.wake();
    });
    this.inFlight.set(lane, run);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), Math.max(0, delayMs));
    this.timer.unref();
  }

  private async send(d: DueDelivery): Promise<AttemptOutcome> {
    const at = new Date();
    const started = performance.now();
    const signal = AbortSignal.any([this.stopController.signal, AbortSignal.timeout(this.attemptTimeoutMs)]);
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: deliveryHeaders({
          secret: d.secret, body: d.body, deliveryId: d.id, eventType: d.eventType,
          contentType: contentTypeOf(d.format), version: this.version, now: at,
        }),
        body: d.body,
        redirect: 'manual',
        signal,
      });
      // read the answer (bounded by the same timeout) so the connection can be reused; keep a little for the log
      const text = await res.text();
      const latencyMs = performance.now() - started;
      const ok = res.status >= 200 && res.status < 300;
      return {
        at, latencyMs, statusCode: res.status, aborted: false,
        ...(ok ? {} : { error: `HTTP ${res.status}${text ? `: ${text.slice(0, MAX_ERROR_TEXT)}` : ''}` }),
      };
    } catch (err) {
      const latencyMs = performance.now() - started;
      if (this.stopController.signal.aborted) return { at, latencyMs, error: 'aborted: the hub is shutting down', aborted: true };
      return { at, latencyMs, error: describeFetchError(err, this.attemptTimeoutMs), aborted: false };
    }
  }

  private async attempt(d: DueDelivery): Promise<void> {
    const outcome = await this.send(d);
    const delivered = outcome.statusCode !== undefined && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const attempts = d.attempts + 1;
    let status: 'pending' | 'delivered' | 'failed';
    let nextAttemptAt: Date | null;
    const finishedAt = Date.now();
    if (delivered) {
      status = 'delivered';
      nextAttemptAt = null;
    } else if (outcome.aborted) {
      // not the receiver's fault: due again as soon as a hub runs
      status = 'pending';
      nextAttemptAt = new Date(finishedAt);
    } else {
      const next = finishedAt + backoffDelayMs(attempts, this.backoffBaseMs, this.backoffCapMs);
      const deadline = d.createdAt.getTime() + d.maxAgeSeconds * 1000;
      if (next > deadline) {
        status = 'failed';
        nextAttemptAt = null;
      } else {
        status = 'pending';
        nextAttemptAt = new Date(next);
      }
    }
    try {
      await recordAttempt(this.prisma, d.id, outcome, {
        status, attempts, nextAttemptAt, ...(delivered ? { deliveredAt: new Date(finishedAt) } : {}),
      });
    } catch (err) {
      // deleted meanwhile (the attempt's foreign key), or the database is closing
      if (!this.stopped) this.log?.warn({ err, delivery: d.id }, 'could not record a webhook attempt');
      return;
    }
    this.bus.emit('delivery', { id: d.id, subscription_id: d.subscriptionId, status });
  }
}

/**
 * Logs an attempt and moves its delivery on, in one transaction (so under the adapter's mutex: never inside an
 * unrelated transaction open on the shared connection). Only while the delivery is still pending: a delete or a
 * concurrent redelivery wins. Throws when the delivery was deleted (the attempt's foreign key).
 */
export async function recordAttempt(
  prisma: PrismaClient, deliveryId: string, outcome: Omit<AttemptOutcome, 'aborted'>,
  next: { status: 'pending' | 'delivered' | 'failed'; attempts: number; nextAttemptAt: Date | null; deliveredAt?: Date },
): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await tx.webhookAttempt.create({
      data: {
        deliveryId, at: outcome.at, latencyMs: outcome.latencyMs,
        statusCode: outcome.statusCode ?? null, error: outcome.error ?? null,
      },
    });
    await tx.webhookDelivery.updateMany({
      where: { id: deliveryId, status: 'pending' },
      data: {
        status: next.status, attempts: next.attempts, nextAttemptAt: next.nextAttemptAt,
        lastStatusCode: outcome.statusCode ?? null, lastError: outcome.error ?? null,
        ...(next.deliveredAt ? { deliveredAt: next.deliveredAt } : {}),
      },
    });
  });
}

/** fetch's TypeError hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, a TLS error...). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timeout: no complete answer within ${timeoutMs} ms`;
  }
  const cause = err instanceof Error ? (err as Error & { cause?: unknown }).cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as Error & { code?: string }).code;
    return code ? `${code}: ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
