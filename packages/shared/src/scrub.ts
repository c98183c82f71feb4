/**
 * Address range scrub (ARS): the hub -> agent `scrub` command and its answer, the per-host scrub route, and the
 * fleet-wide scrub job that starts hosts one at a time.
 *
 * Kernel facts these follow (drivers/acpi/nfit/core.c): an NFIT bus that offers ARS has `ndbusN/nfit/scrub`;
 * it reads "<count>" (completed scrubs since boot) or "<count>+" while a scrub runs, writing "1" starts one, and
 * the kernel sysfs_notify()s the file when a scrub completes. A bus without the file (QEMU's emulated NFIT, the
 * e820 bus) cannot scrub. The inventory carries the same state as bus `scrub_state` / `scrub_count`.
 */
import { Type, type Static } from 'typebox';

/** ndbusN: the only names a bus can have, so a name can never leave the bus directory */
export const BusNameSchema = Type.String({ pattern: '^ndbus[0-9]{1,6}$', description: 'nd bus name (ndbusN)' });

export const ScrubStateSchema = Type.Union([Type.Literal('idle'), Type.Literal('active')]);

/** Hub -> agent: start an address range scrub on `bus`, or on every bus that offers one. */
export const ScrubAgentCommandSchema = Type.Object({
  type: Type.Literal('scrub'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  bus: Type.Optional(BusNameSchema),
}, { additionalProperties: false });
export type ScrubAgentCommand = Static<typeof ScrubAgentCommandSchema>;

/** What the agent did on one bus. */
export const ScrubBusResultSchema = Type.Object({
  bus: Type.String(),
  started: Type.Boolean({ description: 'the agent wrote "1" to the bus\'s nfit/scrub and the kernel accepted it' }),
  /** why it was not started: no nfit/scrub, a scrub already running, the kernel refused the write, ... */
  reason: Type.Optional(Type.String()),
  /** false only when the bus has no nfit/scrub (the platform offers no ARS) */
  supported: Type.Boolean(),
  /** completed scrubs on the bus when the command arrived (before the write) */
  scrub_count: Type.Optional(Type.Integer({ minimum: 0 })),
  /** the bus's state read right after the write ("active" on a kernel that took the request) */
  scrub_state: Type.Optional(ScrubStateSchema),
});
export type ScrubBusResult = Static<typeof ScrubBusResultSchema>;

/** The agent's answer to a signed `scrub` command (202 on its command endpoint). */
export const ScrubCommandAckSchema = Type.Object({
  accepted: Type.Literal(true),
  id: Type.String(),
  buses: Type.Array(ScrubBusResultSchema),
});
export type ScrubCommandAck = Static<typeof ScrubCommandAckSchema>;

/** POST /api/v1/hosts/:hostId/scrub */
export const HostScrubBodySchema = Type.Object({
  bus: Type.Optional(BusNameSchema),
}, { additionalProperties: false });
export type HostScrubBody = Static<typeof HostScrubBodySchema>;
export const HostScrubResultSchema = Type.Object({
  host_id: Type.String(),
  /** at least one bus started */
  buses: Type.Array(ScrubBusResultSchema),
});
export type HostScrubResult = Static<typeof HostScrubResultSchema>;

// Fleet-wide scrub jobs ---------------------------------------------------------------------------------------

export const SCRUB_JOB_STATUSES = ['running', 'completed', 'failed', 'cancelled'] as const;
// spelled out: Type.Union over a mapped array infers as never
export const ScrubJobStatusSchema = Type.Union([
  Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled'),
]);
export type ScrubJobStatus = Static<typeof ScrubJobStatusSchema>;

/**
 * A host's place in a job: waiting (not started yet), starting (the command is on its way), running (its agent
 * started a scrub; the hub waits for its reports to show it completed), then completed, failed (the agent could
 * not start one, or no completion within the host timeout), skipped (no bus could scrub when its turn came) or
 * cancelled (the job was cancelled first; a scrub already started runs to its end: sysfs has no way to stop one).
 */
export const SCRUB_HOST_STATES = ['waiting', 'starting', 'running', 'completed', 'failed', 'skipped', 'cancelled'] as const;
export const ScrubHostStateNameSchema = Type.Union([
  Type.Literal('waiting'), Type.Literal('starting'), Type.Literal('running'), Type.Literal('completed'),
  Type.Literal('failed'), Type.Literal('skipped'), Type.Literal('cancelled'),
]);
export type ScrubHostStateName = Static<typeof ScrubHostStateNameSchema>;

export const ScrubJobBusSchema = Type.Object({
  bus: Type.String(),
  started: Type.Boolean(),
  reason: Type.Optional(Type.String()),
  /** completed scrubs before the start; the scrub is done when a report shows more, and state idle */
  count_before: Type.Optional(Type.Integer({ minimum: 0 })),
  /** the count in the report that showed it done */
  count_after: Type.Optional(Type.Integer({ minimum: 0 })),
  /** the latest state the hub saw for this bus */
  scrub_state: Type.Optional(ScrubStateSchema),
});
export type ScrubJobBus = Static<typeof ScrubJobBusSchema>;

export const ScrubHostStateSchema = Type.Object({
  host_id: Type.String(),
  hostname: Type.Optional(Type.String()),
  state: ScrubHostStateNameSchema,
  buses: Type.Array(ScrubJobBusSchema),
  started_at: Type.Optional(Type.String({ format: 'date-time' })),
  /** started_at + the job's host timeout: failed when not completed by then */
  deadline_at: Type.Optional(Type.String({ format: 'date-time' })),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
  /** the job's host timeout (seconds), kept with each host so a resumed job keeps it */
  timeout_s: Type.Integer({ minimum: 1 }),
  error: Type.Optional(Type.String()),
  /**
   * state starting: when sending the scrub command failed without the agent's answer (a timeout, a lost
   * connection; `error` says how). The agent may have started the scrub anyway: the host becomes running when a
   * report shows a bus active, and fails when the first report after this time shows none.
   */
  command_error_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type ScrubHostState = Static<typeof ScrubHostStateSchema>;

/** how many hosts are in each state */
export const ScrubJobCountsSchema = Type.Object({
  total: Type.Integer(),
  waiting: Type.Integer(),
  starting: Type.Integer(),
  running: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  skipped: Type.Integer(),
  cancelled: Type.Integer(),
});
export type ScrubJobCounts = Static<typeof ScrubJobCountsSchema>;

export const ScrubJobSchema = Type.Object({
  id: Type.String(),
  /** running until every host finished (completed; failed when any host failed) or an operator cancelled it */
  status: ScrubJobStatusSchema,
  created_at: Type.String({ format: 'date-time' }),
  created_by: Type.String(),
  updated_at: Type.String({ format: 'date-time' }),
  /** how long one host may take, from its start to a report showing its scrub completed */
  host_timeout_s: Type.Integer(),
  /** in the order they are scrubbed: one at a time */
  hosts: Type.Array(ScrubHostStateSchema),
  counts: ScrubJobCountsSchema,
});
export type ScrubJob = Static<typeof ScrubJobSchema>;

/** POST /api/v1/scrubs */
export const CreateScrubJobBodySchema = Type.Object({
  /** in this order; default: every online host with a bus that can scrub, by hostname */
  host_ids: Type.Optional(Type.Array(
    Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' }),
    { minItems: 1, maxItems: 1000, uniqueItems: true },
  )),
  /** per host, from start to a report showing the scrub completed; default the hub's (6 h) */
  host_timeout_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 24 * 3600 })),
}, { additionalProperties: false });
export type CreateScrubJobBody = Static<typeof CreateScrubJobBodySchema>;

export const ScrubJobIdParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

export const ScrubJobQuerySchema = Type.Object({
  status: Type.Optional(ScrubJobStatusSchema),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const ScrubJobListSchema = Type.Object({
  jobs: Type.Array(ScrubJobSchema, { description: 'newest first' }),
});
export type ScrubJobList = Static<typeof ScrubJobListSchema>;
