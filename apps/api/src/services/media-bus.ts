/**
 * The hub's in-process notifications after an ingest transaction committed: the SSE stream forwards them to
 * browsers, the webhook dispatcher wakes up for the deliveries the transaction wrote. Nothing durable goes through
 * here: a listener that misses a notification finds the rows in the database (the dispatcher also polls).
 */
import { EventEmitter } from 'node:events';
import type { StoredEvent } from '@daxfleet/shared';

export interface IngestedNotice {
  host_id: string;
  /** a new inventory version was stored */
  inventory_changed: boolean;
  inventory_version: number;
  /** events stored by this report (not those acknowledged again) */
  events: StoredEvent[];
  /** webhook deliveries written in the same transaction */
  deliveries: number;
}

export interface MediaBusEvents {
  ingested: [IngestedNotice];
  /** a webhook delivery changed state (attempted, delivered, failed, redelivered) */
  delivery: [{ id: string; subscription_id: string; status: string }];
  /** a recovery plan was created or changed state or progress (services/recovery-plans.ts) */
  recovery: [{ id: string; host_id: string; status: string; seq: number }];
  /** a DAX change was planned or changed status (services/dax-changes.ts) */
  dax: [{ id: string; host_id: string; kind: string; status: string }];
}

export class MediaBus extends EventEmitter<MediaBusEvents> {
  constructor() {
    super();
    // one listener per open SSE stream
    this.setMaxListeners(0);
  }
}
