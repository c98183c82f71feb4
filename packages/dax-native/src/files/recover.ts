/**
 * The calls that repair media errors (src/native/recover.cc), after the kernel's Documentation/filesystems/dax.rst
 * "Handling Media Errors": punch a hole over a file's bad part, rewrite a block device's bad sectors through the
 * pmem driver (which asks the platform to clear the poison), tell whether a block device is held, and send the
 * bus's clear-error command for device DAX. All run on a worker thread; failures reject with the NativeError
 * shape (code, errno, syscall, path, detail), argument errors throw before anything is opened.
 */
import { binding, checkPath, withCallSite } from '../addon.js';

/** One run of device blocks writeZeros() could not write, and why (EIO: the platform did not clear the poison). */
export interface WriteZerosFailure {
  /** byte offset on the device */
  offset: number;
  length: number;
  /** errno name, e.g. 'EIO' */
  code: string;
  /** negative errno, as Node's fs errors give it */
  errno: number;
}

export interface WriteZerosResult {
  /** bytes of zeros that reached the device */
  written: number;
  /** the blocks that failed, in order; adjacent blocks that failed with the same errno form one entry */
  failed: WriteZerosFailure[];
  /** the device's logical block size (BLKSSZGET): the unit of the retries and of `failed` (512 on pmem) */
  sectorSize: number;
}

export interface ClearErrorsOptions {
  /** the bus's device name, "ndbusN" */
  bus: string;
  /** system physical address of the first bad byte (a region's `resource` + the offset in the region) */
  address: bigint | number;
  /** bytes */
  length: number;
  /**
   * true: never clear bytes outside [address, address + length). When the platform's clear unit would widen the
   * range, nothing is sent and the result says so (widenRequired true, cleared 0, detail naming the unit).
   */
  exact?: boolean;
}

export interface PunchHoleOptions {
  /**
   * The inode number the caller expects at `path` (st_ino when it planned the punch). When the open file has
   * another one (the path was replaced since), nothing is punched and the call rejects ESTALE.
   */
  ino?: number | bigint;
}

export interface ClearErrorsResult {
  /** false: the bus lacks ars_cap, ars_status or clear_error (QEMU's emulated NVDIMM, for one); nothing was sent */
  supported: boolean;
  /** bytes the platform reports cleared; less than range.length means part of it was not */
  cleared: number;
  /** what happened, in words: the bus, the SPA range, whether the request was widened to the clear unit */
  detail: string;
  /** true only with `exact`: the clear unit would widen the range, so nothing was sent (cleared is 0) */
  widenRequired: boolean;
  /**
   * the range sent to clear_error (present when supported): the request widened to whole clear units; with
   * widenRequired, the range that would have had to be sent
   */
  range?: { address: bigint; length: number; clearUnit: number };
}

const SECTOR = 512;

/**
 * Node (libuv) names errno 95 ENOTSUP; the kernel returns it as EOPNOTSUPP ("this filesystem cannot do that",
 * fallocate(2)), and that is the name callers of these calls test for. libuv has no name for errno 116 at all
 * ("Unknown system error -116"): punchHole's inode check rejects with it, as ESTALE. Internal.
 */
async function kernelNames<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const e = err as Partial<{ code: string; errno: number; message: string }>;
    if (err instanceof Error && e.errno === -95 && e.code === 'ENOTSUP') {
      e.code = 'EOPNOTSUPP';
      // libuv's text for it reads "operation not supported on socket", which misleads about a file
      err.message = err.message.replace(/^ENOTSUP: [^,]*,/, 'EOPNOTSUPP: operation not supported,');
    } else if (err instanceof Error && e.errno === -116 && e.code !== 'ESTALE') {
      e.code = 'ESTALE';
      err.message = err.message.replace(/^[^,]*,/, 'ESTALE: stale file handle,');
    }
    throw err;
  }
}

function outOfRange(message: string): RangeError {
  return Object.assign(new RangeError(message), { code: 'ERR_OUT_OF_RANGE' });
}

function checkByteRange(offset: number, length: number): void {
  for (const [name, value] of [['offset', offset], ['length', length]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw outOfRange(`${name} must be a non-negative safe integer (got ${String(value)})`);
    }
  }
  if (length === 0) throw outOfRange('length must be greater than 0');
  if (!Number.isSafeInteger(offset + length)) throw outOfRange(`offset + length (${offset + length}) is not a safe integer`);
}

/**
 * Deallocates bytes [offset, offset + length) of the regular file `path` (fallocate PUNCH_HOLE|KEEP_SIZE), then
 * fsyncs it: the range reads as zeros afterwards, the size stays, the blocks go back to the filesystem (which
 * zeroes them through the driver when it allocates them again). The filesystem rounds inward to whole blocks and
 * zeroes the partial blocks at the edges (in place: where the platform cannot clear poison that write fails EIO,
 * so callers freeing a bad block pass whole filesystem blocks). `path` itself must be a regular file: a symbolic
 * link is refused (lstat, then open O_NOFOLLOW). With opts.ino, the opened file's st_ino must equal it, or the
 * call rejects ESTALE (syscall 'fstat', detail "inode changed: expected X, found Y") without punching.
 * Rejects EINVAL (syscall 'fallocate', detail naming the file type) for anything but a regular file, EOPNOTSUPP
 * where the filesystem cannot punch (ext2), ENOENT, EACCES, ...
 */
export async function punchHole(path: string, offset: number, length: number, opts: PunchHoleOptions = {}): Promise<void> {
  checkPath(path);
  checkByteRange(offset, length);
  let ino: bigint | undefined;
  if (opts.ino !== undefined) {
    if (typeof opts.ino === 'bigint') ino = opts.ino;
    else if (Number.isSafeInteger(opts.ino)) ino = BigInt(opts.ino);
    if (ino === undefined || ino < 0n || ino >= 1n << 64n) {
      throw outOfRange(`ino must be a 64-bit unsigned bigint or safe integer (got ${String(opts.ino)})`);
    }
  }
  const native = binding();
  await withCallSite(() => kernelNames(() => native.punchHole(path, offset, length, ino)), punchHole);
}

/**
 * Writes zeros over bytes [offset, offset + length) of the block device `devicePath`, the way ndctl clear-errors
 * clears a raw namespace: open O_WRONLY|O_DIRECT|O_EXCL|O_SYNC, write in chunks of up to 1 MiB, retry a failed
 * chunk block by block so `failed` names exactly the blocks that could not be written, carry on, fdatasync.
 * offset and length are multiples of 512 (RangeError otherwise; a device with larger logical blocks rejects
 * EINVAL unless they are multiples of those). Rejects when the device cannot be opened (EBUSY: mounted or held,
 * ENOENT, EACCES), is not a block device (EINVAL), the range lies past its end (EINVAL) or fdatasync fails;
 * a write failure is never a rejection, it is in `failed`.
 */
export async function writeZeros(devicePath: string, offset: number, length: number): Promise<WriteZerosResult> {
  checkPath(devicePath, 'devicePath');
  checkByteRange(offset, length);
  if (offset % SECTOR !== 0 || length % SECTOR !== 0) {
    throw outOfRange(`offset (${offset}) and length (${length}) must be multiples of ${SECTOR}`);
  }
  const native = binding();
  const raw = await withCallSite(() => kernelNames(() => native.writeZeros(devicePath, offset, length)), writeZeros);
  return { written: raw.written, failed: raw.failed.map((f) => ({ ...f })), sectorSize: raw.sectorSize };
}

/**
 * Whether the block device `devicePath` is held: an exclusive open (O_RDONLY|O_EXCL) fails EBUSY while a
 * filesystem is mounted on it, device-mapper or md uses it, or another process opened it O_EXCL. A plain
 * open by another process does not count (look in /proc for those). Rejects EINVAL for a character device
 * (O_EXCL means nothing there; dax devices' users are found through /proc/<pid>/fd and maps) or any other
 * non-block file, and with the open's error (ENOENT, EACCES, ...).
 */
export async function deviceInUse(devicePath: string): Promise<boolean> {
  checkPath(devicePath, 'devicePath');
  const native = binding();
  return withCallSite(() => kernelNames(() => native.deviceInUse(devicePath)), deviceInUse);
}

/**
 * Asks the platform to clear the poison of a system-physical-address range through bus `bus`'s commands, as
 * ndctl clear-errors does for device DAX (which has no block device to write through): ARS_CAP for the range
 * (which gives the platform's clear unit), then CLEAR_ERROR over the range widened outward to whole clear units
 * (the detail says when it was widened: the extra bytes are cleared too; with `exact` nothing is sent then and
 * the result has widenRequired true, cleared 0). On success the kernel drops the range
 * from its poison list and from regionN/badblocks. A bus without the commands resolves `{ supported: false }`.
 * Rejects ENODEV for an unknown bus (detail lists the buses there are), and with the command's error
 * (EACCES/EPERM without CAP_SYS_RAWIO, EIO/ENXIO when the firmware refuses: detail has its status).
 */
export async function clearErrorsOnBus(opts: ClearErrorsOptions): Promise<ClearErrorsResult> {
  if (typeof opts !== 'object' || opts === null) {
    throw Object.assign(new TypeError('options must be an object { bus, address, length }'), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  const { bus, address, length, exact } = opts;
  if (exact !== undefined && typeof exact !== 'boolean') {
    throw Object.assign(new TypeError(`exact must be a boolean (got ${String(exact)})`), { code: 'ERR_INVALID_ARG_TYPE' });
  }
  // any other name is an unknown bus: the addon rejects ENODEV listing the buses there are
  checkPath(bus, 'bus');
  let spa: bigint;
  if (typeof address === 'bigint') {
    spa = address;
  } else if (typeof address === 'number' && Number.isSafeInteger(address)) {
    spa = BigInt(address);
  } else {
    throw outOfRange(`address must be a bigint or a safe integer (got ${String(address)})`);
  }
  if (spa < 0n || spa >= 1n << 64n) throw outOfRange(`address must be a 64-bit unsigned value (got ${spa})`);
  if (!Number.isSafeInteger(length) || length <= 0) throw outOfRange(`length must be a positive safe integer (got ${String(length)})`);
  if (spa + BigInt(length) > 1n << 64n) throw outOfRange('address + length passes the end of the 64-bit address space');
  const native = binding();
  const raw = await withCallSite(() => kernelNames(() => native.clearErrorsOnBus(bus, spa, length, exact === true)), clearErrorsOnBus);
  const result: ClearErrorsResult = {
    supported: raw.supported,
    cleared: raw.cleared,
    detail: raw.detail,
    widenRequired: raw.widenRequired,
  };
  if (raw.range !== undefined) result.range = { ...raw.range };
  return result;
}
