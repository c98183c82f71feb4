/**
 * The webhook outbox: deliveries are rows written in the SAME transaction as the events they carry (ingest calls
 * enqueueDeliveries inside its transaction), so a crash between storing an alert and sending it cannot lose the
 * alert: after a restart the dispatcher finds the pending rows. The body is rendered here, once, in the
 * subscription's format; every attempt sends these bytes (re-signed with a fresh timestamp).
 */
import { randomBytes } from 'node:crypto';
import type { MediaEvent, WebhookFormat } from '@daxfleet/shared';
import type { Prisma } from '../../../generated/prisma/index.js';
import { renderEvent, type LedgerRef } from './formats.js';

export interface EnqueueInput {
  hostId: string;
  hostname: string;
  items: Array<{ event: MediaEvent; receivedAt: Date; ledger?: LedgerRef }>;
}

/** The subscription fields the outbox needs, with its JSON filters parsed. */
export interface SubscriptionFilter {
  id: string;
  name: string;
  format: WebhookFormat;
  eventTypes: string[];
  hostIds: string[];
}

export function parseSubscriptionFilter(row: {
  id: string; name: string; format: string; eventTypes: string; hostIds: string;
}): SubscriptionFilter {
  return {
    id: row.id,
    name: row.name,
    format: row.format as WebhookFormat,
    eventTypes: JSON.parse(row.eventTypes) as string[],
    hostIds: JSON.parse(row.hostIds) as string[],
  };
}

/** Empty lists match everything. */
export function subscriptionMatches(sub: SubscriptionFilter, eventType: string, hostId: string): boolean {
  return (sub.eventTypes.length === 0 || sub.eventTypes.includes(eventType))
    && (sub.hostIds.length === 0 || sub.hostIds.includes(hostId));
}

let lastMs = 0;
let counter = 0;

/**
 * The idempotency key of a new delivery: a UUIDv7 (RFC 9562) with a 12-bit counter in rand_a, so keys are random
 * (62 random bits) AND sort in creation order within this hub, even for rows written in one transaction with the
 * same created_at. The dispatcher sends each subscription's deliveries in key order.
 */
export function newDeliveryId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    // 4096 keys in one millisecond: borrow the next millisecond (keeps the order)
    lastMs += 1;
    counter = 0;
  }
  const b = randomBytes(16);
  b.writeUIntBE(lastMs, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The hub's public URL for backlinks in bodies (Alertmanager's externalURL), when the operator set one. */
export function externalUrl(): string {
  return process.env['DAXFLEET_PUBLIC_URL'] ?? '';
}

/**
 * Writes one pending delivery per (matching enabled subscription, event), inside the caller's transaction.
 * One read of the enabled subscriptions per call; nothing at all when there are no events. Returns how many
 * deliveries were written (the caller passes it on in its 'ingested' notice so the dispatcher wakes up).
 */
export async function enqueueDeliveries(tx: Prisma.TransactionClient, input: EnqueueInput): Promise<number> {
  if (input.items.length === 0) return 0;
  const rows = await tx.webhookSubscription.findMany({
    where: { enabled: true },
    select: { id: true, name: true, format: true, eventTypes: true, hostIds: true },
  });
  if (rows.length === 0) return 0;
  const subs = rows.map(parseSubscriptionFilter);
  const now = new Date();
  const url = externalUrl();
  const data: Prisma.WebhookDeliveryCreateManyInput[] = [];
  for (const item of input.items) {
    for (const sub of subs) {
      if (!subscriptionMatches(sub, item.event.type, input.hostId)) continue;
      const id = newDeliveryId();
      const { body } = renderEvent(sub.format, {
        event: item.event, hostId: input.hostId, hostname: input.hostname, receivedAt: item.receivedAt,
        ...(item.ledger ? { ledger: item.ledger } : {}),
      }, { deliveryId: id, subscriptionName: sub.name, externalUrl: url });
      data.push({
        id, subscriptionId: sub.id, eventId: item.event.id, eventType: item.event.type, hostId: input.hostId,
        body, status: 'pending', attempts: 0, createdAt: now, nextAttemptAt: now,
      });
    }
  }
  if (data.length === 0) return 0;
  await tx.webhookDelivery.createMany({ data });
  return data.length;
}
