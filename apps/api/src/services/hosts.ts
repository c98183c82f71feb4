/**
 * Read side of the hub: host summaries, the current inventory, the inventory history.
 * Stored JSON (inventory, summary, changes) was validated on ingest, so it is parsed back as its type.
 */
import type {
  HostDetail, HostInventory, HostSummary, Inventory, InventoryChange, InventoryHistory, InventorySummary,
} from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import { ApiError } from '../errors.js';

/** A host is online when its last report is at most this many of its scan intervals old. */
export const ONLINE_INTERVALS = 3;

interface HostRow {
  id: string;
  hostname: string;
  agentVersion: string;
  sysfsRoot: string;
  intervalMs: number;
  firstSeen: Date;
  lastSeen: Date;
  currentVersion: { version: number; summary: string } | null;
}

const hostSelect = {
  id: true, hostname: true, agentVersion: true, sysfsRoot: true, intervalMs: true, firstSeen: true, lastSeen: true,
  currentVersion: { select: { version: true, summary: true } },
} as const;

function toSummary(row: HostRow & { currentVersion: NonNullable<HostRow['currentVersion']> }, now: Date): HostSummary {
  return {
    id: row.id,
    hostname: row.hostname,
    agent_version: row.agentVersion,
    sysfs_root: row.sysfsRoot,
    first_seen: row.firstSeen.toISOString(),
    last_seen: row.lastSeen.toISOString(),
    online: now.getTime() - row.lastSeen.getTime() <= ONLINE_INTERVALS * row.intervalMs,
    inventory_version: row.currentVersion.version,
    summary: JSON.parse(row.currentVersion.summary) as InventorySummary,
  };
}

function hasVersion(row: HostRow): row is HostRow & { currentVersion: NonNullable<HostRow['currentVersion']> } {
  return row.currentVersion !== null;
}

export async function listHosts(prisma: PrismaClient, now = new Date()): Promise<HostSummary[]> {
  const rows = await prisma.host.findMany({ select: hostSelect, orderBy: [{ hostname: 'asc' }, { id: 'asc' }] });
  return rows.filter(hasVersion).map((row) => toSummary(row, now));
}

export async function getHostSummary(prisma: PrismaClient, hostId: string, now = new Date()): Promise<HostSummary> {
  const row = await prisma.host.findUnique({ where: { id: hostId }, select: hostSelect });
  if (!row) throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host with id "${hostId}" has reported to this hub`);
  if (!hasVersion(row)) throw new ApiError('DAXFLEET_ERR_INVENTORY_NOT_FOUND', `host "${hostId}" has no inventory yet`);
  return toSummary(row, now);
}

export async function getHostInventory(prisma: PrismaClient, hostId: string): Promise<HostInventory> {
  const host = await prisma.host.findUnique({
    where: { id: hostId },
    select: { currentVersion: { select: { version: true, firstSeen: true, lastSeen: true, inventory: true } } },
  });
  if (!host) throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host with id "${hostId}" has reported to this hub`);
  const v = host.currentVersion;
  if (!v) throw new ApiError('DAXFLEET_ERR_INVENTORY_NOT_FOUND', `host "${hostId}" has no inventory yet`);
  return {
    version: v.version,
    first_seen: v.firstSeen.toISOString(),
    last_seen: v.lastSeen.toISOString(),
    inventory: JSON.parse(v.inventory) as Inventory,
  };
}

export async function getHostDetail(prisma: PrismaClient, hostId: string, now = new Date()): Promise<HostDetail> {
  const summary = await getHostSummary(prisma, hostId, now);
  const { inventory } = await getHostInventory(prisma, hostId);
  return { ...summary, inventory };
}

/** Newest first; `before` pages to older versions, `next_before` is set when older ones remain. */
export async function getInventoryHistory(
  prisma: PrismaClient, hostId: string, limit: number, before?: number,
): Promise<InventoryHistory> {
  const host = await prisma.host.findUnique({ where: { id: hostId }, select: { id: true } });
  if (!host) throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host with id "${hostId}" has reported to this hub`);
  const rows = await prisma.inventoryVersion.findMany({
    where: { hostId, ...(before !== undefined ? { version: { lt: before } } : {}) },
    orderBy: { version: 'desc' },
    take: limit + 1,
    select: { version: true, firstSeen: true, lastSeen: true, summary: true, changes: true },
  });
  const page = rows.slice(0, limit);
  const history: InventoryHistory = {
    versions: page.map((r) => ({
      version: r.version,
      first_seen: r.firstSeen.toISOString(),
      last_seen: r.lastSeen.toISOString(),
      summary: JSON.parse(r.summary) as InventorySummary,
      changes: JSON.parse(r.changes) as InventoryChange[],
    })),
  };
  const last = page.at(-1);
  if (rows.length > limit && last) history.next_before = last.version;
  return history;
}
