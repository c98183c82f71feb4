/**
 * The agent loop: scan the sysfs root, send the report, wait an interval, again. When the hub cannot be
 * reached or refuses a report, it retries with exponential backoff (each retry sends a fresh scan) and logs
 * every failed attempt with the next delay; the first success afterwards is logged too. A hub that revoked
 * the agent's credential stops the loop for good (onRevoked). A signed rescan command runs a cycle at once.
 *
 * Media errors (agent/media/): with a journal, every cycle derives the media events of its scan (bad ranges,
 * DIMM health, scrub) and records them durably BEFORE the report goes out; each report carries the outbox (oldest
 * first, at most MAX_EVENTS_PER_REPORT) and the DIMM health samples that are due; the events the hub acknowledges
 * leave the outbox. The media watcher wakes the loop (wake) when a badblocks or scrub attribute changes; a wake
 * during a cycle runs one more cycle right after it, however many wakes came in meanwhile.
 *
 * Files under bad ranges (agent/media/files.ts): with a mapper, each cycle hands it the scan's bad ranges; the
 * report carries range_files when the mapping differs from the set the hub last acknowledged.
 *
 * Filesystem DAX (agent/fsdax/): every report's inventory carries `filesystems`, the DAX-capable mounts of the
 * mount table that goes with the scanned sysfs root (a failure to read it is logged; the report goes without).
 */
import {
  badRangesOf, type AgentReport, type AgentReportAck, type DaxFilesystem, type DetectedBy, type HealthSample, type Inventory,
  type RangeFiles,
} from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { filesystemsForReport } from './fsdax/report.js';
import { deriveEvents, dimmKey, healthValuesOf } from './media/derive.js';
import type { RangeFileMapper } from './media/files.js';
import type { MediaJournal } from './media/journal.js';
import type { WakeReason } from './media/watch.js';
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
  /** the media journal (known state + outbox): events are derived and sent only with one */
  journal?: MediaJournal;
  /** after every successful scan (the media watcher rebuilds its watched set from it) */
  onScanned?: (inventory: Inventory) => void;
  /** at most one health sample per DIMM this often, unless it has an event (default 60 s) */
  healthSampleMs?: number;
  /** maps the files under the bad ranges (range_files): only with one */
  rangeFiles?: RangeFileMapper;
  /** the inventory's `filesystems` for a sysfs root (default: fsdax filesystemsForReport); false: none */
  filesystems?: false | ((sysfsRoot: string) => Promise<DaxFilesystem[] | undefined>);
}

/** the report schema's limit */
export const MAX_EVENTS_PER_REPORT = 1000;
export const HEALTH_SAMPLE_MS = 60_000;

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
  /** a wake that arrived during a cycle: one more cycle right after it */
  private pendingWake: WakeReason | undefined;
  /** when each DIMM's last health sample reached the hub */
  private readonly sampledAt = new Map<string, number>();
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
    while (this.inFlight) await this.running;
  }

  /**
   * A watched media attribute changed: scan and report now. During a cycle, one more cycle runs right after it
   * (a burst of changes costs at most one extra cycle).
   */
  wake(by: WakeReason): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.pendingWake ??= by;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    void this.runCycle(by);
  }

  /**
   * Scans and reports now (a signed rescan command), after a cycle in progress; resolves when this report was
   * delivered or failed. The regular interval restarts from here.
   */
  async rescanNow(): Promise<void> {
    while (this.inFlight && !this.stopped) await this.running;
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    await this.runCycle('rescan');
  }

  private runCycle(by: DetectedBy): Promise<void> {
    this.inFlight = true;
    this.running = this.cycle(by).then((next) => {
      this.inFlight = false;
      const wake = this.pendingWake;
      this.pendingWake = undefined;
      if (wake !== undefined && !this.stopped) {
        void this.runCycle(wake);
        return;
      }
      this.schedule(next);
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.runCycle('scan'), delayMs);
  }

  /** One scan and send; returns the delay before the next cycle. */
  private async cycle(by: DetectedBy): Promise<number> {
    const { log, intervalMs } = this.opts;
    let inventory: Inventory;
    try {
      inventory = await this.opts.scan();
    } catch (err) {
      log.error({ err }, `scan failed: ${(err as Error).message}; next attempt in ${intervalMs} ms`);
      return intervalMs;
    }
    inventory = await this.withFilesystems(inventory);
    try {
      this.opts.onScanned?.(inventory);
    } catch (err) {
      log.warn({ err }, `after-scan hook failed: ${(err as Error).message}`);
    }
    const eventDimms = this.recordMedia(inventory, by);
    const events = this.opts.journal?.outbox.slice(0, MAX_EVENTS_PER_REPORT) ?? [];
    const samples = this.dueHealthSamples(inventory, eventDimms);
    const rangeFiles = await this.mapRangeFiles(inventory);
    const report: AgentReport = {
      host_id: this.opts.hostId,
      hostname: this.opts.hostname,
      agent_version: this.opts.version,
      scanned_at: new Date().toISOString(),
      interval_ms: intervalMs,
      inventory,
      ...(this.opts.agentUrl !== undefined ? { agent_url: this.opts.agentUrl } : {}),
      ...(events.length > 0 ? { events: [...events] } : {}),
      ...(samples.length > 0 ? { health_samples: samples } : {}),
      ...(rangeFiles !== undefined ? { range_files: rangeFiles } : {}),
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
    for (const s of samples) this.sampledAt.set(s.dimm_id ?? s.dimm, Date.parse(s.sampled_at));
    if (rangeFiles !== undefined) this.opts.rangeFiles?.acknowledge(rangeFiles);
    const journal = this.opts.journal;
    if (journal !== undefined && events.length > 0) {
      const sent = new Set(events.map((e) => e.id));
      const acked = (this.lastAck.acked_events ?? []).filter((id) => sent.has(id));
      try {
        journal.acknowledge(acked);
      } catch (err) {
        // the events stay in the outbox: sent again, acknowledged again (the hub stores an id once)
        log.error({ err, file: journal.file }, `could not update the media journal after the hub's acknowledgement: ${(err as Error).message}`);
      }
      // a long outbox drains at up to MAX_EVENTS_PER_REPORT a second instead of one report per interval
      if (acked.length > 0 && journal.outbox.length > 0) return Math.min(intervalMs, 1000);
    }
    return intervalMs;
  }

  /**
   * Derives this scan's media events and records them with the new state in the journal (durable before the
   * send). Returns the DIMMs (by id) that have a new event. A journal that cannot be written keeps its old state:
   * the same changes are derived again next cycle, and no event is sent that a restart could raise again.
   */
  private recordMedia(inventory: Inventory, by: DetectedBy): Set<string> {
    const journal = this.opts.journal;
    const dimms = new Set<string>();
    if (journal === undefined) return dimms;
    try {
      const { events, state } = deriveEvents(journal.state, inventory, { detectedBy: by });
      journal.record(state, events);
      for (const e of events) {
        if (e.dimm !== undefined) dimms.add(e.dimm_id ?? e.dimm);
        this.opts.log.info({ event: e.type, id: e.id, detectedBy: e.detected_by }, e.summary);
      }
    } catch (err) {
      this.opts.log.error({ err, file: journal.file },
        `could not record media events in ${journal.file}: ${(err as Error).message}; they are derived again at the next scan`);
    }
    return dimms;
  }

  /** The scan plus the mounted DAX-capable filesystems (fsdax); a failure is logged, never fatal. */
  private async withFilesystems(inventory: Inventory): Promise<Inventory> {
    const read = this.opts.filesystems ?? filesystemsForReport;
    if (read === false || inventory.filesystems !== undefined) return inventory;
    try {
      const filesystems = await read(inventory.sysfs_root);
      return filesystems === undefined ? inventory : { ...inventory, filesystems };
    } catch (err) {
      this.opts.log.warn({ err }, `reading the mounted filesystems failed: ${(err as Error).message}; the report goes without them`);
      return inventory;
    }
  }

  /** The range_files this report carries (undefined: unchanged, or no mapper); a failure is logged, never fatal. */
  private async mapRangeFiles(inventory: Inventory): Promise<RangeFiles[] | undefined> {
    const mapper = this.opts.rangeFiles;
    if (mapper === undefined) return undefined;
    try {
      return await mapper.forReport(badRangesOf(inventory));
    } catch (err) {
      this.opts.log.warn({ err }, `mapping the files under bad ranges failed: ${(err as Error).message}; the report goes without them`);
      return undefined;
    }
  }

  /** Health samples due now: DIMMs with health, once per healthSampleMs, and at once for a DIMM with an event. */
  private dueHealthSamples(inventory: Inventory, eventDimms: ReadonlySet<string>): HealthSample[] {
    const every = this.opts.healthSampleMs ?? HEALTH_SAMPLE_MS;
    const now = Date.now();
    const samples: HealthSample[] = [];
    for (const bus of inventory.buses) {
      for (const dimm of bus.dimms) {
        const values = healthValuesOf(dimm);
        if (values === undefined) continue;
        const key = dimmKey(dimm);
        const last = this.sampledAt.get(key);
        if (!eventDimms.has(key) && last !== undefined && now - last < every) continue;
        samples.push({ dimm: dimm.dev, ...(dimm.id !== undefined ? { dimm_id: dimm.id } : {}), sampled_at: new Date(now).toISOString(), values });
      }
    }
    return samples.slice(0, MAX_EVENTS_PER_REPORT);
  }
}
