/**
 * Argument checks of the namespace and device-DAX calls, made before anything reaches libndctl/libdaxctl: a bad
 * argument throws a TypeError (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE) saying what was wrong and what
 * is accepted. What depends on the region (its align, free extents, supported alignments) is checked by the addon,
 * whose refusals come back as TypeErrors too (see asTypeError).
 */

export const NAMESPACE_MODES = ['raw', 'sector', 'fsdax', 'devdax'] as const;
/** pmem namespace logical block sizes (raw, fsdax) */
export const NAMESPACE_SECTOR_SIZES = [512, 4096] as const;
/** BTT sector sizes the kernel's btt driver accepts (ndctl's defaults list) */
export const BTT_SECTOR_SIZES = [512, 520, 528, 4096, 4104, 4160, 4224] as const;
/** the kernel's label name field is 64 bytes with its terminating NUL */
const NAME_MAX_BYTES = 63;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PARAM_KEYS = ['mode', 'size', 'align', 'map', 'sectorSize', 'name', 'uuid'] as const;

export interface NamespaceParams {
  mode: 'raw' | 'sector' | 'fsdax' | 'devdax';
  /** bytes; default: the region's largest free extent (create) / the current size (reconfigure) */
  size?: number;
  /** fsdax/devdax page-map / mapping alignment; default 2 MiB where the region supports it (ndctl's default) */
  align?: number;
  /** fsdax/devdax: where the struct page array lives, 'dev' (on the namespace, the default) or 'mem' (RAM) */
  map?: 'mem' | 'dev';
  /** raw/fsdax 512|4096 (default 512); sector (BTT) 512, 520, 528, 4096, 4104, 4160, 4224 (default 4096) */
  sectorSize?: number;
  name?: string;
  /** default: a new random uuid */
  uuid?: string;
}

function invalidType(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_TYPE' });
}

function invalidValue(message: string): TypeError {
  return Object.assign(new TypeError(message), { code: 'ERR_INVALID_ARG_VALUE' });
}

/** A device name such as region0, namespace0.1, dax1.0 (what the kernel calls them in sysfs). */
export function checkDeviceName(value: unknown, what: string, pattern: RegExp, example: string): asserts value is string {
  if (typeof value !== 'string') throw invalidType(`${what} must be a string such as '${example}'`);
  if (!pattern.test(value)) throw invalidValue(`${what} must be a device name such as '${example}', got ${JSON.stringify(value)}`);
}

export const REGION_NAME = /^region\d+$/;
export const NAMESPACE_NAME = /^namespace\d+\.\d+$/;
export const DAX_DEVICE_NAME = /^dax\d+\.\d+$/;

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw invalidValue(`${what} must be a positive whole number of bytes, got ${String(value)}`);
  }
  return value;
}

/** The params of createNamespace/reconfigureNamespace, checked and copied (unknown keys are refused). */
export function checkNamespaceParams(params: unknown): NamespaceParams {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw invalidType("params must be an object such as { mode: 'fsdax' }");
  }
  const p = params as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!(PARAM_KEYS as readonly string[]).includes(key)) {
      throw invalidValue(`params.${key} is not an option; the options are ${PARAM_KEYS.join(', ')}`);
    }
  }
  const mode = p.mode;
  if (typeof mode !== 'string' || !(NAMESPACE_MODES as readonly string[]).includes(mode)) {
    throw invalidValue(`params.mode must be one of ${NAMESPACE_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
  }
  const out: NamespaceParams = { mode: mode as NamespaceParams['mode'] };
  const daxMode = mode === 'fsdax' || mode === 'devdax';

  if (p.size !== undefined) {
    out.size = positiveInteger(p.size, 'params.size');
    if (out.size % 4096 !== 0) throw invalidValue(`size must be a multiple of 4096 (the page size), got ${out.size}`);
  }
  if (p.align !== undefined) {
    if (!daxMode) throw invalidValue(`params.align applies to fsdax and devdax namespaces, not ${mode}`);
    const align = positiveInteger(p.align, 'params.align');
    if (align < 4096 || !Number.isInteger(Math.log2(align))) {
      throw invalidValue(`align must be a power of two of at least 4096 (4096, 2097152, 1073741824), got ${align}`);
    }
    out.align = align;
  }
  if (p.map !== undefined) {
    if (!daxMode) throw invalidValue(`params.map applies to fsdax and devdax namespaces, not ${mode}`);
    if (p.map !== 'mem' && p.map !== 'dev') throw invalidValue(`params.map must be 'dev' or 'mem', got ${JSON.stringify(p.map)}`);
    out.map = p.map;
  }
  if (p.sectorSize !== undefined) {
    if (mode === 'devdax') throw invalidValue('params.sectorSize applies to raw, sector and fsdax namespaces, not devdax');
    const allowed: readonly number[] = mode === 'sector' ? BTT_SECTOR_SIZES : NAMESPACE_SECTOR_SIZES;
    if (typeof p.sectorSize !== 'number' || !allowed.includes(p.sectorSize)) {
      throw invalidValue(`sectorSize of a ${mode} namespace must be one of ${allowed.join(', ')}, got ${String(p.sectorSize)}`);
    }
    out.sectorSize = p.sectorSize;
  }
  if (p.name !== undefined) {
    if (typeof p.name !== 'string') throw invalidType('params.name must be a string');
    if (Buffer.byteLength(p.name) > NAME_MAX_BYTES || /[\0\n]/.test(p.name)) {
      throw invalidValue(`params.name must be at most ${NAME_MAX_BYTES} bytes without newlines or NUL`);
    }
    out.name = p.name;
  }
  if (p.uuid !== undefined) {
    if (typeof p.uuid !== 'string' || !UUID.test(p.uuid)) {
      throw invalidValue(`params.uuid must look like 01234567-89ab-cdef-0123-456789abcdef, got ${JSON.stringify(p.uuid)}`);
    }
    out.uuid = p.uuid.toLowerCase();
  }
  return out;
}

/** An optional boolean option, with its default. */
export function optionalBoolean(value: unknown, what: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw invalidType(`${what} must be a boolean, got ${typeof value}`);
  return value;
}

/**
 * The addon refuses a request the region cannot take (size not a multiple of the region align, an alignment or
 * sector size the region does not offer) with syscall 'daxfleet_validate'; callers get the TypeError they get for
 * any other bad argument.
 */
export function asTypeError(err: unknown): unknown {
  const e = err as Partial<{ syscall: string; detail: string; path: string }>;
  if (err instanceof Error && e.syscall === 'daxfleet_validate') {
    const typed = invalidValue(e.detail ?? err.message);
    if (err.stack !== undefined) typed.stack = `TypeError: ${typed.message}\n${err.stack.split('\n').slice(1).join('\n')}`;
    return typed;
  }
  return err;
}
