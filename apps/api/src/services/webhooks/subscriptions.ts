/**
 * Webhook subscriptions and their deliveries, for the admin routes. The signing secret is write-only: it is in the
 * create answer once (generated or the admin's own), lists carry only a prefix or fingerprint, PATCH can replace it.
 *
 * Every write runs in prisma.$transaction: the hub's one SQLite connection is shared, and the Prisma adapter
 * serialises only transactions (startTransaction takes its mutex); a plain query issued while an ingest
 * interactive transaction is open would run INSIDE it and be rolled back with it.
 */
import { randomBytes } from 'node:crypto';
import type {
  CreateWebhookBody, DeliveryAttempt, UpdateWebhookBody, WebhookDelivery, WebhookDeliveryPage, WebhookFormat,
  WebhookSubscription,
} from '@daxfleet/shared';
import type { PrismaClient } from '../../db/client.js';
import type { Prisma } from '../../../generated/prisma/index.js';
import { ApiError } from '../../errors.js';
import { TEST_EVENT_TYPE, renderTest } from './formats.js';
import { externalUrl, newDeliveryId } from './outbox.js';
import { generateSecret, secretPrefix } from './signing.js';

export const DEFAULT_MAX_AGE_SECONDS = 24 * 60 * 60;

/** the client or a transaction of it */
type Db = Prisma.TransactionClient;

type SubscriptionRow = {
  id: string; name: string; url: string; format: string; eventTypes: string; hostIds: string; secret: string;
  enabled: boolean; maxAgeSeconds: number; createdAt: Date; createdBy: string;
};

/** http(s) only, with a host; the message says what is wrong and what is expected. */
export function validateWebhookUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError('DAXFLEET_ERR_WEBHOOK_URL_INVALID', `url "${raw.slice(0, 200)}" is not an absolute URL: give e.g. https://alerts.example.com/daxfleet`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiError('DAXFLEET_ERR_WEBHOOK_URL_INVALID', `url scheme "${url.protocol.replace(/:$/, '')}" is not supported: use http:// or https://`);
  }
  if (!url.hostname) throw new ApiError('DAXFLEET_ERR_WEBHOOK_URL_INVALID', 'url has no host name');
  if (url.username || url.password) {
    throw new ApiError('DAXFLEET_ERR_WEBHOOK_URL_INVALID', 'url must not carry credentials (user:password@): receivers authenticate the hub by the signature');
  }
  return url.toString();
}

async function subscriptionStats(prisma: Db, ids: string[]): Promise<Map<string, { pending: number; last?: { at: Date; status: string } }>> {
  const stats = new Map<string, { pending: number; last?: { at: Date; status: string } }>();
  if (ids.length === 0) return stats;
  const pending = await prisma.webhookDelivery.groupBy({
    by: ['subscriptionId'], where: { subscriptionId: { in: ids }, status: 'pending' }, _count: { _all: true },
  });
  for (const id of ids) stats.set(id, { pending: 0 });
  for (const p of pending) stats.get(p.subscriptionId)!.pending = p._count._all;
  for (const id of ids) {
    const last = await prisma.webhookAttempt.findFirst({
      where: { delivery: { subscriptionId: id } }, orderBy: { id: 'desc' }, select: { at: true, statusCode: true, error: true },
    });
    if (last) stats.get(id)!.last = { at: last.at, status: last.statusCode !== null ? String(last.statusCode) : (last.error ?? 'error') };
  }
  return stats;
}

function toSubscription(row: SubscriptionRow, stat: { pending: number; last?: { at: Date; status: string } } | undefined): WebhookSubscription {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    format: row.format as WebhookFormat,
    event_types: JSON.parse(row.eventTypes) as WebhookSubscription['event_types'],
    host_ids: JSON.parse(row.hostIds) as string[],
    enabled: row.enabled,
    max_age_seconds: row.maxAgeSeconds,
    secret_prefix: secretPrefix(row.secret),
    created_at: row.createdAt.toISOString(),
    created_by: row.createdBy,
    pending_count: stat?.pending ?? 0,
    ...(stat?.last ? { last_delivery_at: stat.last.at.toISOString(), last_status: stat.last.status } : {}),
  };
}

async function findRow(prisma: Db, id: string): Promise<SubscriptionRow> {
  const row = await prisma.webhookSubscription.findUnique({ where: { id } });
  if (!row) throw new ApiError('DAXFLEET_ERR_WEBHOOK_NOT_FOUND', `no webhook subscription with id ${id}: list them with GET /api/v1/webhooks`);
  return row;
}

export async function listWebhooks(prisma: PrismaClient): Promise<WebhookSubscription[]> {
  const rows = await prisma.webhookSubscription.findMany({ orderBy: { createdAt: 'asc' } });
  const stats = await subscriptionStats(prisma, rows.map((r) => r.id));
  return rows.map((r) => toSubscription(r, stats.get(r.id)));
}

export async function getWebhook(prisma: PrismaClient, id: string): Promise<WebhookSubscription> {
  const row = await findRow(prisma, id);
  return toSubscription(row, (await subscriptionStats(prisma, [id])).get(id));
}

export async function createWebhook(
  prisma: PrismaClient, body: CreateWebhookBody, createdBy: string,
): Promise<WebhookSubscription & { secret: string }> {
  const url = validateWebhookUrl(body.url);
  const secret = body.secret ?? generateSecret();
  const row = await prisma.$transaction((tx) => tx.webhookSubscription.create({
    data: {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      name: body.name,
      url,
      format: body.format ?? 'daxfleet',
      eventTypes: JSON.stringify([...new Set(body.event_types ?? [])]),
      hostIds: JSON.stringify([...new Set(body.host_ids ?? [])]),
      secret,
      enabled: body.enabled ?? true,
      maxAgeSeconds: body.max_age_seconds ?? DEFAULT_MAX_AGE_SECONDS,
      createdAt: new Date(),
      createdBy,
    },
  }));
  return { ...toSubscription(row, { pending: 0 }), secret };
}

/**
 * Also makes the subscription's pending deliveries due now: whatever the admin changed (a fixed URL, re-enabled,
 * a new secret) is a reason to try again at once rather than wait out a backoff of up to 5 minutes. The caller
 * wakes the dispatcher.
 */
export async function updateWebhook(prisma: PrismaClient, id: string, body: UpdateWebhookBody): Promise<WebhookSubscription> {
  return prisma.$transaction(async (tx) => {
    await findRow(tx, id);
    const row = await tx.webhookSubscription.update({
      where: { id },
      data: {
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.url !== undefined ? { url: validateWebhookUrl(body.url) } : {}),
        ...(body.format !== undefined ? { format: body.format } : {}),
        ...(body.event_types !== undefined ? { eventTypes: JSON.stringify([...new Set(body.event_types)]) } : {}),
        ...(body.host_ids !== undefined ? { hostIds: JSON.stringify([...new Set(body.host_ids)]) } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        ...(body.max_age_seconds !== undefined ? { maxAgeSeconds: body.max_age_seconds } : {}),
        ...(body.secret !== undefined ? { secret: body.secret } : {}),
      },
    });
    await tx.webhookDelivery.updateMany({ where: { subscriptionId: id, status: 'pending' }, data: { nextAttemptAt: new Date() } });
    return toSubscription(row, (await subscriptionStats(tx, [id])).get(id));
  });
}

/** Deletes the subscription and (cascade) its deliveries and their attempts. */
export async function deleteWebhook(prisma: PrismaClient, id: string): Promise<WebhookSubscription> {
  return prisma.$transaction(async (tx) => {
    const row = await findRow(tx, id);
    const existing = toSubscription(row, (await subscriptionStats(tx, [id])).get(id));
    await tx.webhookSubscription.delete({ where: { id } });
    return existing;
  });
}

// deliveries ----------------------------------------------------------------------------------------------------

type DeliveryRow = {
  id: string; subscriptionId: string; eventId: string | null; eventType: string; hostId: string | null; status: string;
  attempts: number; createdAt: Date; nextAttemptAt: Date | null; deliveredAt: Date | null; lastStatusCode: number | null;
  lastError: string | null;
  attemptLog: Array<{ at: Date; statusCode: number | null; error: string | null; latencyMs: number }>;
};

const deliverySelect = {
  id: true, subscriptionId: true, eventId: true, eventType: true, hostId: true, status: true, attempts: true,
  createdAt: true, nextAttemptAt: true, deliveredAt: true, lastStatusCode: true, lastError: true,
  attemptLog: { orderBy: { id: 'asc' as const }, select: { at: true, statusCode: true, error: true, latencyMs: true } },
};

function toDelivery(row: DeliveryRow): WebhookDelivery {
  return {
    id: row.id,
    subscription_id: row.subscriptionId,
    ...(row.eventId !== null ? { event_id: row.eventId } : {}),
    event_type: row.eventType,
    ...(row.hostId !== null ? { host_id: row.hostId } : {}),
    status: row.status as WebhookDelivery['status'],
    attempts: row.attempts,
    created_at: row.createdAt.toISOString(),
    ...(row.status === 'pending' && row.nextAttemptAt ? { next_attempt_at: row.nextAttemptAt.toISOString() } : {}),
    ...(row.deliveredAt ? { delivered_at: row.deliveredAt.toISOString() } : {}),
    ...(row.lastStatusCode !== null ? { last_status_code: row.lastStatusCode } : {}),
    ...(row.lastError !== null ? { last_error: row.lastError } : {}),
    attempt_log: row.attemptLog.map((a): DeliveryAttempt => ({
      at: a.at.toISOString(),
      ...(a.statusCode !== null ? { status_code: a.statusCode } : {}),
      ...(a.error !== null ? { error: a.error } : {}),
      latency_ms: Math.round(a.latencyMs * 10) / 10,
    })),
  };
}

/** Newest first. Ids are UUIDv7 (time-ordered), so the cursor is the last id of the page. */
export async function listDeliveries(
  prisma: PrismaClient, webhookId: string, query: { status?: string; limit?: number; cursor?: string },
): Promise<WebhookDeliveryPage> {
  await findRow(prisma, webhookId);
  const limit = query.limit ?? 50;
  const rows = await prisma.webhookDelivery.findMany({
    where: {
      subscriptionId: webhookId,
      ...(query.status ? { status: query.status } : {}),
      ...(query.cursor ? { id: { lt: query.cursor } } : {}),
    },
    orderBy: { id: 'desc' },
    take: limit + 1,
    select: deliverySelect,
  });
  const page = rows.slice(0, limit);
  return {
    deliveries: page.map(toDelivery),
    ...(rows.length > limit && page.length > 0 ? { next_cursor: page[page.length - 1]!.id } : {}),
  };
}

export async function getDelivery(prisma: Db, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  const row = await prisma.webhookDelivery.findFirst({ where: { id: deliveryId, subscriptionId: webhookId }, select: deliverySelect });
  if (!row) {
    throw new ApiError('DAXFLEET_ERR_WEBHOOK_DELIVERY_NOT_FOUND',
      `webhook ${webhookId} has no delivery ${deliveryId}: list them with GET /api/v1/webhooks/${webhookId}/deliveries`);
  }
  return toDelivery(row);
}

/**
 * A signed test delivery, written to the outbox like any other; the dispatcher sends it at once in its own lane,
 * not behind the subscription's queue (a failing head would make the test look hung).
 */
export async function enqueueTestDelivery(prisma: PrismaClient, webhookId: string, requestedBy: string): Promise<WebhookDelivery> {
  return prisma.$transaction(async (tx) => {
    const sub = await findRow(tx, webhookId);
    const id = newDeliveryId();
    const now = new Date();
    const { body } = renderTest(sub.format as WebhookFormat, {
      deliveryId: id, subscriptionName: sub.name, externalUrl: externalUrl(), subscriptionId: sub.id, at: now, requestedBy,
    });
    await tx.webhookDelivery.create({
      data: {
        id, subscriptionId: sub.id, eventType: TEST_EVENT_TYPE, body, status: 'pending', attempts: 0,
        createdAt: now, nextAttemptAt: now,
      },
    });
    return getDelivery(tx, webhookId, id);
  });
}

/**
 * Back to pending, due now, with the same idempotency key and body; the attempt log is kept. created_at is reset
 * to now: the max age counts from now again (else a delivery that failed at its max age would fail again at once),
 * and the delivery joins the TAIL of its subscription's queue (ordered by created_at, then id), so an old "firing"
 * redelivered cannot overtake the "resolved" queued after it.
 */
export async function redeliver(prisma: PrismaClient, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  return prisma.$transaction(async (tx) => {
    await getDelivery(tx, webhookId, deliveryId);
    const now = new Date();
    await tx.webhookDelivery.update({
      where: { id: deliveryId },
      data: { status: 'pending', nextAttemptAt: now, createdAt: now, deliveredAt: null },
    });
    return getDelivery(tx, webhookId, deliveryId);
  });
}
