/**
 * The agent loop: scan the sysfs root, send the report, wait an interval, again. When the hub cannot be
 * reached or refuses a report, it retries with exponential backoff (each retry sends a fresh scan) and logs
 * every failed attempt with the next delay; the first success afterwards is logged too. A hub that revoked
 * the agent's credential stops the loop for good (onRevoked). A signed rescan command runs a cycle at once.
 */
import type { AgentReport, AgentReportAck, Inventory } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { AgentRevokedError, HubRefusal } from './senders.js';

export type ScanFn = () => Promise<Inventory>;
/** Delivers one report to a hub (over HTTP, or in-process in role all). */
export type ReportSender = (report: AgentReport) => Promise<AgentReportAck>;

export interface AgentOptions {
  hostId: string;
  hostname: string;
  version: string;
  intervalMs: number;
  scan: ScanFn;
  send: ReportSender;
  log: FastifyBaseLogger;
  /** where reports go, for log lines ("http://hub:7300" or "local hub") */
  target: string;
  /** sent with every report: where the hub reaches this agent's command endpoint */
  agentUrl?: string;
  /** the hub answered 401 DAXFLEET_ERR_AUTH_REVOKED: the loop has stopped */
  onRevoked?: (err: AgentRevokedError) => void;
}

export const REVOKED_MESSAGE = 'the hub revoked this agent\'s credential; re-enroll with a new join token';

const MAX_BACKOFF_MS = 60_000;

/** 1st retry after min(interval, 1 s), then doubling, at most 60 s (or the interval, if longer). */
export function backoffDelay(failures: number, intervalMs: number): number {
  const base = Math.min(intervalMs, 1000);
  return Math.min(base * 2 ** Math.max(0, failures - 1), Math.max(MAX_BACKOFF_MS, intervalMs));
}

export class Agent {
  private readonly opts: AgentOptions;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private inFlight = false;
  private stopped = false;
  private sendFailures = 0;
  /** the last acknowledgement from the hub */
  lastAck: AgentReportAck | undefined;

  constructor(opts: AgentOptions) {
    this.opts = opts;
  }

  start(): void {
    this.opts.log.info({ hostId: this.opts.hostId, target: this.opts.target, intervalMs: this.opts.intervalMs },
      'agent started');
    this.schedule(0);
  }

  /** Stops scheduling and waits for a cycle in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /**
   * Scans and reports now (a signed rescan command), after a cycle in progress; resolves when this report was
   * delivered or failed. The regular interval restarts from here.
   */
  async rescanNow(): Promise<void> {
    while (this.inFlight && !this.stopped) await this.running;
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    await this.runCycle();
  }

  private runCycle(): Promise<void> {
    this.inFlight = true;
    this.running = this.cycle().then((next) => {
      this.inFlight = false;
      this.schedule(next);
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runCycle(), delayMs);
  }

  /** One scan and send; returns the delay before the next cycle. */
  private async cycle(): Promise<number> {
    const { log, intervalMs } = this.opts;
    let inventory: Inventory;
    try {
      inventory = await this.opts.scan();
    } catch (err) {
      log.error({ err }, `scan failed: ${(err as Error).message}; next attempt in ${intervalMs} ms`);
      return intervalMs;
    }
    const report: AgentReport = {
      host_id: this.opts.hostId,
      hostname: this.opts.hostname,
      agent_version: this.opts.version,
      scanned_at: new Date().toISOString(),
      interval_ms: intervalMs,
      inventory,
      ...(this.opts.agentUrl !== undefined ? { agent_url: this.opts.agentUrl } : {}),
    };
    try {
      this.lastAck = await this.opts.send(report);
    } catch (err) {
      if (err instanceof AgentRevokedError) {
        this.stopped = true;
        log.error({ target: this.opts.target }, `${REVOKED_MESSAGE} (${err.message})`);
        this.opts.onRevoked?.(err);
        return intervalMs;
      }
      this.sendFailures++;
      const delay = backoffDelay(this.sendFailures, intervalMs);
      // a hub that does not know the credential at all: another hub, or its database was replaced
      const hint = err instanceof HubRefusal && err.code === 'DAXFLEET_ERR_AUTH_INVALID'
        ? ' (this hub does not know the agent\'s credential: if it is another hub or its database was replaced, ' +
          'remove agent-credential.json from the data folder and enroll with a new join token)'
        : '';
      log.warn({ target: this.opts.target, attempt: this.sendFailures, retryInMs: delay },
        `report to ${this.opts.target} failed (${(err as Error).message}); retry ${this.sendFailures} in ${delay} ms${hint}`);
      return delay;
    }
    if (this.sendFailures > 0) {
      log.info({ target: this.opts.target, failedAttempts: this.sendFailures }, 'report delivered again after failures');
      this.sendFailures = 0;
    }
    if (this.lastAck.changed) {
      log.info({ inventoryVersion: this.lastAck.inventory_version }, 'hub stored a new inventory version');
    }
    return intervalMs;
  }
}
