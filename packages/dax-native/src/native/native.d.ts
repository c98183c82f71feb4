/**
 * The raw binding exported by build/{Release,Debug}/dax_native.node (src/native/addon.cc).
 * Only src/addon.ts uses it; everyone else uses the typed wrappers there.
 */

/** One DIMM as dimmHealth() returns it: ndctl's field names, a field absent when not reported. */
export interface RawDimmHealth {
  /** ndbusN */
  bus: string;
  /** nmemN */
  dev: string;
  /** false: the DIMM family has no SMART command (ND_CMD_SMART); nothing else is present */
  supported: boolean;
  health_state?: 'ok' | 'non-critical' | 'critical' | 'fatal' | 'unknown';
  temperature_celsius?: number;
  controller_temperature_celsius?: number;
  spares_percentage?: number;
  alarm_temperature?: boolean;
  alarm_controller_temperature?: boolean;
  alarm_spares?: boolean;
  alarm_enabled_media_temperature?: boolean;
  temperature_threshold?: number;
  alarm_enabled_ctrl_temperature?: boolean;
  controller_temperature_threshold?: number;
  alarm_enabled_spares?: boolean;
  spares_threshold?: number;
  life_used_percentage?: number;
  shutdown_state?: 'clean' | 'dirty';
  shutdown_count?: number;
  /** "<libndctl fn>: <strerror> (<last libndctl log line>)" when a SMART command failed */
  error?: string;
}

/** struct fsxattr as FS_IOC_FSGETXATTR fills it. */
export interface RawFsxattr {
  xflags: number;
  extsize: number;
  nextents: number;
  projid: number;
  cowextsize: number;
}

export interface RawStatxDax {
  /** STATX_ATTR_DAX in stx_attributes */
  dax: boolean;
  /** STATX_ATTR_DAX in stx_attributes_mask: whether the filesystem reports the attribute at all */
  reported: boolean;
}

/** One FS_IOC_GETFSMAP record (struct fsmap), in bytes. */
export interface RawFsmapRecord {
  /** fmr_device: the kernel's new_encode_dev() of the device when the answer's devT is true */
  device: number;
  /** FMR_OF_* bits: PREALLOC 0x1, ATTR_FORK 0x2, EXTENT_MAP 0x4, SHARED 0x8, SPECIAL_OWNER 0x10, LAST 0x20 */
  flags: number;
  physical: number;
  length: number;
  /** the owning inode (FMR_OF_SPECIAL_OWNER clear) */
  inode?: bigint;
  /** byte offset in the owner's file or attribute fork (FMR_OF_SPECIAL_OWNER clear) */
  offset?: number;
  /** FMR_OWNER_TYPE / FMR_OWNER_CODE of a special owner: (0, 1) free, (0, 2) unknown, ('X', n) xfs/ext4, ('f', n) ext4 */
  ownerType?: number;
  ownerCode?: number;
}

export interface RawFsmap {
  /** the low and high keys' fmr_device: the mount root's st_dev as new_encode_dev() */
  dataDevice: number;
  /** FMH_OF_DEV_T was set: fmr_device values are dev_t encodings */
  devT: boolean;
  /** the record cap (2^20) was reached before FMR_OF_LAST */
  truncated: boolean;
  records: RawFsmapRecord[];
}

/** One FS_IOC_FIEMAP extent (struct fiemap_extent), in bytes. */
export interface RawFiemapExtent {
  logical: number;
  physical: number;
  length: number;
  /** FIEMAP_EXTENT_* bits: LAST 0x1, UNKNOWN 0x2, DELALLOC 0x4, ENCODED 0x8, DATA_INLINE 0x200, UNWRITTEN 0x800, SHARED 0x2000 */
  flags: number;
}

export interface RawFiemap {
  /** extents the file has (all of them, before the device-range filter) */
  scanned: number;
  /** the extent cap (2^20) was reached before FIEMAP_EXTENT_LAST */
  truncated: boolean;
  /** the extents overlapping the requested device bytes (all of them when none were given) */
  extents: RawFiemapExtent[];
}

/**
 * `new SysfsWatcher(paths, onChange, onError)` (src/native/watch.cc): opens and reads every path (the
 * read arms kernfs's change notification), then a background thread poll()s them for POLLPRI|POLLERR
 * and calls onChange(path, text) with the text read again after each notification. onError gets a
 * NativeError: a read that failed (reported each time), or ENODEV once for an attribute that was
 * removed, which is then no longer watched. The constructor throws the fs error shape (ENOENT from
 * 'open', EINVAL from 'open' for something other than a regular file, an error from 'read').
 * The watcher keeps itself alive until close() but never keeps node running.
 */
export interface RawSysfsWatcher {
  /** The text each path had when it was armed, in the order of `paths`. */
  readonly initial: string[];
  /** Stops and joins the thread; no callback runs after it returns. Idempotent. */
  close(): void;
}

/** writeZeros(): what reached the device and which blocks failed (adjacent blocks failing alike merged). */
export interface RawWriteZeros {
  /** bytes written */
  written: number;
  /** the device's logical block size (BLKSSZGET): the unit of the retries and of `failed` */
  sectorSize: number;
  failed: { offset: number; length: number; code: string; errno: number }[];
}

/** clearErrorsOnBus(): `range` is present when the bus supports the commands (supported true). */
export interface RawClearErrors {
  supported: boolean;
  /** bytes the platform reports cleared */
  cleared: number;
  detail: string;
  /** exact was asked and the clear unit would widen the range: nothing was sent */
  widenRequired: boolean;
  /** the SPA range sent to clear_error (or, with widenRequired, that would have been), aligned to the platform's clear unit */
  range?: { address: bigint; length: number; clearUnit: number };
}

/** What createNamespace()/reconfigureNamespace() pass down: validated in src/devices; 0 or absent = ndctl's default. */
export interface RawNamespaceParams {
  mode: 'raw' | 'sector' | 'fsdax' | 'devdax';
  size?: number;
  align?: number;
  map?: 'mem' | 'dev';
  sectorSize?: number;
  name?: string;
  uuid?: string;
}

/** A namespace after a change: `size` is the namespace's allocated size; uuid absent when the kernel reports none. */
export interface RawNamespaceChange {
  namespace: string;
  mode: 'raw' | 'sector' | 'fsdax' | 'devdax';
  size: number;
  uuid?: string;
  blockdev?: string;
  chardev?: string;
  holder?: string;
}

export interface RawDaxDeviceState {
  device: string;
  mode: 'devdax' | 'system-ram';
  /** system-ram mode only */
  onlineMemblocks?: number;
  totalMemblocks?: number;
  /** present when at least one block is online: all of them are in ZONE_MOVABLE */
  movable?: boolean;
}

/**
 * Rejections carry Node's fs error shape: code ('ENOENT'), errno (negative), syscall ('open',
 * 'ioctl', 'statx', or the libndctl function such as 'ndctl_new'), path when there is one, and
 * detail (libndctl's last log line, or the ioctl request name).
 */
export interface NativeBinding {
  dimmHealth(): Promise<RawDimmHealth[]>;
  getFsxattr(path: string): Promise<RawFsxattr>;
  /** Read-modify-write: xflags = (xflags | setMask) & ~clearMask; resolves to the flags read back. */
  updateFsxattrFlags(path: string, setMask: number, clearMask: number): Promise<RawFsxattr>;
  statxDax(path: string): Promise<RawStatxDax>;
  /**
   * FS_IOC_GETFSMAP on the directory `mountPath` (the mount root) for the data device's bytes
   * [deviceByteStart, deviceByteEnd): every record overlapping them, following fsmap_advance to FMR_OF_LAST.
   * Rejects ENOTTY/EOPNOTSUPP (syscall 'ioctl') where the filesystem has no GETFSMAP.
   */
  getFsmap(mountPath: string, deviceByteStart: number, deviceByteEnd: number): Promise<RawFsmap>;
  /**
   * FS_IOC_FIEMAP (FIEMAP_FLAG_SYNC) of `path`, not following a final symlink; with device bytes given, only the
   * extents overlapping [deviceByteStart, deviceByteEnd) are returned.
   */
  fiemap(path: string, deviceByteStart?: number, deviceByteEnd?: number): Promise<RawFiemap>;
  /** lstat, open O_WRONLY|O_NOFOLLOW (regular files only), st_ino compared with `ino` when given (ESTALE), fallocate(PUNCH_HOLE|KEEP_SIZE), fsync. */
  punchHole(path: string, offset: number, length: number, ino?: bigint): Promise<void>;
  /** open O_WRONLY|O_DIRECT|O_EXCL|O_SYNC of a block device, zeros in 1 MiB chunks, failed chunks retried per block, fdatasync. */
  writeZeros(devicePath: string, offset: number, length: number): Promise<RawWriteZeros>;
  /** open O_RDONLY|O_EXCL of a block device: EBUSY → true. */
  deviceInUse(devicePath: string): Promise<boolean>;
  /** ARS_CAP then CLEAR_ERROR on bus `bus` (ndbusN) for the SPA range, widened to the clear unit (exact: never widened, widenRequired instead). */
  clearErrorsOnBus(bus: string, address: bigint, length: number, exact?: boolean): Promise<RawClearErrors>;
  /**
   * Namespace changes as ndctl v76 makes them (create-namespace, create-namespace -f -e, destroy-namespace -f).
   * A request the region cannot take rejects EINVAL with syscall 'daxfleet_validate' (nothing changed).
   */
  createNamespace(region: string, params: RawNamespaceParams): Promise<RawNamespaceChange>;
  reconfigureNamespace(namespace: string, params: RawNamespaceParams): Promise<RawNamespaceChange>;
  destroyNamespace(namespace: string): Promise<{ namespace: string; freed: number }>;
  /** daxctl reconfigure-device -m system-ram|devdax [--no-online] [--no-movable] (-f for devdax: offlines first). */
  reconfigureDaxDevice(device: string, mode: 'system-ram' | 'devdax', online: boolean, movable: boolean): Promise<RawDaxDeviceState>;
  onlineDaxMemory(device: string, movable: boolean): Promise<RawDaxDeviceState & { onlined: number }>;
  offlineDaxMemory(device: string): Promise<RawDaxDeviceState & { offlined: number }>;
  SysfsWatcher: new (
    paths: string[],
    onChange: (path: string, text: string) => void,
    onError: (err: Error) => void,
  ) => RawSysfsWatcher;
  /** Versions from pkg-config when the addon was compiled, and its N-API version. */
  compiledAgainst: { libndctl: string; libdaxctl: string; napi: number };
}
