/**
 * Change notification for sysfs attributes, so new bad blocks are seen within a second instead of at
 * the next periodic read.
 *
 * The kernel calls sysfs_notify (kernfs_notify) on regionN/badblocks and /sys/block/pmemX/badblocks
 * after it revalidated poison (an MCE or an ARS result; drivers/nvdimm/region_devs.c, pmem.c) and on
 * the bus's ndbusN/nfit/scrub when an address-range scrub completes (drivers/acpi/nfit/core.c). The
 * addon's watcher (src/native/watch.cc) waits for that the classic way on one background thread:
 * read (arms), poll for POLLPRI|POLLERR, lseek(0) + read again (re-arms and gives the new text).
 *
 * Not every change notifies: a write to /sys/block/pmemX/badblocks does not, and neither does a
 * change on a kernel that predates the notify calls. So this is an accelerator beside the periodic
 * re-read, never a replacement for it.
 */
import { createRequire } from 'node:module';
import { addonPath, loadError, type NativeError } from './addon.js';
import type { NativeBinding, RawSysfsWatcher } from './native/native.js';

/** One notification: the attribute's whole text read right after it (trailing newline included). */
export interface SysfsChange {
  /** the path exactly as it was given to watchSysfsAttributes */
  path: string;
  /** what read() returned, cut at 64 KiB (sysfs attributes are at most a page) */
  text: string;
}

export interface SysfsWatch {
  /** the watched paths, duplicates removed, in the order given */
  readonly paths: readonly string[];
  /**
   * What each path read when the watch was armed: a change after this moment is notified, so a caller
   * that compares against this text misses nothing between its own read and the watch.
   */
  readonly initial: ReadonlyMap<string, string>;
  /** true once close() ran */
  readonly closed: boolean;
  /** Stops and joins the watcher thread; no callback runs after it returns. Idempotent. */
  close(): void;
}

/** The raw binding, once addon.ts loaded it: the module cache hands back the same exports. */
function nativeBinding(): NativeBinding {
  const error = loadError(); // loads the addon on first call
  if (error !== undefined) throw error;
  return createRequire(import.meta.url)(addonPath()!) as NativeBinding;
}

/** A throwing callback must not unwind into the addon: it becomes an ordinary uncaught exception. */
function guarded<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args) => {
    try {
      fn(...args);
    } catch (err) {
      process.nextTick(() => {
        throw err;
      });
    }
  };
}

function checkPaths(paths: unknown): asserts paths is readonly string[] {
  if (!Array.isArray(paths)) {
    throw Object.assign(new TypeError('paths must be an array of attribute paths'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  for (const [i, path] of paths.entries()) {
    if (typeof path !== 'string' || path.length === 0) {
      throw Object.assign(new TypeError(`paths[${i}] must be a non-empty string`), { code: 'ERR_INVALID_ARG_TYPE' });
    }
    if (path.includes('\0')) {
      throw Object.assign(new TypeError(`paths[${i}] must not contain null bytes`), { code: 'ERR_INVALID_ARG_VALUE' });
    }
  }
}

/**
 * Watches sysfs (kernfs) attributes for kernfs_notify: `onChange` gets each watched attribute's new
 * text after the kernel signals it. Every path is opened and read before this returns, so a path that
 * does not exist throws a NativeError here (code 'ENOENT', syscall 'open', path), as does one that is
 * not a regular file (EINVAL) or whose read fails.
 *
 * `onError` gets a NativeError for a path: syscall 'read' with the errno of a failed re-read; ENODEV
 * means the attribute is gone (its namespace was disabled, its device removed) and the path is then
 * no longer watched, reported once. A removal is noticed within about a second (kernfs does not wake
 * pollers on removal). Without `onError`, errors become process warnings.
 *
 * The watcher thread never keeps node running, and the watch keeps working while the returned handle
 * is unreferenced, until close(). Throws NativeAddonUnavailableError when the addon is not loaded:
 * callers fall back to reading the attributes periodically.
 */
export function watchSysfsAttributes(
  paths: readonly string[],
  onChange: (change: SysfsChange) => void,
  onError?: (err: NativeError) => void,
): SysfsWatch {
  checkPaths(paths);
  if (typeof onChange !== 'function') {
    throw Object.assign(new TypeError('onChange must be a function'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (onError !== undefined && typeof onError !== 'function') {
    throw Object.assign(new TypeError('onError must be a function when given'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  const native = nativeBinding();
  const unique = [...new Set(paths)];
  let closed = false;
  const reportError =
    onError ??
    ((err: NativeError) => process.emitWarning(`sysfs watch: ${err.message}`, { code: 'DAXFLEET_SYSFS_WATCH', detail: err.path }));

  let raw: RawSysfsWatcher;
  try {
    raw = new native.SysfsWatcher(
      unique,
      guarded((path: string, text: string) => {
        if (!closed) onChange({ path, text });
      }),
      guarded((err: Error) => {
        if (!closed) reportError(err as NativeError);
      }),
    );
  } catch (err) {
    if (err instanceof Error) Error.captureStackTrace(err, watchSysfsAttributes);
    throw err;
  }
  const initial = new Map(unique.map((path, i) => [path, raw.initial[i]!] as const));

  return {
    paths: Object.freeze(unique),
    initial,
    get closed() {
      return closed;
    },
    close() {
      closed = true;
      raw.close();
    },
  };
}
