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
  SysfsWatcher: new (
    paths: string[],
    onChange: (path: string, text: string) => void,
    onError: (err: Error) => void,
  ) => RawSysfsWatcher;
  /** Versions from pkg-config when the addon was compiled, and its N-API version. */
  compiledAgainst: { libndctl: string; libdaxctl: string; napi: number };
}
