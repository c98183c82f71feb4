/**
 * Hub ingest of agent reports. A report's writes happen in one transaction: host upsert, then either a new
 * inventory version (when the canonical content changed) with its summary and its changes against the previous
 * version, or a bump of the current version's last_seen (and, when volatile fields such as DIMM temperatures
 * changed, of its stored inventory). The unchanged case, every interval of every host, is
 * tried first as a two-statement batch that writes nothing unless the content hash matches; otherwise the
 * general transaction runs. Times are the hub's clock (an agent's clock may be off).
 *
 * Media events and health samples (issue 5) are stored in the SAME transaction as the report (services/events.ts:
 * events by the agent's stable id, idempotent; the bad-block ledger, services/ledger.ts; the webhook outbox), so an
 * acknowledged event is durable together with the report, and an unacknowledged one is either not stored or
 * stored once and acknowledged again when the outbox re-sends it. A report without events and samples keeps the
 * two-statement fast path: the ledger's last_seen of open ranges is derived from the host's last_seen when read,
 * not written per report (services/ledger.ts).
 *
 * range_files (issue 6: the files each open bad range hits, services/range-files.ts) comes only when the agent's
 * mapping changed, as the host's complete set: it replaces the host's rows in the same transaction, so a report
 * carrying it always takes the general transaction (never the fast paths).
 *
 * The report route first asks services/ingest-fast-path.ts, which acknowledges an unchanged report from memory
 * and writes its last_seen with the next group commit; only the other reports come here, with the fast path
 * passed in: then the Prisma batch below is skipped (a report the fast path declined is new, changed or carries
 * events), the host's pending bump is written first inside the general transaction, and the fast path learns
 * what the transaction wrote once it committed. agent_url (where the hub sends signed commands) is written with
 * the host's other fields when the report carries it.
 */
import { createHash } from 'node:crypto';
import {
  canonicalInventory, diffInventories, summarizeInventory,
  type AgentReport, type AgentReportAck, type Inventory, type StoredEvent,
} from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { Prisma } from '../../generated/prisma/index.js';
import { storeMedia } from './events.js';
import type { IngestFastPath, KnownHost, PendingBump } from './ingest-fast-path.js';
import { checkRangeFiles, replaceRangeFiles } from './range-files.js';

/** sha256 of the canonical inventory JSON (volatile fields out, keys sorted). */
export function inventoryContentHash(inventory: Inventory): string {
  return createHash('sha256').update(JSON.stringify(canonicalInventory(inventory))).digest('hex');
}

export interface IngestOutcome {
  ack: AgentReportAck;
  /** events this report stored for the first time (not those acknowledged again), for the 'ingested' notice */
  stored: StoredEvent[];
  /** health samples stored */
  samples: number;
  /** webhook deliveries written in the same transaction */
  deliveries: number;
  /** the report carried range_files: the host's mapped ranges were replaced */
  rangeFiles: boolean;
}

export async function ingestReport(
  prisma: PrismaClient, report: AgentReport, receivedAt: Date = new Date(),
): Promise<AgentReportAck> {
  return (await ingest(prisma, report, receivedAt)).ack;
}

/**
 * ingestReport, with what the report stored besides the inventory (the report route emits it on the media bus).
 * `fastPath`: the hub's in-memory steady state (the report route passes it after it declined the report).
 */
export async function ingest(
  prisma: PrismaClient, report: AgentReport, receivedAt: Date = new Date(), fastPath?: IngestFastPath,
): Promise<IngestOutcome> {
  // CPU work outside the transaction: the single SQLite connection is held only for the writes.
  const hash = inventoryContentHash(report.inventory);
  // The inventory as reported, and its hash: when only volatile fields changed (the content hash matches), the
  // stored JSON is still replaced so the current inventory shows current temperatures, but only when it differs.
  const inventoryJson = JSON.stringify(report.inventory);
  const reportHash = createHash('sha256').update(inventoryJson).digest('hex');
  const hostFields = {
    hostname: report.hostname,
    agentVersion: report.agent_version,
    sysfsRoot: report.inventory.sysfs_root,
    intervalMs: report.interval_ms,
    lastSeen: receivedAt,
    ...(report.agent_url !== undefined ? { agentUrl: report.agent_url } : {}),
  };

  // a repeated range is a 400 before anything is written
  if (report.range_files !== undefined) checkRangeFiles(report.range_files);
  const hasMedia = (report.events?.length ?? 0) > 0 || (report.health_samples?.length ?? 0) > 0 ||
    report.range_files !== undefined;
  /** an empty events list is acknowledged with an empty list; a report without the field gets no acked_events */
  const ackOf = (version: number, changed: boolean, acked: string[] = []): AgentReportAck => ({
    host_id: report.host_id, inventory_version: version, changed,
    ...(report.events !== undefined ? { acked_events: acked } : {}),
  });
  const nothingElse = { stored: [], samples: 0, deliveries: 0, rangeFiles: false };

  // Steady state: the agent reports what the hub already has. Two statements in one batch transaction, both
  // conditional on the hash, no reads through the query compiler (~4x cheaper than the general path).
  if (!hasMedia && !fastPath) {
    const [bumped] = await prisma.$transaction([
      prisma.$queryRaw<Array<{ version: number | bigint }>>`
        UPDATE inventory_versions SET last_seen = ${receivedAt},
          inventory = CASE WHEN report_hash = ${reportHash} THEN inventory ELSE ${inventoryJson} END,
          report_hash = ${reportHash}
        WHERE id = (SELECT current_version_id FROM hosts WHERE id = ${report.host_id}) AND content_hash = ${hash}
        RETURNING version`,
      prisma.$executeRaw`
        UPDATE hosts SET hostname = ${hostFields.hostname}, agent_version = ${hostFields.agentVersion},
          sysfs_root = ${hostFields.sysfsRoot}, interval_ms = ${hostFields.intervalMs}, last_seen = ${receivedAt},
          agent_url = COALESCE(${report.agent_url ?? null}, agent_url)
        WHERE id = ${report.host_id} AND EXISTS (SELECT 1 FROM inventory_versions v
          WHERE v.id = hosts.current_version_id AND v.content_hash = ${hash})`,
    ]);
    const unchanged = bumped[0];
    if (unchanged) return { ack: ackOf(Number(unchanged.version), false), ...nothingElse };
  }

  // New host or new content (or a concurrent report changed it meanwhile: the transaction decides again), or a
  // report carrying events, health samples or range_files.
  const done = fastPath?.beginGeneral(report.host_id);
  let bump: PendingBump | undefined;
  try {
    const { outcome, known } = await prisma.$transaction(async (tx) => {
      // the host's unchanged reports acknowledged since the last group commit: written first, in this
      // transaction (Prisma's connection is the fast path's), so the older bump never lands after this report
      bump = fastPath?.writePendingIn(report.host_id);
      if (bump && Date.parse(bump.lastSeen) > receivedAt.getTime()) hostFields.lastSeen = new Date(bump.lastSeen);
      return generalTransaction(tx);
    });
    fastPath?.learn(report.host_id, known);
    return outcome;
  } catch (err) {
    if (bump) fastPath?.restore(bump);
    throw err;
  } finally {
    done?.();
  }

  async function generalTransaction(tx: Prisma.TransactionClient): Promise<{ outcome: IngestOutcome; known: KnownHost }> {
    const seenAt = hostFields.lastSeen;
    const host = await tx.host.findUnique({
      where: { id: report.host_id },
      select: { lastSeen: true, agentUrl: true, currentVersion: { select: { id: true, version: true, contentHash: true } } },
    });
    const current = host?.currentVersion ?? null;
    const knownOf = (versionId: number, version: number): KnownHost => ({
      currentVersionId: versionId, version, contentHash: hash, reportHash,
      hostname: hostFields.hostname, agentVersion: hostFields.agentVersion, sysfsRoot: hostFields.sysfsRoot,
      intervalMs: hostFields.intervalMs, agentUrl: report.agent_url ?? host?.agentUrl ?? null,
    });

    if (current && current.contentHash === hash) {
      await tx.host.update({ where: { id: report.host_id }, data: hostFields });
      await tx.inventoryVersion.update({
        where: { id: current.id }, data: { lastSeen: seenAt, inventory: inventoryJson, reportHash },
      });
      const media = await storeMedia(tx, report, receivedAt, host?.lastSeen ?? null);
      const rangeFiles = await storeRangeFiles(tx);
      return {
        outcome: { ack: ackOf(current.version, false, media.acked), ...media, rangeFiles },
        known: knownOf(current.id, current.version),
      };
    }

    if (!host) await tx.host.create({ data: { id: report.host_id, firstSeen: receivedAt, ...hostFields } });
    let changes: ReturnType<typeof diffInventories> = [];
    if (current) {
      const previous = await tx.inventoryVersion.findUniqueOrThrow({ where: { id: current.id }, select: { inventory: true } });
      changes = diffInventories(JSON.parse(previous.inventory) as Inventory, report.inventory);
    }
    const version = (current?.version ?? 0) + 1;
    const created = await tx.inventoryVersion.create({
      data: {
        hostId: report.host_id,
        version,
        contentHash: hash,
        inventory: inventoryJson,
        reportHash,
        summary: JSON.stringify(summarizeInventory(report.inventory)),
        changes: JSON.stringify(changes),
        firstSeen: receivedAt,
        lastSeen: seenAt,
      },
      select: { id: true },
    });
    await tx.host.update({ where: { id: report.host_id }, data: { ...hostFields, currentVersionId: created.id } });
    const media = await storeMedia(tx, report, receivedAt, host?.lastSeen ?? null);
    const rangeFiles = await storeRangeFiles(tx);
    return { outcome: { ack: ackOf(version, true, media.acked), ...media, rangeFiles }, known: knownOf(created.id, version) };
  }

  /** the report's complete set of mapped ranges replaces the host's (services/range-files.ts) */
  async function storeRangeFiles(tx: Prisma.TransactionClient): Promise<boolean> {
    if (report.range_files === undefined) return false;
    await replaceRangeFiles(tx, report.host_id, report.range_files, receivedAt);
    return true;
  }
}
