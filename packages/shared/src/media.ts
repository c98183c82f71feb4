/**
 * Media errors and DIMM health over time: the events an agent raises, the hub's bad-block ledger, health
 * samples, and webhook subscriptions and deliveries. Event names for DIMM health follow `ndctl monitor`
 * (dimm-spares-remaining, dimm-media-temperature, dimm-controller-temperature, dimm-health-state,
 * dimm-unclean-shutdown); daxfleet adds bad-block, shutdown-count and scrub events.
 *
 * Coordinates: every range is in 512-byte sectors. A bad range is identified by its region and its
 * region-relative offset and length (the kernel's regionN/badblocks list); the other coordinate systems
 * (SPA bytes, namespace-relative as `ndctl list -M` prints it, block-device-relative as /sys/block/pmemX/badblocks
 * lists it, DIMM and DIMM physical address) are derived from the inventory at detection time.
 */
import { Type, type Static } from 'typebox';
import { DimmHealthSchema, NamespaceModeSchema } from './inventory.js';
import { RangeFilesSchema } from './recovery.js';

export const BADBLOCK_EVENT_TYPES = ['badblock-new', 'badblock-cleared'] as const;
/** ndctl monitor's DIMM events (ndctl/monitor.c), plus an unsafe-shutdown count that went up. */
export const DIMM_EVENT_TYPES = [
  'dimm-spares-remaining', 'dimm-media-temperature', 'dimm-controller-temperature', 'dimm-health-state',
  'dimm-unclean-shutdown', 'dimm-shutdown-count-increased',
] as const;
export const SCRUB_EVENT_TYPES = ['scrub-started', 'scrub-completed'] as const;
export const MEDIA_EVENT_TYPES = [...BADBLOCK_EVENT_TYPES, ...DIMM_EVENT_TYPES, ...SCRUB_EVENT_TYPES] as const;
export type MediaEventType = (typeof MEDIA_EVENT_TYPES)[number];

// Unsafe<> only names the static type: a union built from an array (not a tuple) is `never` to Static<>
export const MediaEventTypeSchema = Type.Unsafe<MediaEventType>(Type.Union(MEDIA_EVENT_TYPES.map((t) => Type.Literal(t))));

/**
 * How a change was found: `notify` the kernel woke a poll(POLLPRI) on a sysfs badblocks/scrub attribute;
 * `poll` the agent's 1-second re-read of the badblocks attributes saw it (the kernel does not notify every change,
 * e.g. a write to /sys/block/pmemX/badblocks); `scan` the regular interval scan (or the first scan after the agent
 * started); `scrub` the scan after an address-range scrub completed; `rescan` an operator's rescan command.
 */
export const DetectedBySchema = Type.Union([
  Type.Literal('notify'), Type.Literal('poll'), Type.Literal('scan'), Type.Literal('scrub'), Type.Literal('rescan'),
]);
export type DetectedBy = Static<typeof DetectedBySchema>;

/** One DIMM under a bad range, and where on it, when the region maps to it linearly (a single-DIMM region). */
export const BadRangeDimmSchema = Type.Object({
  dimm: Type.String({ description: 'nmemN' }),
  /** DIMM physical address (bytes, hex) of the range's first byte: only for a non-interleaved region */
  dpa: Type.Optional(Type.String({ pattern: '^0x[0-9a-f]+$' })),
});

/** A bad range in every coordinate system daxfleet can compute for it. */
export const BadRangeSchema = Type.Object({
  /** regionN, and its region-relative sectors: the range's identity on its host */
  region: Type.String(),
  region_offset: Type.Integer({ minimum: 0 }),
  length: Type.Integer({ minimum: 1, description: '512 B sectors' }),
  /** system physical address of the first byte (hex), when the region's resource is known */
  spa: Type.Optional(Type.String({ pattern: '^0x[0-9a-f]+$' })),
  /** the namespace over the range, its mode, and the range's first sector relative to its first data byte */
  namespace: Type.Optional(Type.String()),
  namespace_mode: Type.Optional(NamespaceModeSchema),
  namespace_offset: Type.Optional(Type.Integer()),
  /** pmemX and the sector as /sys/block/pmemX/badblocks lists it (raw and fsdax) */
  blockdev: Type.Optional(Type.String()),
  blockdev_offset: Type.Optional(Type.Integer()),
  /** daxX.Y and the byte offset in it (devdax) */
  chardev: Type.Optional(Type.String()),
  chardev_offset_bytes: Type.Optional(Type.Integer()),
  /**
   * the DIMMs under the range, from the region's mappings: every DIMM of an interleave set (which one holds the
   * sectors needs the platform's translate-SPA command, which ndctl uses and QEMU does not provide)
   */
  dimms: Type.Array(BadRangeDimmSchema),
  /** where the kernel listed it: the region's list, or only a block device's own list (e.g. written to it) */
  source: Type.Union([Type.Literal('region'), Type.Literal('blockdev')]),
});
export type BadRange = Static<typeof BadRangeSchema>;

/** The DIMM health values a health event or sample carries (ndctl field names). */
export const DimmHealthValuesSchema = Type.Pick(DimmHealthSchema, [
  'health_state', 'temperature_celsius', 'controller_temperature_celsius', 'spares_percentage',
  'alarm_temperature', 'alarm_controller_temperature', 'alarm_spares', 'life_used_percentage',
  'shutdown_state', 'shutdown_count',
]);
export type DimmHealthValues = Static<typeof DimmHealthValuesSchema>;

/** An event an agent raised. Its id is stable: the agent keeps it in a durable outbox until the hub acknowledges it. */
export const MediaEventSchema = Type.Object({
  id: Type.String({ minLength: 8, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'stable event id (agent-assigned)' }),
  type: MediaEventTypeSchema,
  /** the agent's clock */
  detected_at: Type.String({ format: 'date-time' }),
  detected_by: DetectedBySchema,
  /** one line for people: "new bad range region0+65536 (8 sectors) under namespace0.0 (pmem0 sector 65536)" */
  summary: Type.String({ maxLength: 1000 }),
  /** badblock-new / badblock-cleared */
  range: Type.Optional(BadRangeSchema),
  /** dimm-* events: the DIMM, and its health before and after */
  dimm: Type.Optional(Type.String()),
  dimm_id: Type.Optional(Type.String()),
  previous: Type.Optional(DimmHealthValuesSchema),
  current: Type.Optional(DimmHealthValuesSchema),
  /** scrub-* events */
  bus: Type.Optional(Type.String()),
  scrub_count: Type.Optional(Type.Integer()),
});
export type MediaEvent = Static<typeof MediaEventSchema>;

/** A DIMM health sample the agent sends (at most once a minute per DIMM, and with every health event). */
export const HealthSampleSchema = Type.Object({
  dimm: Type.String({ description: 'nmemN' }),
  dimm_id: Type.Optional(Type.String()),
  sampled_at: Type.String({ format: 'date-time' }),
  values: DimmHealthValuesSchema,
});
export type HealthSample = Static<typeof HealthSampleSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Hub REST bodies

export const LedgerStateSchema = Type.Union([Type.Literal('open'), Type.Literal('cleared')]);

/** One bad range in the hub's ledger: found once, open until a later report no longer lists it. */
export const LedgerEntrySchema = Type.Object({
  id: Type.Integer(),
  host_id: Type.String(),
  hostname: Type.String(),
  state: LedgerStateSchema,
  range: BadRangeSchema,
  first_seen: Type.String({ format: 'date-time', description: 'when the agent detected it' }),
  last_seen: Type.String({ format: 'date-time', description: 'the latest report that still listed it' }),
  cleared_at: Type.Optional(Type.String({ format: 'date-time' })),
  found_by: DetectedBySchema,
  cleared_by: Type.Optional(DetectedBySchema),
  new_event_id: Type.String(),
  cleared_event_id: Type.Optional(Type.String()),
  /** open ranges under a mounted filesystem: the files and metadata they hit, as the agent last mapped them */
  files: Type.Optional(RangeFilesSchema),
});
export type LedgerEntry = Static<typeof LedgerEntrySchema>;

export const LedgerQuerySchema = Type.Object({
  host: Type.Optional(Type.String({ maxLength: 128, description: 'host id' })),
  state: Type.Optional(LedgerStateSchema),
  dimm: Type.Optional(Type.String({ maxLength: 64, description: 'only ranges under this DIMM (nmemN)' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'first seen at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'first seen before' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  /** opaque cursor from next_cursor */
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
});
export const LedgerPageSchema = Type.Object({
  entries: Type.Array(LedgerEntrySchema, { description: 'newest first (by first_seen, then id)' }),
  next_cursor: Type.Optional(Type.String()),
  /** open ranges and their sectors matching the filter (ignoring paging) */
  open_count: Type.Integer(),
  open_sectors: Type.Integer(),
});
export type LedgerPage = Static<typeof LedgerPageSchema>;

export const StoredEventSchema = Type.Intersect([
  MediaEventSchema,
  Type.Object({ host_id: Type.String(), hostname: Type.String(), received_at: Type.String({ format: 'date-time' }) }),
]);
export type StoredEvent = Static<typeof StoredEventSchema>;
export const EventPageSchema = Type.Object({
  events: Type.Array(StoredEventSchema, { description: 'newest first' }),
  next_cursor: Type.Optional(Type.String()),
});
export type EventPage = Static<typeof EventPageSchema>;

export const StoredHealthSampleSchema = Type.Intersect([
  HealthSampleSchema,
  Type.Object({ host_id: Type.String() }),
]);
export type StoredHealthSample = Static<typeof StoredHealthSampleSchema>;
export const HealthHistorySchema = Type.Object({
  samples: Type.Array(StoredHealthSampleSchema, { description: 'oldest first' }),
  /** the window held more samples than one answer carries: these are its newest; narrow since/until for older */
  truncated: Type.Optional(Type.Boolean()),
});
export type HealthHistory = Static<typeof HealthHistorySchema>;

// Webhooks ------------------------------------------------------------------------------------------------------

export const WebhookFormatSchema = Type.Union([
  Type.Literal('daxfleet'), Type.Literal('alertmanager'), Type.Literal('cloudevents'),
], { description: 'daxfleet JSON, Alertmanager webhook v4, or CloudEvents 1.0 (structured JSON)' });
export type WebhookFormat = Static<typeof WebhookFormatSchema>;

export const WebhookSubscriptionSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  url: Type.String(),
  format: WebhookFormatSchema,
  /** empty: every event type */
  event_types: Type.Array(MediaEventTypeSchema),
  /** empty: every host */
  host_ids: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  /** retries stop when a delivery is this old */
  max_age_seconds: Type.Integer(),
  /** the secret is write-only: lists show `whsec_` + 2 characters of a generated one, a fingerprint of an admin's */
  secret_prefix: Type.String({
    description: 'the secret is write-only: a generated secret shows as `whsec_` + its next 2 characters; an admin-chosen one as "sha256:" + the first 8 hex digits of its SHA-256 (none of its characters)',
  }),
  created_at: Type.String({ format: 'date-time' }),
  created_by: Type.String(),
  /** deliveries waiting for a (re)try */
  pending_count: Type.Integer(),
  last_delivery_at: Type.Optional(Type.String({ format: 'date-time' })),
  last_status: Type.Optional(Type.String()),
});
export type WebhookSubscription = Static<typeof WebhookSubscriptionSchema>;

export const DeliveryStatusSchema = Type.Union([
  Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'),
], { description: 'pending: waiting for its next attempt; failed: gave up at max age (redeliver to try again)' });

export const DeliveryAttemptSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  status_code: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
  latency_ms: Type.Number(),
});
export type DeliveryAttempt = Static<typeof DeliveryAttemptSchema>;

export const WebhookDeliverySchema = Type.Object({
  /** the idempotency key: the same for every attempt and redelivery of this delivery */
  id: Type.String(),
  subscription_id: Type.String(),
  /** absent for a test send */
  event_id: Type.Optional(Type.String()),
  event_type: Type.String(),
  host_id: Type.Optional(Type.String()),
  status: DeliveryStatusSchema,
  attempts: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
  next_attempt_at: Type.Optional(Type.String({ format: 'date-time' })),
  delivered_at: Type.Optional(Type.String({ format: 'date-time' })),
  last_status_code: Type.Optional(Type.Integer()),
  last_error: Type.Optional(Type.String()),
  attempt_log: Type.Array(DeliveryAttemptSchema, { description: 'oldest first' }),
});
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;

/** POST /api/v1/webhooks (admin). The secret, when omitted, is generated by the hub and shown once in the answer. */
export const CreateWebhookBodySchema = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  url: Type.String({ minLength: 1, maxLength: 2048, description: 'http:// or https:// URL the hub POSTs to' }),
  format: Type.Optional(WebhookFormatSchema),
  event_types: Type.Optional(Type.Array(MediaEventTypeSchema, { maxItems: 32, description: 'empty or omitted: all' })),
  host_ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 128 }), { maxItems: 1000, description: 'empty or omitted: all' })),
  enabled: Type.Optional(Type.Boolean()),
  max_age_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86400, description: 'default 86400 (24 h)' })),
  secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'HMAC key; omitted: generated' })),
}, { additionalProperties: false });
export type CreateWebhookBody = Static<typeof CreateWebhookBodySchema>;
/** PATCH /api/v1/webhooks/:webhookId: any subset; `secret` rotates the key (new deliveries' attempts use it). */
export const UpdateWebhookBodySchema = Type.Partial(CreateWebhookBodySchema, { additionalProperties: false, minProperties: 1 });
export type UpdateWebhookBody = Static<typeof UpdateWebhookBodySchema>;
/** the create answer: the only time the secret is shown */
export const CreatedWebhookSchema = Type.Intersect([
  WebhookSubscriptionSchema, Type.Object({ secret: Type.String({ description: 'shown once; store it now' }) }),
]);
export const WebhookListSchema = Type.Object({ webhooks: Type.Array(WebhookSubscriptionSchema) });
const WebhookIdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const WebhookIdParamsSchema = Type.Object({ webhookId: WebhookIdSchema }, { additionalProperties: false });
export const WebhookDeliveryParamsSchema = Type.Object({ webhookId: WebhookIdSchema, deliveryId: WebhookIdSchema }, { additionalProperties: false });
export const WebhookDeliveryQuerySchema = Type.Object({
  status: Type.Optional(DeliveryStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  /** opaque cursor from next_cursor */
  cursor: Type.Optional(Type.String({ maxLength: 64 })),
}, { additionalProperties: false });
export const WebhookDeliveryPageSchema = Type.Object({
  deliveries: Type.Array(WebhookDeliverySchema, { description: 'newest first' }),
  next_cursor: Type.Optional(Type.String()),
});
export type WebhookDeliveryPage = Static<typeof WebhookDeliveryPageSchema>;
