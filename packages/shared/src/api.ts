/**
 * REST /api/v1 bodies. The hub validates with these, @fastify/swagger turns them into OpenAPI, and the
 * web UI imports their static types.
 */
import { Type, type Static } from 'typebox';
import { InventorySchema, NamespaceModeSchema } from './inventory.js';
import { HealthSampleSchema, MediaEventSchema } from './media.js';
import { RangeFilesSchema } from './recovery.js';
import { ScrubAgentCommandSchema } from './scrub.js';
import { RecoveryExecuteAgentCommandSchema, RecoveryPlanAgentCommandSchema } from './recovery.js';
import {
  DaxChangeExecuteAgentCommandSchema, DaxChangePlanAgentCommandSchema, FsDaxInspectAgentCommandSchema,
} from './dax-modes.js';

/** Every error response: one shape (DAXFLEET_ERR_<AREA>_<WHAT> codes). */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String({ description: 'stable machine-readable code, e.g. DAXFLEET_ERR_HOST_NOT_FOUND' }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'what was wrong and what to do' }),
  reqId: Type.Optional(Type.String()),
});
export type ApiError = Static<typeof ErrorSchema>;

/** GET /api/v1/health: liveness probe (every role). */
export const HealthSchema = Type.Object({ status: Type.Literal('ok') });
export type Health = Static<typeof HealthSchema>;

export const CapacityByModeSchema = Type.Object({
  raw: Type.Integer(),
  sector: Type.Integer(),
  fsdax: Type.Integer(),
  devdax: Type.Integer(),
  'system-ram': Type.Integer(),
  /** region capacity not allocated to any namespace */
  free: Type.Integer(),
}, { description: 'bytes per namespace mode; devdax excludes devices online as system-ram' });
export type CapacityByMode = Static<typeof CapacityByModeSchema>;

export const HealthSummarySchema = Type.Object({
  ok: Type.Integer(),
  'non-critical': Type.Integer(),
  critical: Type.Integer(),
  fatal: Type.Integer(),
  unknown: Type.Integer(),
  not_reported: Type.Integer({ description: 'DIMMs whose health the host could not report (no SMART, no addon)' }),
});
export type HealthSummary = Static<typeof HealthSummarySchema>;

export const InventorySummarySchema = Type.Object({
  dimm_count: Type.Integer(),
  region_count: Type.Integer(),
  namespace_count: Type.Integer(),
  total_capacity: Type.Integer({ description: 'sum of region sizes, bytes' }),
  capacity_by_mode: CapacityByModeSchema,
  health: HealthSummarySchema,
  /** open bad-block ranges' sectors across regions and namespaces, deduplicated per region */
  badblock_count: Type.Integer(),
  warning_count: Type.Integer(),
});
export type InventorySummary = Static<typeof InventorySummarySchema>;

export const HostIdParamsSchema = Type.Object({
  hostId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
});

export const HostSummarySchema = Type.Object({
  id: Type.String({ description: 'stable host id chosen by the agent (kept in its data folder)' }),
  hostname: Type.String(),
  agent_version: Type.String(),
  sysfs_root: Type.String({ description: '"/sys" for a live host; a directory for a simulated host' }),
  first_seen: Type.String({ format: 'date-time' }),
  last_seen: Type.String({ format: 'date-time' }),
  /** seen within 3 scan intervals */
  online: Type.Boolean(),
  inventory_version: Type.Integer({ description: 'number of the current inventory version (1-based)' }),
  summary: InventorySummarySchema,
});
export type HostSummary = Static<typeof HostSummarySchema>;

export const HostListSchema = Type.Object({ hosts: Type.Array(HostSummarySchema) });
export type HostList = Static<typeof HostListSchema>;

export const InventoryChangeSchema = Type.Object({
  kind: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed')]),
  /** the object, by ndctl name: "ndbus0", "nmem1", "region0", "namespace0.1", "dax1.0" */
  object: Type.String(),
  object_type: Type.Union([
    Type.Literal('bus'), Type.Literal('dimm'), Type.Literal('region'), Type.Literal('namespace'),
    Type.Literal('dax_region'), Type.Literal('dax_device'), Type.Literal('inventory'),
  ]),
  /** for "changed": the field and its old and new values */
  field: Type.Optional(Type.String()),
  from: Type.Optional(Type.Unknown()),
  to: Type.Optional(Type.Unknown()),
});
export type InventoryChange = Static<typeof InventoryChangeSchema>;

export const InventoryVersionSchema = Type.Object({
  version: Type.Integer(),
  first_seen: Type.String({ format: 'date-time' }),
  last_seen: Type.String({ format: 'date-time' }),
  summary: InventorySummarySchema,
  /** differences from the previous version (empty for version 1) */
  changes: Type.Array(InventoryChangeSchema),
});
export type InventoryVersion = Static<typeof InventoryVersionSchema>;

export const HostDetailSchema = Type.Intersect([
  HostSummarySchema,
  Type.Object({ inventory: InventorySchema }),
]);
export type HostDetail = Static<typeof HostDetailSchema>;

export const InventoryHistoryQuerySchema = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  /** return versions older than this version number */
  before: Type.Optional(Type.Integer({ minimum: 1 })),
});
export const InventoryHistorySchema = Type.Object({
  versions: Type.Array(InventoryVersionSchema, { description: 'newest first' }),
  next_before: Type.Optional(Type.Integer({ description: 'pass as ?before= for the next page' })),
});
export type InventoryHistory = Static<typeof InventoryHistorySchema>;

/** Agent -> hub report. */
export const AgentReportSchema = Type.Object({
  host_id: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
  hostname: Type.String({ minLength: 1, maxLength: 255 }),
  agent_version: Type.String({ maxLength: 64 }),
  scanned_at: Type.String({ format: 'date-time' }),
  /** the agent's scan interval, so the hub can judge "online" */
  interval_ms: Type.Integer({ minimum: 100 }),
  inventory: InventorySchema,
  /** where the hub sends signed commands to this agent: its listen URL, or `--advertise-url` */
  agent_url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^https?://' })),
  /**
   * events from the agent's durable outbox, oldest first; the hub stores them in the same transaction as the
   * report and lists their ids in the acknowledgement (an id it already has is acknowledged again, not stored twice)
   */
  events: Type.Optional(Type.Array(MediaEventSchema, { maxItems: 1000 })),
  /** DIMM health samples due since the last report */
  health_samples: Type.Optional(Type.Array(HealthSampleSchema, { maxItems: 1000 })),
  /**
   * the files and metadata each open bad range under a mounted filesystem hits: sent when the mapping changed (a
   * range or the files under it changed), as the complete set for the host (a range absent from it hits nothing
   * mapped); absent: unchanged since the last report
   */
  range_files: Type.Optional(Type.Array(RangeFilesSchema, { maxItems: 10000 })),
});
export type AgentReport = Static<typeof AgentReportSchema>;

/**
 * Hub -> agent command (POST /api/v1/agent/commands on the agent's listener), signed by the hub with the host's
 * command key: x-daxfleet-timestamp (unix ms), x-daxfleet-nonce, x-daxfleet-signature =
 * hex HMAC-SHA256(command_key, `${timestamp}.${nonce}.${rawBody}`).
 */
export const RescanAgentCommandSchema = Type.Object({
  type: Type.Literal('rescan'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
}, { additionalProperties: false });
/**
 * rescan: scan and report now; scrub: start an address range scrub (scrub.ts), answered by ScrubCommandAck;
 * recovery-plan / recovery-execute: recovery.ts, answered by RecoveryPlanCommandAck / RecoveryExecuteCommandAck;
 * dax-change-plan / dax-change-execute / fs-dax-inspect: dax-modes.ts, answered by DaxChangePlanCommandAck /
 * DaxChangeExecuteCommandAck / FsDaxInspectCommandAck
 */
export const AgentCommandSchema = Type.Union([
  RescanAgentCommandSchema, ScrubAgentCommandSchema, RecoveryPlanAgentCommandSchema, RecoveryExecuteAgentCommandSchema,
  DaxChangePlanAgentCommandSchema, DaxChangeExecuteAgentCommandSchema, FsDaxInspectAgentCommandSchema,
]);
export type AgentCommand = Static<typeof AgentCommandSchema>;
export const AgentCommandAckSchema = Type.Object({ accepted: Type.Literal(true), id: Type.String() });
export type AgentCommandAck = Static<typeof AgentCommandAckSchema>;
/** POST /api/v1/hosts/:hostId/rescan: the host's agent scanned and reported before this answer */
export const RescanAcceptedSchema = Type.Object({ accepted: Type.Literal(true) });

export const AgentReportAckSchema = Type.Object({
  host_id: Type.String(),
  inventory_version: Type.Integer(),
  changed: Type.Boolean({ description: 'true when this report created a new inventory version' }),
  /** ids of the report's events the hub has stored (now or before): the agent drops them from its outbox */
  acked_events: Type.Optional(Type.Array(Type.String())),
});
export type AgentReportAck = Static<typeof AgentReportAckSchema>;

export const NamespaceModeListSchema = Type.Array(NamespaceModeSchema);

export const HubInfoSchema = Type.Object({
  version: Type.String(),
  role: Type.Union([Type.Literal('hub'), Type.Literal('all')]),
  /** when the hub runs a local agent (role all): that host's id; its inventory tells whether it has any NVDIMM */
  local_host_id: Type.Optional(Type.String()),
});
export type HubInfo = Static<typeof HubInfoSchema>;

/** GET /api/v1/hosts/:hostId/inventory: the host's current inventory version. */
export const HostInventorySchema = Type.Object({
  version: Type.Integer({ description: 'number of this inventory version (1-based)' }),
  first_seen: Type.String({ format: 'date-time', description: 'when the hub first received this content' }),
  last_seen: Type.String({ format: 'date-time', description: 'the latest report with this content' }),
  inventory: InventorySchema,
});
export type HostInventory = Static<typeof HostInventorySchema>;
