/**
 * The libndctl/libdaxctl addon: one loader and the typed public wrappers over the raw binding.
 *
 * The addon is optional at run time: a host without the compiled binary (or without libndctl.so)
 * still runs the sysfs reader, so nothing here throws at import. `isAvailable()` says whether the
 * binary loaded, `loadError()` says why not, listing every path tried in order.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DimmHealth } from '@daxfleet/shared';
import type { NativeBinding, RawFsxattr } from './native/native.js';

/** FS_XFLAG_DAX from <linux/fs.h>: the per-inode DAX policy flag of ext4 and xfs (dax=inode). */
export const FS_XFLAG_DAX = 0x8000;

/**
 * Where the binary is looked for, in this order, relative to the package root. Both src/addon.ts
 * (tests) and dist/addon.js (built) sit one level below the root.
 */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const SEARCH_ORDER = ['build/Release/dax_native.node', 'build/Debug/dax_native.node'] as const;

/** An error from the addon, shaped like Node's own fs errors. */
export interface NativeError extends Error {
  /** errno name, e.g. 'ENOENT' */
  code: string;
  /** negative errno, as Node's fs errors give it */
  errno: number;
  /** 'open', 'ioctl', 'statx', or the libndctl function that failed, e.g. 'ndctl_new' */
  syscall: string;
  path?: string;
  /** libndctl's last log line, or the ioctl request that failed */
  detail?: string;
}

/** The addon could not be loaded; the message lists every path tried and why each failed. */
export class NativeAddonUnavailableError extends Error {
  readonly code = 'DAXFLEET_ERR_NATIVE_UNAVAILABLE';
  constructor(readonly attempts: readonly { path: string; reason: string }[]) {
    super(
      'dax-native addon not loaded (build it with `pnpm --filter @daxfleet/dax-native run build:native`); tried:\n' +
        attempts.map((a) => `  ${a.path}: ${a.reason}`).join('\n'),
    );
    this.name = 'NativeAddonUnavailableError';
  }
}

type LoadResult = { binding: NativeBinding; path: string } | { error: NativeAddonUnavailableError };

let loaded: LoadResult | undefined;

function load(): LoadResult {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const attempts: { path: string; reason: string }[] = [];
  for (const relative of SEARCH_ORDER) {
    const path = `${PACKAGE_ROOT}${relative}`;
    if (!existsSync(path)) {
      attempts.push({ path, reason: 'not found' });
      continue;
    }
    try {
      loaded = { binding: require(path) as NativeBinding, path };
      return loaded;
    } catch (err) {
      // e.g. ERR_DLOPEN_FAILED when libndctl.so.6 is missing on this host
      attempts.push({ path, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  loaded = { error: new NativeAddonUnavailableError(attempts) };
  return loaded;
}

/** The loaded raw binding; throws NativeAddonUnavailableError when it did not load. Internal: not in index.ts. */
export function binding(): NativeBinding {
  const result = load();
  if ('error' in result) throw result.error;
  return result.binding;
}

/** Whether the compiled addon loaded (loads it on first call). */
export function isAvailable(): boolean {
  return 'binding' in load();
}

/** Why the addon did not load, listing every path tried; undefined when it loaded. */
export function loadError(): NativeAddonUnavailableError | undefined {
  const result = load();
  return 'error' in result ? result.error : undefined;
}

/** The file the addon was loaded from, when it loaded. */
export function addonPath(): string | undefined {
  const result = load();
  return 'path' in result ? result.path : undefined;
}

/** libndctl/libdaxctl versions the addon was compiled against (pkg-config at build time). */
export function compiledVersions(): { libndctl: string; libdaxctl: string; napi: number } {
  return { ...binding().compiledAgainst };
}

/** Gives an error settled in the addon's main-thread callback the stack of the awaiting caller. Internal. */
export async function withCallSite<T>(call: () => Promise<T>, site: (...args: never[]) => unknown): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof Error) Error.captureStackTrace(err, site);
    throw err;
  }
}

/**
 * SMART health of every DIMM on every bus, keyed by DIMM dev ("nmem0"), computed as
 * `ndctl list -DH` does. A host without NVDIMMs gets an empty Map. A DIMM without a SMART command
 * gets `{ supported: false }`; one whose command fails gets `{ supported: true, health_state:
 * 'unknown', error }` (ndctl prints "unknown" there too). Rejects (code, errno, syscall 'ndctl_new')
 * only when no libndctl context can be created.
 */
export async function readDimmHealth(): Promise<Map<string, DimmHealth>> {
  const native = binding();
  const raw = await withCallSite(() => native.dimmHealth(), readDimmHealth);
  const byDev = new Map<string, DimmHealth>();
  for (const { bus: _bus, dev, ...health } of raw) byDev.set(dev, health);
  return byDev;
}

/**
 * The extended inode flags of a file or directory (struct fsxattr). Declared here in full, not
 * derived from the raw binding's types, because native.d.ts is not part of the built output.
 */
export interface Fsxattr {
  /** FS_XFLAG_* bits */
  xflags: number;
  /** FS_XFLAG_DAX: the DAX policy; the effective state is statxDax().dax */
  dax: boolean;
  extsize: number;
  nextents: number;
  projid: number;
  cowextsize: number;
}

function toFsxattr(raw: RawFsxattr): Fsxattr {
  return { ...raw, dax: (raw.xflags & FS_XFLAG_DAX) !== 0 };
}

/** Validates a path argument as Node's fs does (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE). Internal. */
export function checkPath(path: unknown, name = 'path'): asserts path is string {
  if (typeof path !== 'string' || path.length === 0) {
    throw Object.assign(new TypeError(`${name} must be a non-empty string`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  if (path.includes('\0')) {
    throw Object.assign(new TypeError(`${name} must not contain null bytes`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
}

/** FS_IOC_FSGETXATTR on `path`. Rejects with a NativeError (ENOENT, ENOTTY, ...). */
export async function getFsxattr(path: string): Promise<Fsxattr> {
  checkPath(path);
  const native = binding();
  return toFsxattr(await withCallSite(() => native.getFsxattr(path), getFsxattr));
}

/**
 * Sets or clears FS_XFLAG_DAX on `path` (other flags untouched) and resolves to the flags the
 * filesystem kept. On a directory the flag is inherited by files created in it afterwards. A file's
 * effective DAX state changes only once it is closed everywhere and its inode is evicted.
 */
export async function setFsxattr(path: string, flags: { dax: boolean }): Promise<Fsxattr> {
  checkPath(path);
  if (typeof flags !== 'object' || flags === null || typeof flags.dax !== 'boolean') {
    throw Object.assign(new TypeError('flags.dax must be a boolean'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  const native = binding();
  const [set, clear] = flags.dax ? [FS_XFLAG_DAX, 0] : [0, FS_XFLAG_DAX];
  return toFsxattr(await withCallSite(() => native.updateFsxattrFlags(path, set, clear), setFsxattr));
}

/**
 * Whether the kernel accesses `path` through DAX right now (statx STATX_ATTR_DAX). `reported` is
 * false when the filesystem does not report the attribute at all, and then `dax` is false too.
 * Directories never report dax=true.
 */
export async function statxDax(path: string): Promise<{ dax: boolean; reported: boolean }> {
  checkPath(path);
  const native = binding();
  return { ...(await withCallSite(() => native.statxDax(path), statxDax)) };
}
