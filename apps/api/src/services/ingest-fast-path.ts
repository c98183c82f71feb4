/**
 * The steady state of ingest without Prisma and without a database read: every interval, every host reports
 * what the hub already has. The hub is one process, so it keeps what it needs to recognise such a report in
 * memory (per host: the current inventory version's id, number, content hash and report hash, and the host's
 * fields), answers the acknowledgement at once, and remembers "seen at T" (and the inventory JSON, when only
 * volatile fields such as DIMM temperatures changed) in a pending map. A flusher writes the pending map every
 * FLUSH_INTERVAL_MS (and when the server closes) in ONE transaction, with statements prepared once, on Prisma's
 * own better-sqlite3 connection (db/client.ts says why not a second one).
 *
 * A report that is unchanged but carries DIMM health samples (the agent sends them once a minute per DIMM: one
 * report in six at a 10 s interval) is stored here too, synchronously and before the acknowledgement: one
 * better-sqlite3 transaction writes the pending bumps and inserts the samples (skipping one already stored for
 * the same host, DIMM and sampled_at, as services/events.ts does), so samples stay as durable as through Prisma.
 *
 * Anything else (a new host, changed content, events, range_files, a changed hostname, agent version,
 * sysfs root, interval or agent_url, a host not in memory while a transaction is open) takes the general
 * transaction of services/ingest.ts, which first writes this host's pending bump in that same transaction (so an
 * older bump never lands after a newer report: last_seen never goes backwards), then refreshes the host's entry
 * from what it wrote once it committed. While a host's general transaction is in flight, its reports all take
 * the general path (they queue behind it), so an entry is never judged against a state about to change.
 *
 * Durability: an unchanged report carries no information but "seen at T". A crash loses at most one flush
 * interval of last_seen bumps (and of volatile values), which the host's next report brings again; events and
 * changed content always commit in the synchronous general transaction before the acknowledgement.
 *
 * Reads: the pending bumps are also written before any query or transaction this process starts through Prisma
 * (db/client.ts beforePrismaQueries), so the hub's own reads (online status, host lists, the current inventory,
 * the ledger's last_seen of open ranges) include every acknowledged report; a reader in another process (the
 * sqlite3 shell, a backup) may see last_seen and volatile values up to one flush interval old.
 *
 * Who else writes hosts and inventory_versions: nobody in this program (services/ingest.ts only). A writer
 * outside it (another process, a test's second client) is noticed at the next flush: the updates are conditional
 * on the version the entry knows, and an entry whose update changed nothing is forgotten and read again.
 */
import { createHash } from 'node:crypto';
import type { AgentReport, AgentReportAck, HealthSample } from '@daxfleet/shared';
import type Database from 'better-sqlite3';
import { inventoryContentHash } from './ingest.js';

/** 100 ms: 200 hosts per transaction at 2,000 reports/s; last_seen is read against intervals of seconds. */
export const FLUSH_INTERVAL_MS = 100;
/** when the connection is inside a Prisma transaction at flush time, try again this much later */
const RETRY_MS = 5;
/** on close, how long to wait for a Prisma transaction still open before writing the pending bumps */
const CLOSE_WAIT_MS = 10_000;

/** What the hub has for a host: its current inventory version and the fields a report repeats. */
export interface KnownHost {
  currentVersionId: number;
  version: number;
  contentHash: string;
  /** sha256 of the inventory JSON as last reported (pending included) */
  reportHash: string;
  hostname: string;
  agentVersion: string;
  sysfsRoot: string;
  intervalMs: number;
  agentUrl: string | null;
}

/** A bump waiting for the flusher. Times as Prisma stores DateTime in SQLite (ISO 8601, +00:00). */
export interface PendingBump {
  hostId: string;
  versionId: number;
  lastSeen: string;
  /** the inventory JSON to store, when the report hash changed (only volatile fields did); else null */
  inventory: string | null;
  reportHash: string | null;
}

export interface FastPathStats {
  /** reports acknowledged from memory */
  unchanged: number;
  /** health samples stored by unchanged reports (synchronously) */
  samples: number;
  /** reports handed to the general transaction */
  general: number;
  /** flush transactions committed, and bumps they wrote */
  flushes: number;
  flushed: number;
  /** entries forgotten because a flush found the database changed by someone else */
  stale: number;
}

interface Logger { error(obj: unknown, msg: string): void; warn(obj: unknown, msg: string): void }

/** DateTime as the Prisma SQLite adapter writes it (timestampFormat iso8601): comparable as text. */
export function sqliteTime(at: Date): string {
  return at.toISOString().replace('Z', '+00:00');
}

/** What an unchanged report gets: its acknowledgement, and how many of its health samples were stored. */
export interface UnchangedOutcome {
  ack: AgentReportAck;
  samples: number;
}

interface HostRow {
  hostname: string; agentVersion: string; sysfsRoot: string; intervalMs: number; agentUrl: string | null;
  versionId: number; version: number; contentHash: string; reportHash: string;
}

export class IngestFastPath {
  readonly stats: FastPathStats = { unchanged: 0, samples: 0, general: 0, flushes: 0, flushed: 0, stale: 0 };
  readonly #db: Database.Database;
  readonly #log: Logger | undefined;
  readonly #known = new Map<string, KnownHost>();
  #pending = new Map<string, PendingBump>();
  /** hosts with a general transaction in flight, and how many */
  readonly #inGeneral = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #select: Database.Statement<[string], HostRow>;
  readonly #bumpHost: Database.Statement<[string, string, number]>;
  readonly #bumpVersion: Database.Statement<[string, string | null, string | null, number, string]>;
  readonly #writeAll: Database.Transaction<(batch: Map<string, PendingBump>) => void>;
  readonly #sampleStored: Database.Statement<[string, string, string], 1>;
  readonly #insertSample: Database.Statement<[string, string, string | null, string, string]>;
  readonly #writeAllWithSamples: Database.Transaction<
    (batch: Map<string, PendingBump>, hostId: string, samples: readonly HealthSample[]) => number>;

  constructor(db: Database.Database, opts: { flushIntervalMs?: number; log?: Logger } = {}) {
    this.#db = db;
    this.#log = opts.log;
    this.#select = db.prepare<[string], HostRow>(`SELECT h.hostname, h.agent_version AS agentVersion,
        h.sysfs_root AS sysfsRoot, h.interval_ms AS intervalMs, h.agent_url AS agentUrl, v.id AS versionId,
        v.version, v.content_hash AS contentHash, v.report_hash AS reportHash
      FROM hosts h JOIN inventory_versions v ON v.id = h.current_version_id WHERE h.id = ?`);
    // Prisma's connection returns BigInt integers (defaultSafeIntegers): plain numbers here
    this.#select.safeIntegers(false);
    // conditional on the version the entry knows (a writer elsewhere is noticed); MAX: never backwards
    this.#bumpHost = db.prepare<[string, string, number]>(
      'UPDATE hosts SET last_seen = MAX(last_seen, ?) WHERE id = ? AND current_version_id = ?');
    this.#bumpVersion = db.prepare<[string, string | null, string | null, number, string]>(
      `UPDATE inventory_versions SET last_seen = MAX(last_seen, ?), inventory = COALESCE(?, inventory),
        report_hash = COALESCE(?, report_hash) WHERE id = ? AND host_id = ?`);
    this.#writeAll = db.transaction((batch: Map<string, PendingBump>) => {
      for (const bump of batch.values()) this.#write(bump);
    });
    this.#sampleStored = db.prepare<[string, string, string], 1>(
      'SELECT 1 FROM health_samples WHERE host_id = ? AND dimm = ? AND sampled_at = ? LIMIT 1').pluck();
    this.#insertSample = db.prepare<[string, string, string | null, string, string]>(
      'INSERT INTO health_samples (host_id, dimm, dimm_id, sampled_at, "values") VALUES (?, ?, ?, ?, ?)');
    this.#writeAllWithSamples = db.transaction((batch: Map<string, PendingBump>, hostId: string, samples: readonly HealthSample[]) => {
      for (const bump of batch.values()) this.#write(bump);
      let stored = 0;
      for (const sample of samples) {
        const at = sqliteTime(new Date(sample.sampled_at));
        // one per host, DIMM and sampled_at (a re-sent report, or the same DIMM twice in one report)
        if (this.#sampleStored.get(hostId, sample.dimm, at) !== undefined) continue;
        this.#insertSample.run(hostId, sample.dimm, sample.dimm_id ?? null, at, JSON.stringify(sample.values));
        stored++;
      }
      return stored;
    });
    this.#timer = setInterval(() => this.#flushFromTimer(), opts.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  /**
   * Runs one of this class's transactions with synchronous=NORMAL (no fsync at its commit), then restores FULL
   * (db/client.ts). What it writes may be lost in a power cut or kernel crash and nothing else: last_seen bumps
   * (the next report bumps again) and health samples (a lost sample is a gap in a chart; agents do not resend
   * them). Events and new inventory versions always commit through Prisma with FULL. Synchronous, so no other
   * statement can run on the connection in between.
   */
  #relaxed<T>(write: () => T): T {
    this.#db.pragma('synchronous = NORMAL');
    try {
      return write();
    } finally {
      this.#db.pragma('synchronous = FULL');
    }
  }

  /** bumps waiting for the flusher */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /**
   * The acknowledgement of a report identical to what the hub has (no events or samples, same content, same host
   * fields), its bump queued for the flusher; undefined: the report takes the general transaction.
   */
  tryUnchanged(report: AgentReport, receivedAt: Date): UnchangedOutcome | undefined {
    const samples = report.health_samples ?? [];
    // samples are written before the answer: not while a Prisma transaction is open on the connection
    const known = samples.length > 0 && this.#db.inTransaction ? undefined : this.#recognise(report, receivedAt);
    let stored = 0;
    if (known && samples.length > 0) {
      try {
        stored = this.#commitWithSamples(report.host_id, samples);
      } catch (err) {
        // nothing written, the bumps pending again: the general transaction stores the report or says why not
        this.#log?.warn({ err, hostId: report.host_id }, 'storing health samples without Prisma failed; trying the general transaction');
        this.stats.general++;
        return undefined;
      }
    }
    if (!known) {
      this.stats.general++;
      return undefined;
    }
    this.stats.unchanged++;
    this.stats.samples += stored;
    return {
      ack: {
        host_id: report.host_id, inventory_version: known.version, changed: false,
        ...(report.events !== undefined ? { acked_events: [] } : {}),
      },
      samples: stored,
    };
  }

  /** Every pending bump (this report's included) and the samples, in one transaction, now. */
  #commitWithSamples(hostId: string, samples: readonly HealthSample[]): number {
    const batch = this.#pending;
    this.#pending = new Map();
    let stored: number;
    try {
      stored = this.#relaxed(() => this.#writeAllWithSamples.immediate(batch, hostId, samples));
    } catch (err) {
      for (const [id, bump] of batch) if (!this.#pending.has(id)) this.#pending.set(id, bump);
      throw err;
    }
    this.stats.flushes++;
    this.stats.flushed += batch.size;
    return stored;
  }

  #recognise(report: AgentReport, receivedAt: Date): KnownHost | undefined {
    if (this.#closed || !this.#db.open) return undefined;
    if ((report.events?.length ?? 0) > 0) return undefined;
    // the files under bad ranges: the host's set is replaced in the general transaction (services/range-files.ts)
    if (report.range_files !== undefined) return undefined;
    const hostId = report.host_id;
    if (this.#inGeneral.has(hostId)) return undefined;
    let known = this.#known.get(hostId);
    if (!known) {
      // a read inside an open Prisma transaction would see its uncommitted writes: let the general path decide
      if (this.#db.inTransaction) return undefined;
      known = this.#load(hostId);
      if (!known) return undefined;
      this.#known.set(hostId, known);
    }
    if (report.hostname !== known.hostname || report.agent_version !== known.agentVersion ||
      report.inventory.sysfs_root !== known.sysfsRoot || report.interval_ms !== known.intervalMs ||
      (report.agent_url !== undefined && report.agent_url !== known.agentUrl)) return undefined;
    const inventoryJson = JSON.stringify(report.inventory);
    const reportHash = createHash('sha256').update(inventoryJson).digest('hex');
    // the same JSON has the same canonical content: the canonical hash only when the JSON differs
    const sameReport = reportHash === known.reportHash;
    if (!sameReport && inventoryContentHash(report.inventory) !== known.contentHash) return undefined;
    this.#queue(hostId, known.currentVersionId, receivedAt, sameReport ? null : inventoryJson, sameReport ? null : reportHash);
    if (!sameReport) known.reportHash = reportHash;
    return known;
  }

  #queue(hostId: string, versionId: number, at: Date, inventory: string | null, reportHash: string | null): void {
    const lastSeen = sqliteTime(at);
    const previous = this.#pending.get(hostId);
    if (!previous) {
      this.#pending.set(hostId, { hostId, versionId, lastSeen, inventory, reportHash });
      return;
    }
    if (lastSeen > previous.lastSeen) previous.lastSeen = lastSeen;
    if (inventory !== null) {
      previous.inventory = inventory;
      previous.reportHash = reportHash;
    }
  }

  #load(hostId: string): KnownHost | undefined {
    const row = this.#select.get(hostId);
    if (!row) return undefined;
    return {
      currentVersionId: row.versionId, version: row.version, contentHash: row.contentHash, reportHash: row.reportHash,
      hostname: row.hostname, agentVersion: row.agentVersion, sysfsRoot: row.sysfsRoot, intervalMs: row.intervalMs,
      agentUrl: row.agentUrl,
    };
  }

  /**
   * services/ingest.ts, before its general transaction for this host: from now until `done` is called, the
   * host's reports take the general path too.
   */
  beginGeneral(hostId: string): () => void {
    this.#inGeneral.set(hostId, (this.#inGeneral.get(hostId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.#inGeneral.get(hostId) ?? 1) - 1;
      if (left > 0) this.#inGeneral.set(hostId, left);
      else this.#inGeneral.delete(hostId);
    };
  }

  /**
   * Inside the general transaction (on the same connection, so in it): writes the host's pending bump first.
   * Returns it so the caller can put it back if the transaction rolls back (`restore`).
   */
  writePendingIn(hostId: string): PendingBump | undefined {
    const bump = this.#pending.get(hostId);
    if (!bump) return undefined;
    if (!this.#db.inTransaction) {
      throw new Error('writePendingIn must run inside the general ingest transaction (on Prisma\'s connection)');
    }
    this.#pending.delete(hostId);
    this.#write(bump);
    return bump;
  }

  /** The general transaction rolled back: its host's bump is pending again (unless a newer one is). */
  restore(bump: PendingBump): void {
    if (!this.#pending.has(bump.hostId)) this.#pending.set(bump.hostId, bump);
  }

  /** After the general transaction committed: what it wrote is what the hub has for the host now. */
  learn(hostId: string, known: KnownHost): void {
    if (!this.#closed) this.#known.set(hostId, known);
  }

  /** Someone changed the host's rows outside ingest: read them again at its next report. */
  forget(hostId: string): void {
    this.#known.delete(hostId);
  }

  #write(bump: PendingBump): boolean {
    const host = this.#bumpHost.run(bump.lastSeen, bump.hostId, bump.versionId);
    this.#bumpVersion.run(bump.lastSeen, bump.inventory, bump.reportHash, bump.versionId, bump.hostId);
    if (host.changes === 0) {
      // the host's current version is no longer the one this entry knew (or the host is gone)
      this.#known.delete(bump.hostId);
      this.stats.stale++;
      return false;
    }
    return true;
  }

  /**
   * Writes every pending bump in one transaction now; returns how many. When the connection is inside a Prisma
   * transaction (between two of its awaits), writes nothing and returns 0: the flusher tries again shortly.
   * Tests call it instead of waiting for the timer.
   */
  flushNow(): number {
    if (this.#pending.size === 0 || !this.#db.open || this.#db.inTransaction) return 0;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      this.#relaxed(() => this.#writeAll.immediate(batch));
    } catch (err) {
      // rolled back, nothing written: the bumps stay pending (none can have come meanwhile: all synchronous)
      for (const [hostId, bump] of batch) if (!this.#pending.has(hostId)) this.#pending.set(hostId, bump);
      throw err;
    }
    this.stats.flushes++;
    this.stats.flushed += batch.size;
    return batch.size;
  }

  /** Before a Prisma query of this process (db/client.ts beforePrismaQueries): never throws. */
  flushBeforeQuery(): void {
    if (this.#pending.size === 0 || this.#db.inTransaction) return;
    try {
      this.flushNow();
    } catch (err) {
      this.#log?.error({ err, pending: this.#pending.size }, 'writing the last_seen of unchanged reports failed; retrying');
    }
  }

  #flushFromTimer(): void {
    if (this.#pending.size === 0) return;
    if (this.#db.inTransaction) {
      this.#retry ??= setTimeout(() => {
        this.#retry = undefined;
        this.#flushFromTimer();
      }, RETRY_MS);
      return;
    }
    try {
      this.flushNow();
    } catch (err) {
      this.#log?.error({ err, pending: this.#pending.size }, 'writing the last_seen of unchanged reports failed; retrying');
    }
  }

  /**
   * On server close, before Prisma disconnects: no more fast acknowledgements, the pending bumps written (after
   * a Prisma transaction still open, if any, ends).
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#retry) clearTimeout(this.#retry);
    const until = Date.now() + CLOSE_WAIT_MS;
    while (this.#pending.size > 0 && this.#db.open && this.#db.inTransaction && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
    if (this.#pending.size > 0 && this.#db.inTransaction) {
      this.#log?.warn({ pending: this.#pending.size }, 'closing: a transaction stayed open, last_seen of the latest unchanged reports not written');
      return;
    }
    this.flushNow();
    this.#known.clear();
  }
}
