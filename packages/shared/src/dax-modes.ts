/**
 * DAX modes (issue 7): filesystem DAX and device DAX, seen and set across the fleet.
 *
 * The kernel's "Direct Access for files" documentation (Documentation/filesystems/dax.rst) is the reference:
 * - a filesystem mounted `dax=inode` (the default for ext4 and xfs), `dax=always`, `dax=never`, or with the legacy
 *   bare `-o dax` (= always); ext2 knows only the bare `dax`; virtiofs has `dax=inode|always|never` too (there the
 *   server decides per file under dax=inode); erofs has `dax=always|never`;
 * - the persistent per-inode flag FS_XFLAG_DAX (FS_IOC_FS[GS]ETXATTR): directories carry it and pass it to files
 *   and directories created in them; changing a directory's flag does not change existing children;
 * - the effective state S_DAX (statx STATX_ATTR_DAX), regular files only: under dax=inode it follows the flag,
 *   but a changed flag takes effect only once every process closed the file and the inode was evicted;
 *   dax=always / dax=never override the flag; a device without DAX support never gives S_DAX.
 *
 * Device DAX: a namespace's mode (raw, sector, fsdax, devdax) is reconfigured through libndctl, a devdax device's
 * mode (devdax, system-ram) and its memory (online / offline, movable) through libdaxctl, as ndctl and daxctl do.
 *
 * Every change is a DaxChange: planned first on the host by its agent (a dry run that changes nothing: steps,
 * data lost, preconditions, and for a policy the list of files that change), stored by the hub with an id and an
 * expiry, executed by an operator with the plan's digest (the agent plans again and refuses when anything
 * changed), verified by a fresh scan, and audited (dax.plan / dax.execute / dax.result, target `change:<id>`).
 * Device and policy changes are short (seconds), so execute answers with the result; there is no progress stream.
 */
import { Type, type Static } from 'typebox';

const HostPathSchema = Type.String({ minLength: 1, maxLength: 1024, pattern: '^/', description: 'absolute path on the host' });
const NamespaceDevSchema = Type.String({ pattern: '^namespace[0-9]{1,6}\\.[0-9]{1,6}$', description: 'namespaceX.Y' });
const RegionDevSchema = Type.String({ pattern: '^region[0-9]{1,6}$', description: 'regionN' });
const DaxDevSchema = Type.String({ pattern: '^dax[0-9]{1,6}\\.[0-9]{1,6}$', description: 'daxX.Y' });

/* ------------------------------------------------------------------------------------------------------------ */
/* Filesystem DAX                                                                                               */
/* ------------------------------------------------------------------------------------------------------------ */

/** The filesystems that can do DAX in Linux 6.x. */
export const DaxFsTypeSchema = Type.Union([
  Type.Literal('ext2'), Type.Literal('ext4'), Type.Literal('xfs'), Type.Literal('virtiofs'), Type.Literal('erofs'),
]);
export type DaxFsType = Static<typeof DaxFsTypeSchema>;

export const FsDaxModeSchema = Type.Union([Type.Literal('inode'), Type.Literal('always'), Type.Literal('never')]);
export type FsDaxMode = Static<typeof FsDaxModeSchema>;

/**
 * One mounted filesystem of a DAX-capable type, from /proc/self/mountinfo (in the inventory the agent reports,
 * `Inventory.filesystems`). Mounts of other types are not listed.
 */
export const DaxFilesystemSchema = Type.Object({
  mountpoint: Type.String(),
  /** mountinfo's mount source, e.g. /dev/pmem0 (virtiofs: the tag) */
  source: Type.String(),
  fstype: DaxFsTypeSchema,
  /** major:minor of the filesystem (mountinfo field 3) */
  dev: Type.String({ pattern: '^[0-9]+:[0-9]+$' }),
  /** the block device's kernel name (pmem0, loop3, sda1); absent for virtiofs / when not a block device */
  blockdev: Type.Optional(Type.String()),
  /** the nd namespace under the block device (namespace0.0), when it is a pmem device */
  namespace: Type.Optional(Type.String()),
  /** the effective dax mount mode: `dax=inode` is the default where nothing is given (ext2 without `dax`: never) */
  dax: FsDaxModeSchema,
  /**
   * how the mode is given in mountinfo's options: "dax=always" / "dax=never" / "dax=inode", "dax" (the legacy
   * option, = always), or "default" (no dax option shown: xfs and virtiofs do not show dax=inode; ext2: never)
   */
  dax_option: Type.Union([
    Type.Literal('dax=always'), Type.Literal('dax=never'), Type.Literal('dax=inode'), Type.Literal('dax'), Type.Literal('default'),
  ]),
  /**
   * whether the device under the filesystem supports DAX (/sys/block/X/queue/dax = 1: an fsdax namespace);
   * absent for virtiofs (the server decides) and when it cannot be read
   */
  device_dax: Type.Optional(Type.Boolean()),
  read_only: Type.Boolean(),
  /** per-inode flags are honoured: dax=inode on a device with DAX (ext2 has no per-inode mode) */
  per_inode: Type.Boolean(),
});
export type DaxFilesystem = Static<typeof DaxFilesystemSchema>;

/**
 * Why a regular file's effective state (S_DAX) differs from its flag (FS_XFLAG_DAX):
 * not-evicted: dax=inode, the flag changed but the inode is still in memory (open, mapped, or cached) — it takes
 *   effect once every process closed it and the inode is evicted (the kernel evicts it at the last close when the
 *   flag was changed through the ioctl; otherwise after `echo 2 > /proc/sys/vm/drop_caches` or a remount);
 * mount-never: the filesystem is mounted dax=never (flag set, not DAX);
 * mount-always: mounted dax=always (or -o dax): every regular file is DAX whatever its flag;
 * device-no-dax: the device has no DAX support (flag set, never DAX; dax=always mounts fall back);
 * virtiofs-server: virtiofs under dax=inode: the server decides per file, the flag is only a hint;
 * file-excluded: the filesystem excludes this file from DAX (ext4: journalled data, verity, encryption, inline data).
 */
export const FsDaxPendingReasonSchema = Type.Union([
  Type.Literal('not-evicted'), Type.Literal('mount-never'), Type.Literal('mount-always'), Type.Literal('device-no-dax'),
  Type.Literal('virtiofs-server'), Type.Literal('file-excluded'),
]);
export type FsDaxPendingReason = Static<typeof FsDaxPendingReasonSchema>;

/** One file or directory as the agent sees it. */
export const FsDaxEntrySchema = Type.Object({
  path: Type.String(),
  kind: Type.Union([Type.Literal('file'), Type.Literal('dir'), Type.Literal('other')]),
  inode: Type.Integer({ minimum: 0 }),
  /** FS_XFLAG_DAX: the persistent flag (directories: what new children inherit) */
  flag: Type.Boolean(),
  /** S_DAX from statx (regular files only; absent for directories and others, and when statx does not report it) */
  effective: Type.Optional(Type.Boolean()),
  /**
   * regular files: whether the mount and flag ask for DAX (dax=always: true, dax=never: false, dax=inode: the flag;
   * on a device without DAX: false)
   */
  requested: Type.Optional(Type.Boolean()),
  /**
   * dax / not-dax: effective state, as requested; pending: flag and effective differ (reason says why);
   * n/a: a directory or another kind (never S_DAX; its flag only passes to new children)
   */
  state: Type.Union([Type.Literal('dax'), Type.Literal('not-dax'), Type.Literal('pending'), Type.Literal('n/a')]),
  reason: Type.Optional(FsDaxPendingReasonSchema),
  /** one sentence for the operator: why it is pending and what makes it take effect */
  detail: Type.Optional(Type.String()),
  /** not-evicted: the processes holding it open or mapped */
  holders: Type.Optional(Type.Array(Type.Object({ pid: Type.Integer(), command: Type.String() }))),
  /** the entry could not be read (EACCES, vanished): why; flag/effective are then false/absent */
  error: Type.Optional(Type.String()),
});
export type FsDaxEntry = Static<typeof FsDaxEntrySchema>;

/**
 * GET /api/v1/hosts/:hostId/fs-dax (query) and the agent's fs-dax-inspect command: the path itself, its children
 * (recursive: the whole subtree on the same filesystem), or only the entries whose state is pending (the audit of
 * requested vs effective DAX).
 */
export const FsDaxInspectRequestSchema = Type.Object({
  path: HostPathSchema,
  recursive: Type.Optional(Type.Boolean({ default: false })),
  /** only entries in state pending (the audit); implies looking at every regular file under path */
  mismatches_only: Type.Optional(Type.Boolean({ default: false })),
  /** at most this many entries (default 1000, max 10000); truncated says when more exist */
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
}, { additionalProperties: false });
export type FsDaxInspectRequest = Static<typeof FsDaxInspectRequestSchema>;
export const FS_DAX_INSPECT_DEFAULT_LIMIT = 1000;

export const FsDaxInspectResultSchema = Type.Object({
  /** the filesystem path is on; when it is not a DAX-capable type, entries are empty and error says so */
  filesystem: Type.Optional(DaxFilesystemSchema),
  /** the path itself first, then its children / subtree (depth first, names sorted) */
  entries: Type.Array(FsDaxEntrySchema),
  /** entries looked at (mismatches_only: more than are listed) */
  scanned: Type.Integer({ minimum: 0 }),
  truncated: Type.Boolean(),
  /** counts over what was scanned */
  counts: Type.Object({
    dax: Type.Integer({ minimum: 0 }), 'not-dax': Type.Integer({ minimum: 0 }), pending: Type.Integer({ minimum: 0 }),
    'n/a': Type.Integer({ minimum: 0 }),
  }),
  inspected_at: Type.String({ format: 'date-time' }),
  error: Type.Optional(Type.String()),
});
export type FsDaxInspectResult = Static<typeof FsDaxInspectResultSchema>;

/** One flag change of a policy plan (the dry run's list). */
export const FsDaxFlagChangeSchema = Type.Object({
  path: Type.String(),
  kind: Type.Union([Type.Literal('file'), Type.Literal('dir')]),
  inode: Type.Integer({ minimum: 0 }),
  flag_before: Type.Boolean(),
  flag_after: Type.Boolean(),
  /** files: S_DAX now, and what it will be once the change takes effect (dirs: absent) */
  effective_before: Type.Optional(Type.Boolean()),
  effective_after: Type.Optional(Type.Boolean()),
  /** files: the change will be pending (held open/mapped, or overridden by the mount/device): why */
  pending_reason: Type.Optional(FsDaxPendingReasonSchema),
});
export type FsDaxFlagChange = Static<typeof FsDaxFlagChangeSchema>;

/* ------------------------------------------------------------------------------------------------------------ */
/* Device DAX and namespace modes                                                                               */
/* ------------------------------------------------------------------------------------------------------------ */

export const NamespaceTargetModeSchema = Type.Union([
  Type.Literal('raw'), Type.Literal('sector'), Type.Literal('fsdax'), Type.Literal('devdax'),
]);
export type NamespaceTargetMode = Static<typeof NamespaceTargetModeSchema>;

/** What `ndctl create-namespace` takes, by the same names. Absent: ndctl's default. */
const NamespaceParamsFields = {
  mode: NamespaceTargetModeSchema,
  /** bytes; default: the region's largest free extent (create) / the namespace's current size (reconfigure) */
  size: Type.Optional(Type.Integer({ minimum: 1 })),
  /** fsdax/devdax: the pfn/dax alignment in bytes (4 KiB, 2 MiB, 1 GiB as the platform supports); default 2 MiB */
  align: Type.Optional(Type.Integer({ minimum: 4096 })),
  /** fsdax/devdax: where the memmap lives: dev (in the namespace, ndctl's default) or mem (system RAM) */
  map: Type.Optional(Type.Union([Type.Literal('mem'), Type.Literal('dev')])),
  /** raw/fsdax: 512 or 4096; sector: a BTT sector size (512, 520, 528, 4096, 4104, 4160, 4224); default 512 / 4096 (sector) */
  sector_size: Type.Optional(Type.Integer({ minimum: 512 })),
  /** the namespace's alt name (ndctl --name) */
  name: Type.Optional(Type.String({ maxLength: 63 })),
};

/**
 * One change an operator asks for (POST /api/v1/hosts/:hostId/dax/changes, the agent's dax-change-plan command).
 * Discriminated by `kind`.
 */
export const DaxChangeRequestSchema = Type.Union([
  /** a new namespace in a region's free space (ndctl create-namespace -r REGION) */
  Type.Object({ kind: Type.Literal('namespace-create'), region: RegionDevSchema, ...NamespaceParamsFields }, { additionalProperties: false }),
  /** destroy and re-create a namespace in another mode / geometry (ndctl create-namespace -f -e NS): its data is lost */
  Type.Object({ kind: Type.Literal('namespace-reconfigure'), namespace: NamespaceDevSchema, ...NamespaceParamsFields }, { additionalProperties: false }),
  /** ndctl destroy-namespace: disable, zero the info block, delete (the space returns to the region) */
  Type.Object({ kind: Type.Literal('namespace-destroy'), namespace: NamespaceDevSchema }, { additionalProperties: false }),
  /**
   * daxctl reconfigure-device -m system-ram|devdax DEV: system-ram hands the device to kmem (hot-plugged memory,
   * onlined unless online: false, ZONE_MOVABLE unless movable: false); devdax takes it back (its memory must go
   * offline first)
   */
  Type.Object({
    kind: Type.Literal('daxdev-reconfigure'), device: DaxDevSchema,
    mode: Type.Union([Type.Literal('system-ram'), Type.Literal('devdax')]),
    online: Type.Optional(Type.Boolean({ default: true })),
    movable: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false }),
  /** daxctl online-memory DEV [--no-movable]: a system-ram device's offline memory blocks online */
  Type.Object({
    kind: Type.Literal('daxdev-online'), device: DaxDevSchema, movable: Type.Optional(Type.Boolean({ default: true })),
  }, { additionalProperties: false }),
  /** daxctl offline-memory DEV: a system-ram device's memory blocks offline (refused / failed if they cannot go) */
  Type.Object({ kind: Type.Literal('daxdev-offline'), device: DaxDevSchema }, { additionalProperties: false }),
  /**
   * set or clear FS_XFLAG_DAX on path (a directory: new files and directories in it inherit it); existing: also on
   * the existing subdirectories ("directories") or on every existing subdirectory and regular file ("all") of the
   * subtree, on the same filesystem; "none" (default) changes path only
   */
  Type.Object({
    kind: Type.Literal('fs-dax-policy'), path: HostPathSchema, dax: Type.Boolean(),
    existing: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('directories'), Type.Literal('all')], { default: 'none' })),
  }, { additionalProperties: false }),
]);
export type DaxChangeRequest = Static<typeof DaxChangeRequestSchema>;
export type DaxChangeKind = DaxChangeRequest['kind'];
export const DAX_CHANGE_KINDS: readonly DaxChangeKind[] = [
  'namespace-create', 'namespace-reconfigure', 'namespace-destroy', 'daxdev-reconfigure', 'daxdev-online',
  'daxdev-offline', 'fs-dax-policy',
];

/** The REST body: a request plus how long the plan can be executed. */
export const DaxChangeCreateBodySchema = Type.Object({
  request: DaxChangeRequestSchema,
  /** seconds (default 600) */
  ttl_seconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 3600 })),
}, { additionalProperties: false });
export type DaxChangeCreateBody = Static<typeof DaxChangeCreateBodySchema>;
export const DAX_CHANGE_TTL_SECONDS = 600;

/** A precondition (at plan time) or a verification check (after execution), with its outcome in words. */
export const DaxCheckSchema = Type.Object({
  /**
   * stable id. Preconditions: region-exists, region-free-space, namespace-exists, namespace-not-mounted,
   * namespace-not-open, device-exists, device-not-open, mode-differs, params-valid, labels-writable,
   * memory-offlinable, memory-state, path-exists, path-kind, fs-dax-capable, fs-writable, subtree-size.
   * Verification (from a fresh scan): namespace-mode, namespace-size, namespace-params, namespace-gone,
   * region-free-space, device-mode, memory-online, memory-movable, flags-set, effective-state.
   */
  id: Type.String(),
  ok: Type.Boolean(),
  detail: Type.String(),
});
export type DaxCheck = Static<typeof DaxCheckSchema>;

export const DaxStepSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  /** the library call or syscall, e.g. "ndctl_namespace_disable_safe", "ndctl_pfn_enable", "FS_IOC_FSSETXATTR" */
  op: Type.String(),
  /** what it does, for the operator */
  description: Type.String(),
});
export type DaxStep = Static<typeof DaxStepSchema>;

/** The agent's dry run (dax-change-plan's answer). Nothing on the host was changed to make it. */
export const DaxChangeAgentPlanSchema = Type.Object({
  kind: Type.String(),
  request: DaxChangeRequestSchema,
  /** the object as it is now: the namespace / dax device / region from the scan, or the path's FsDaxEntry */
  before: Type.Optional(Type.Unknown()),
  /** what the fresh scan must show afterwards (fields of the namespace / device / region), checked by verification */
  expected: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  steps: Type.Array(DaxStepSchema),
  /** what is lost: e.g. "all data on namespace0.0 (1 GiB, fsdax)"; empty when nothing is */
  data_loss: Type.Array(Type.Object({ description: Type.String(), bytes: Type.Optional(Type.Integer({ minimum: 0 })) })),
  /** fs-dax-policy: the flag changes (dry-run list); changes_total counts them all when the list is cut at 10000 */
  changes: Type.Optional(Type.Array(FsDaxFlagChangeSchema)),
  changes_total: Type.Optional(Type.Integer({ minimum: 0 })),
  checks: Type.Array(DaxCheckSchema),
  executable: Type.Boolean(),
  /** not executable: the first failed precondition's detail */
  refusal: Type.Optional(Type.String()),
  /** sha256 hex of the canonical JSON of {kind, request, before, expected, steps, data_loss, changes} */
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  planned_at: Type.String({ format: 'date-time' }),
});
export type DaxChangeAgentPlan = Static<typeof DaxChangeAgentPlanSchema>;

export const DaxStepResultSchema = Type.Object({
  n: Type.Integer({ minimum: 1 }),
  op: Type.String(),
  status: Type.Union([Type.Literal('done'), Type.Literal('failed'), Type.Literal('skipped')]),
  detail: Type.Optional(Type.String()),
  finished_at: Type.Optional(Type.String({ format: 'date-time' })),
});
export type DaxStepResult = Static<typeof DaxStepResultSchema>;

/** What executing did, and what the fresh scan afterwards showed. */
export const DaxChangeResultSchema = Type.Object({
  /** verified: every step done and every verification check ok; failed: a step or a check failed */
  outcome: Type.Union([Type.Literal('verified'), Type.Literal('failed')]),
  executed_by: Type.String(),
  started_at: Type.String({ format: 'date-time' }),
  finished_at: Type.String({ format: 'date-time' }),
  steps: Type.Array(DaxStepResultSchema),
  /** from a fresh scan after the steps, never from return codes */
  verification: Type.Array(DaxCheckSchema),
  /** the object after the change, from the fresh scan (the new namespace, the device, the path's FsDaxEntry) */
  after: Type.Optional(Type.Unknown()),
  /** fs-dax-policy: how many flags were changed, and how many files are pending now (with why, in after) */
  changed: Type.Optional(Type.Integer({ minimum: 0 })),
  pending: Type.Optional(Type.Integer({ minimum: 0 })),
  /** failed: one sentence on what went wrong and what state the host is left in */
  error: Type.Optional(Type.String()),
});
export type DaxChangeResult = Static<typeof DaxChangeResultSchema>;

/**
 * planned: executable until expires_at; refused: a precondition failed (at plan time, or the host changed at
 * execute time); expired; executing: sent to the agent; verified / failed: the result; interrupted: the agent
 * did not answer the execute command (timeout, restart): the next scan shows what happened.
 */
export const DaxChangeStatusSchema = Type.Union([
  Type.Literal('planned'), Type.Literal('refused'), Type.Literal('expired'), Type.Literal('executing'),
  Type.Literal('verified'), Type.Literal('failed'), Type.Literal('interrupted'),
]);
export type DaxChangeStatus = Static<typeof DaxChangeStatusSchema>;
export const DAX_CHANGE_FINAL_STATUSES: readonly DaxChangeStatus[] = ['refused', 'expired', 'verified', 'failed', 'interrupted'];

/** A stored change, as the REST API returns it. */
export const DaxChangeSchema = Type.Object({
  /** "dc_" + 22 base64url characters */
  id: Type.String(),
  host_id: Type.String(),
  kind: Type.String(),
  status: DaxChangeStatusSchema,
  created_at: Type.String({ format: 'date-time' }),
  created_by: Type.String(),
  expires_at: Type.String({ format: 'date-time' }),
  plan: DaxChangeAgentPlanSchema,
  executed_at: Type.Optional(Type.String({ format: 'date-time' })),
  result: Type.Optional(DaxChangeResultSchema),
});
export type DaxChange = Static<typeof DaxChangeSchema>;

export const DaxChangeListSchema = Type.Object({
  changes: Type.Array(DaxChangeSchema),
  /** pass as `before` for the next (older) page */
  next_before: Type.Optional(Type.String()),
});
export type DaxChangeList = Static<typeof DaxChangeListSchema>;

/** POST /api/v1/dax/changes/:changeId/execute: the digest of the plan the operator reviewed. */
export const DaxChangeExecuteBodySchema = Type.Object({
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
}, { additionalProperties: false });
export type DaxChangeExecuteBody = Static<typeof DaxChangeExecuteBodySchema>;

/* Hub -> agent commands (signed, as the others: api.ts AgentCommandSchema) */

const CommandIdSchema = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

export const DaxChangePlanAgentCommandSchema = Type.Object({
  type: Type.Literal('dax-change-plan'),
  id: CommandIdSchema,
  request: DaxChangeRequestSchema,
}, { additionalProperties: false });
export type DaxChangePlanAgentCommand = Static<typeof DaxChangePlanAgentCommandSchema>;
export const DaxChangePlanCommandAckSchema = Type.Object({
  accepted: Type.Literal(true), id: Type.String(), dax_plan: DaxChangeAgentPlanSchema,
});
export type DaxChangePlanCommandAck = Static<typeof DaxChangePlanCommandAckSchema>;

/**
 * Execute a stored change: the agent plans `request` again; when the digest differs or the plan is not executable
 * it answers executed: false with the fresh plan; otherwise it runs the steps, verifies by a fresh scan, reports
 * the new inventory to the hub, and answers with the result (within the hub's 120 s command timeout).
 */
export const DaxChangeExecuteAgentCommandSchema = Type.Object({
  type: Type.Literal('dax-change-execute'),
  id: CommandIdSchema,
  change_id: CommandIdSchema,
  request: DaxChangeRequestSchema,
  digest: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  executed_by: Type.String({ maxLength: 200 }),
}, { additionalProperties: false });
export type DaxChangeExecuteAgentCommand = Static<typeof DaxChangeExecuteAgentCommandSchema>;
export const DaxChangeExecuteCommandAckSchema = Type.Object({
  accepted: Type.Literal(true),
  id: Type.String(),
  executed: Type.Boolean(),
  /** not executed: why, for the operator */
  refusal: Type.Optional(Type.String()),
  /**
   * host-changed / not-executable: the change is refused (the fresh plan comes along); busy: another change runs on
   * the host (stays planned); already-executed: this agent started this change_id before (a replay, or a repeat
   * after a restart: its journal says so), with the result when it finished
   */
  refused_because: Type.Optional(Type.Union([Type.Literal('host-changed'), Type.Literal('not-executable'), Type.Literal('busy'),
    Type.Literal('already-executed')])),
  dax_plan: Type.Optional(DaxChangeAgentPlanSchema),
  result: Type.Optional(DaxChangeResultSchema),
});
export type DaxChangeExecuteCommandAck = Static<typeof DaxChangeExecuteCommandAckSchema>;

export const FsDaxInspectAgentCommandSchema = Type.Object({
  type: Type.Literal('fs-dax-inspect'),
  id: CommandIdSchema,
  request: FsDaxInspectRequestSchema,
}, { additionalProperties: false });
export type FsDaxInspectAgentCommand = Static<typeof FsDaxInspectAgentCommandSchema>;
export const FsDaxInspectCommandAckSchema = Type.Object({
  accepted: Type.Literal(true), id: Type.String(), inspection: FsDaxInspectResultSchema,
});
export type FsDaxInspectCommandAck = Static<typeof FsDaxInspectCommandAckSchema>;

/* ------------------------------------------------------------------------------------------------------------ */
/* Fleet capacity by mode                                                                                       */
/* ------------------------------------------------------------------------------------------------------------ */

const CapacityFields = {
  raw: Type.Integer({ minimum: 0 }), sector: Type.Integer({ minimum: 0 }), fsdax: Type.Integer({ minimum: 0 }),
  devdax: Type.Integer({ minimum: 0 }), 'system-ram': Type.Integer({ minimum: 0 }), free: Type.Integer({ minimum: 0 }),
};

/**
 * GET /api/v1/fleet/capacity: bytes by mode over the fleet (each host's latest inventory summary), per host, and
 * the filesystems mounted on pmem by dax mode. Hosts without NVDIMMs are counted in hosts_without_pmem only.
 */
export const FleetCapacitySchema = Type.Object({
  totals: Type.Object({ ...CapacityFields, total: Type.Integer({ minimum: 0 }) }),
  hosts: Type.Array(Type.Object({
    host_id: Type.String(),
    hostname: Type.String(),
    status: Type.String(),
    capacity: Type.Object({ ...CapacityFields, total: Type.Integer({ minimum: 0 }) }),
    /** the host's mounted DAX-capable filesystems by dax mode */
    filesystems: Type.Object({ inode: Type.Integer({ minimum: 0 }), always: Type.Integer({ minimum: 0 }), never: Type.Integer({ minimum: 0 }) }),
  })),
  hosts_without_pmem: Type.Integer({ minimum: 0 }),
  /** fleet-wide count of mounted DAX-capable filesystems by dax mode, and of those on a device without DAX */
  filesystems: Type.Object({
    inode: Type.Integer({ minimum: 0 }), always: Type.Integer({ minimum: 0 }), never: Type.Integer({ minimum: 0 }),
    without_device_dax: Type.Integer({ minimum: 0 }),
  }),
  generated_at: Type.String({ format: 'date-time' }),
});
export type FleetCapacity = Static<typeof FleetCapacitySchema>;
