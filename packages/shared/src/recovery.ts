/**
 * Recovery from media errors (issue 6). First part: which files a bad range hits. For a bad range under a
 * mounted filesystem (ext4, xfs, ext2 on a pmem block device), the agent asks the filesystem's reverse map
 * (FS_IOC_GETFSMAP) for the owners of the range's device bytes, or, where there is none, walks the mount with
 * FS_IOC_FIEMAP; it names metadata hits as such (GETFSMAP's special owners: FMR_OWN_FS, FMR_OWN_LOG, FMR_OWN_AG,
 * FMR_OWN_INOBT, FMR_OWN_INODES, FMR_OWN_REFC, FMR_OWN_COW, FMR_OWN_DEFECTIVE, FMR_OWN_FREE, FMR_OWN_UNKNOWN).
 */
import { Type, type Static } from 'typebox';

/** One piece of a bad range: the device bytes it covers and who owns them. */
export const RangeHitSchema = Type.Object({
  /** file: a regular file's data (or a directory's, a symlink's); metadata: filesystem structures; free: unallocated */
  kind: Type.Union([Type.Literal('file'), Type.Literal('metadata'), Type.Literal('free'), Type.Literal('unknown')]),
  /** byte offset on the block device (pmemX) and length of the overlap with the bad range */
  device_offset: Type.Integer({ minimum: 0 }),
  length: Type.Integer({ minimum: 1 }),
  /** kind file: the inode, its path under the mount (absent when no path leads to it, e.g. an unlinked open file) */
  inode: Type.Optional(Type.Integer()),
  path: Type.Optional(Type.String()),
  /** kind file: byte offset in the file of the overlap's first byte */
  file_offset: Type.Optional(Type.Integer({ minimum: 0 })),
  /** kind file: the file's size (bytes), to tell a hit past EOF in preallocated space */
  file_size: Type.Optional(Type.Integer({ minimum: 0 })),
  /** the extent is unwritten (preallocated): reads return zeros, the bad sectors are not read */
  unwritten: Type.Optional(Type.Boolean()),
  /** kind metadata: what it is, e.g. "inode table", "journal", "free space btree", "superblock/group descriptors" */
  metadata: Type.Optional(Type.String()),
});
export type RangeHit = Static<typeof RangeHitSchema>;

/** The files (and metadata) one bad range hits, as the agent mapped it. */
export const RangeFilesSchema = Type.Object({
  /** the range's identity (as in BadRange) */
  region: Type.String(),
  region_offset: Type.Integer({ minimum: 0 }),
  length: Type.Integer({ minimum: 1 }),
  /** the block device and the filesystem mounted on it */
  blockdev: Type.String(),
  mountpoint: Type.String(),
  fstype: Type.String(),
  /** the mount's dax option as /proc/self/mountinfo shows it: always | never | inode; absent: not shown */
  dax: Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('never'), Type.Literal('inode')])),
  /** getfsmap: the filesystem's reverse map; fiemap: a walk of the mount's files */
  method: Type.Union([Type.Literal('getfsmap'), Type.Literal('fiemap')]),
  hits: Type.Array(RangeHitSchema),
  /** when the mapping was made (the agent's clock) */
  mapped_at: Type.String({ format: 'date-time' }),
  /** the mapping failed or is partial: why (the hits are what was found) */
  error: Type.Optional(Type.String()),
});
export type RangeFiles = Static<typeof RangeFilesSchema>;

/*
 * Recovery actions (issue 6, second part). The kernel's DAX documentation (Documentation/filesystems/dax.rst,
 * "Handling Media Errors") gives two ways to recover a DAX file: delete it and restore it from a backup (the freed
 * blocks are zeroed through the driver when they are allocated again), or truncate it / punch a hole over the bad
 * part (at least a whole aligned sector). The driver gives a third for raw and devdax namespaces: write the
 * sectors through the driver, which asks the platform to clear the poison (what `ndctl clear-errors` does).
 *
 * Every action is planned first, on the host, by its agent (a dry run that changes nothing): the exact steps, the
 * data that will be lost, and the preconditions with their outcome. The hub stores the plan with an id and an
 * expiry. Executing it (operator role) sends the plan's request and digest back to the agent, which plans again
 * and refuses when anything changed; it then runs the steps, reports progress, and verifies the result by reading
 * the bad blocks again (never by trusting a return code). The hub stores and audits every step.
 */

export const RecoveryActionSchema = Type.Union([
  /** fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) over the file bytes on the bad range, 512 B aligned */
  Type.Literal('punch-hole'),
  /** truncate the file to `size` (default: the file offset of the first bad byte, rounded down to 512 B) */
  Type.Literal('truncate'),
  /** copy the operator-named backup next to the file, check its sha256, then replace the damaged file with it */
  Type.Literal('delete-restore'),
  /** raw / fsdax (unmounted): write zeros through /dev/pmemX (O_DIRECT); devdax: the bus's clear-error command */
  Type.Literal('clear-errors'),
  /** start an address range scrub on the range's bus, wait for it, read the bad blocks again */
  Type.Literal('scrub-recheck'),
]);
export type RecoveryAction = Static<typeof RecoveryActionSchema>;

/** A bad range by its identity (as in BadRange): the region and its region-relative 512 B sectors. */
export const RangeRefSchema = Type.Object({
  region: Type.String({ pattern: '^region[0-9]{1,6}$' }),
  region_offset: Type.Integer({ minimum: 0 }),
  length: Type.Integer({ minimum: 1, description: '512 B sectors' }),
}, { additionalProperties: false });
export type RangeRef = Static<typeof RangeRefSchema>;

const HostPathSchema = Type.String({ minLength: 1, maxLength: 1024, pattern: '^/', description: 'absolute path on the host' });

/** What an operator asks for: POST /api/v1/hosts/:hostId/recovery/plans, and the agent's recovery-plan command. */
export const RecoveryRequestSchema = Type.Object({
  action: RecoveryActionSchema,
  /** the bad range the action starts from */
  range: RangeRefSchema,
  /** punch-hole, truncate, delete-restore: the file (one the range hits) */
  path: Type.Optional(HostPathSchema),
  /** truncate: the new size in bytes (default: the first bad byte's file offset rounded down to 512) */
  size: Type.Optional(Type.Integer({ minimum: 0 })),
  /** delete-restore: the backup to restore from, a regular file on the host */
  backup_path: Type.Optional(HostPathSchema),
  /** how long the plan can be executed, in seconds (default 600) */
  ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600 })),
}, { additionalProperties: false });
export type RecoveryRequest = Static<typeof RecoveryRequestSchema>;
export const RECOVERY_PLAN_TTL_SECONDS = 600;

/** A precondition (at plan time) or a verification check (after execution), with its outcome in words. */
export const RecoveryCheckSchema = Type.Object({
  /**
   * stable id. Preconditions: range-still-bad, namespace-mode, file-on-namespace, file-covers-range, file-regular,
   * mounted-rw, not-mounted, not-open, device-not-busy, not-system-ram, fs-supports-punch, backup-readable,
   * backup-not-on-range, free-space, bus-can-clear, bus-can-scrub, size-valid.
   * Verification: range-reread, range-not-in-file, file-readable, hole-zeroed, size-after, checksum-match,
   * metadata-restored, sectors-written, bus-cleared, scrub-completed.
   */
  id: Type.String(),
  ok: Type.Boolean(),
  /** what was found, and for a failed precondition what to do */
  detail: Type.String(),
});
export type RecoveryCheck = Static<typeof RecoveryCheckSchema>;

/** Data the action destroys. */
export const RecoveryDataLossSchema = Type.Object({
  /** file-bytes: a byte range of a file (punch-hole, truncate); file-content: the whole current content, replaced
   * by the backup's (delete-restore); device-sectors: sectors of a block or dax device (clear-errors) */
  kind: Type.Union([Type.Literal('file-bytes'), Type.Literal('file-content'), Type.Literal('device-sectors')]),
  path: Type.Optional(Type.String()),
  inode: Type.Optional(Type.Integer()),
  /** file-bytes: byte offset and length in the file; file-content: the file's size in `length` */
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
  length: Type.Optional(Type.Integer({ minimum: 0 })),
  /** device-sectors: pmemX or daxX.Y, first 512 B sector on it and the count */
  device: Type.Optional(Type.String()),
  sector: Type.Optional(Type.Integer({ minimum: 0 })),
  count: Type.Optional(Type.Integer({ minimum: 1 })),
  /** one sentence: "bytes 20480-24575 of /mnt/db/orders.tbl read as zeros afterwards" */
  detail: Type.String(),
});
export type RecoveryDataLoss = Static<typeof RecoveryDataLossSchema>;

/** One step the agent will take, in order. */
export const RecoveryStepSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  /** punch-hole, fsync, truncate, copy, verify-checksum, copy-metadata, rename, write-zeros, bus-clear-error,
   * start-scrub, wait-scrub, reread-badblocks, remap-range, read-file */
  op: Type.String(),
  /** exactly what happens: "fallocate(PUNCH_HOLE|KEEP_SIZE) /mnt/x bytes 20480+4096" */
  description: Type.String(),
});
export type RecoveryStep = Static<typeof RecoveryStepSchema>;

/** What the action works on, as the agent found it at plan time. */
export const RecoveryTargetSchema = Type.Object({
  namespace: Type.Optional(Type.String()),
  mode: Type.Optional(Type.String()),
  bus: Type.Optional(Type.String()),
  /** pmemX (raw, fsdax, sector) or daxX.Y (devdax), the range's first sector on it and its 512 B sector count */
  blockdev: Type.Optional(Type.String()),
  chardev: Type.Optional(Type.String()),
  sector: Type.Optional(Type.Integer({ minimum: 0 })),
  sectors: Type.Optional(Type.Integer({ minimum: 1 })),
  /** system physical address of the range's first byte (hex) */
  spa: Type.Optional(Type.String()),
  /** the filesystem over the block device, when mounted */
  mountpoint: Type.Optional(Type.String()),
  fstype: Type.Optional(Type.String()),
  dax: Type.Optional(Type.String()),
  /** file actions: the file, its inode and size, and the file byte ranges on the bad range */
  path: Type.Optional(Type.String()),
  inode: Type.Optional(Type.Integer()),
  file_size: Type.Optional(Type.Integer({ minimum: 0 })),
  file_ranges: Type.Optional(Type.Array(Type.Object({ offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1 }) }))),
  /** truncate: the size the file is truncated to (the request's size, or the computed default) */
  new_size: Type.Optional(Type.Integer({ minimum: 0 })),
  /** delete-restore: where the backup is copied before it replaces the file (same directory, so rename is atomic) */
  temp_path: Type.Optional(Type.String()),
  /** delete-restore: the backup's size, mode (octal string), uid, gid, mtime */
  backup: Type.Optional(Type.Object({
    path: Type.String(), size: Type.Integer({ minimum: 0 }), mode: Type.String(), uid: Type.Integer(), gid: Type.Integer(),
    mtime: Type.String({ format: 'date-time' }),
  })),
});
export type RecoveryTarget = Static<typeof RecoveryTargetSchema>;

/** The agent's dry run: what recovery-plan answers. Nothing on the host was changed to make it. */
export const RecoveryAgentPlanSchema = Type.Object({
  action: RecoveryActionSchema,
  request: RecoveryRequestSchema,
  target: RecoveryTargetSchema,
  steps: Type.Array(RecoveryStepSchema),
  data_loss: Type.Array(RecoveryDataLossSchema),
  /** the preconditions, each with its outcome; executable only when all are ok */
  checks: Type.Array(RecoveryCheckSchema),
  executable: Type.Boolean(),
  /** not executable: the first failed precondition's detail, as one sentence for the operator */
  refusal: Type.Optional(Type.String()),
  /**
   * sha256 (hex) of the canonical JSON of {action, request, target, steps, data_loss}: at execution the agent plans
   * again and runs only when the digest is the same (the host has not changed since the operator reviewed it)
   */
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  planned_at: Type.String({ format: 'date-time' }),
});
export type RecoveryAgentPlan = Static<typeof RecoveryAgentPlanSchema>;

/**
 * planned: can be executed until expires_at; refused: a precondition failed; expired: not executed in time;
 * executing: the agent runs it; verified: done, and the re-read shows the range no longer bad; still-present:
 * done and the file checks passed, but the range is still in the bad-block list (verification.detail says why);
 * failed: a step or a verification check failed; interrupted: the agent restarted during execution.
 */
export const RecoveryStatusSchema = Type.Union([
  Type.Literal('planned'), Type.Literal('refused'), Type.Literal('expired'), Type.Literal('executing'),
  Type.Literal('verified'), Type.Literal('still-present'), Type.Literal('failed'), Type.Literal('interrupted'),
]);
export type RecoveryStatus = Static<typeof RecoveryStatusSchema>;
export const RECOVERY_FINAL_STATUSES: readonly RecoveryStatus[] = ['refused', 'expired', 'verified', 'still-present', 'failed', 'interrupted'];

export const RecoveryStepResultSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  op: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed'), Type.Literal('skipped')]),
  detail: Type.Optional(Type.String()),
  started_at: Type.Optional(Type.String({ format: 'date-time' })),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type RecoveryStepResult = Static<typeof RecoveryStepResultSchema>;

export const RecoveryVerificationSchema = Type.Object({
  /** cleared: no sector of the range is listed bad any more; still-present: some are; failed: a check failed */
  verdict: Type.Union([Type.Literal('cleared'), Type.Literal('still-present'), Type.Literal('failed')]),
  /** the sectors of the range still listed after the action, as re-read from regionN/badblocks and the block device */
  remaining: Type.Array(Type.Object({ region_offset: Type.Integer({ minimum: 0 }), length: Type.Integer({ minimum: 1 }) })),
  checks: Type.Array(RecoveryCheckSchema),
  /** one or two sentences for the operator, e.g. why the range is still present and what clears it */
  detail: Type.String(),
  verified_at: Type.String({ format: 'date-time' }),
});
export type RecoveryVerification = Static<typeof RecoveryVerificationSchema>;

/** Progress of the step running now. */
export const RecoveryProgressSchema = Type.Object({
  step: Type.Integer({ minimum: 1 }),
  of: Type.Integer({ minimum: 1 }),
  op: Type.String(),
  message: Type.String(),
  done: Type.Optional(Type.Integer({ minimum: 0 })),
  total: Type.Optional(Type.Integer({ minimum: 0 })),
  unit: Type.Optional(Type.Union([Type.Literal('bytes'), Type.Literal('sectors'), Type.Literal('seconds')])),
});
export type RecoveryProgress = Static<typeof RecoveryProgressSchema>;

export const RecoveryExecutionSchema = Type.Object({
  executed_by: Type.String(),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
  progress: Type.Optional(RecoveryProgressSchema),
  steps: Type.Array(RecoveryStepResultSchema),
  verification: Type.Optional(RecoveryVerificationSchema),
  error: Type.Optional(Type.String()),
});
export type RecoveryExecution = Static<typeof RecoveryExecutionSchema>;

/** A stored plan, as the REST API returns it. */
export const RecoveryPlanSchema = Type.Object({
  id: Type.String(),
  host_id: Type.String(),
  action: RecoveryActionSchema,
  status: RecoveryStatusSchema,
  created_at: Type.String({ format: 'date-time' }),
  created_by: Type.String(),
  expires_at: Type.String({ format: 'date-time' }),
  plan: RecoveryAgentPlanSchema,
  execution: Type.Optional(RecoveryExecutionSchema),
});
export type RecoveryPlan = Static<typeof RecoveryPlanSchema>;

export const RecoveryPlanListSchema = Type.Object({
  plans: Type.Array(RecoveryPlanSchema),
  /** pass as `before` for the next (older) page */
  next_before: Type.Optional(Type.String()),
});
export type RecoveryPlanList = Static<typeof RecoveryPlanListSchema>;

/** POST /api/v1/recovery/plans/:planId/execute: the digest of the plan the operator reviewed. */
export const RecoveryExecuteBodySchema = Type.Object({
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
}, { additionalProperties: false });
export type RecoveryExecuteBody = Static<typeof RecoveryExecuteBodySchema>;

/** Hub -> agent: plan (dry run). Answered by RecoveryPlanCommandAck. */
export const RecoveryPlanAgentCommandSchema = Type.Object({
  type: Type.Literal('recovery-plan'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  request: RecoveryRequestSchema,
}, { additionalProperties: false });
export type RecoveryPlanAgentCommand = Static<typeof RecoveryPlanAgentCommandSchema>;
export const RecoveryPlanCommandAckSchema = Type.Object({
  accepted: Type.Literal(true), id: Type.String(), plan: RecoveryAgentPlanSchema,
});
export type RecoveryPlanCommandAck = Static<typeof RecoveryPlanCommandAckSchema>;

/**
 * Hub -> agent: execute a stored plan. The agent plans `request` again; when the digest differs it answers
 * started: false with the fresh plan, else it starts the steps in the background and answers started: true at once.
 * Progress comes back through POST /api/v1/agents/recovery.
 */
export const RecoveryExecuteAgentCommandSchema = Type.Object({
  type: Type.Literal('recovery-execute'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  plan_id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  request: RecoveryRequestSchema,
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  executed_by: Type.String({ maxLength: 200 }),
}, { additionalProperties: false });
export type RecoveryExecuteAgentCommand = Static<typeof RecoveryExecuteAgentCommandSchema>;
export const RecoveryExecuteCommandAckSchema = Type.Object({
  accepted: Type.Literal(true),
  id: Type.String(),
  started: Type.Boolean(),
  /** not started: why (the host changed since the plan, another recovery runs on this device, ...) */
  refusal: Type.Optional(Type.String()),
  /** not started because the host changed: the fresh plan */
  plan: Type.Optional(RecoveryAgentPlanSchema),
  /**
   * not started, why, for the hub: host-changed / not-executable (the fresh plan differs or fails a precondition:
   * the plan is refused), device-busy / stopping / replan-failed (transient: the plan stays planned),
   * already-executed (the agent runs or ran this plan: an earlier answer was lost)
   */
  refused_because: Type.Optional(Type.Union([
    Type.Literal('host-changed'), Type.Literal('not-executable'), Type.Literal('device-busy'), Type.Literal('stopping'),
    Type.Literal('replan-failed'), Type.Literal('already-executed'),
  ])),
});
export type RecoveryExecuteCommandAck = Static<typeof RecoveryExecuteCommandAckSchema>;

/**
 * Agent -> hub: POST /api/v1/agents/recovery (agent credential), after every step and at the end. It carries the
 * whole execution each time; seq grows by one per report, and the hub keeps the highest (a re-sent report is
 * harmless). status is executing until the last report.
 */
export const RecoveryProgressReportSchema = Type.Object({
  host_id: Type.String(),
  plan_id: Type.String({ minLength: 1, maxLength: 64 }),
  seq: Type.Integer({ minimum: 1 }),
  status: Type.Union([Type.Literal('executing'), Type.Literal('verified'), Type.Literal('still-present'), Type.Literal('failed'), Type.Literal('interrupted')]),
  execution: RecoveryExecutionSchema,
}, { additionalProperties: false });
export type RecoveryProgressReport = Static<typeof RecoveryProgressReportSchema>;
export const RecoveryProgressAckSchema = Type.Object({ plan_id: Type.String(), seq: Type.Integer() });
export type RecoveryProgressAck = Static<typeof RecoveryProgressAckSchema>;
