/**
 * Typed wrappers of the addon's two mapping ioctls (src/native/fsmap.cc): the filesystem's reverse map
 * (FS_IOC_GETFSMAP) and one file's forward map (FS_IOC_FIEMAP). Both are in bytes on the filesystem's data
 * device; both reject with the NativeError shape (code, errno, syscall 'open' | 'ioctl', path, detail naming
 * the ioctl).
 */
import { binding, checkPath, withCallSite } from '../addon.js';

/** One reverse-map record (struct fsmap). Declared here in full: native.d.ts is not part of the built output. */
export interface FsmapRecord {
  /** fmr_device (new_encode_dev() of the device) */
  device: number;
  /** FMR_OF_* bits (owners.ts) */
  flags: number;
  /** device byte offset and length of the record (may start before / end after the bytes asked for) */
  physical: number;
  length: number;
  /** the owning inode; absent for a special owner */
  inode?: bigint;
  /** byte offset in the inode's file (or attribute fork) of `physical`; absent for a special owner */
  offset?: number;
  /** FMR_OWNER_TYPE / FMR_OWNER_CODE of a special owner (owners.ts names them) */
  ownerType?: number;
  ownerCode?: number;
}

export interface Fsmap {
  /** the fmr_device the query was keyed on: the mount root's st_dev (new_encode_dev()) */
  dataDevice: number;
  /** FMH_OF_DEV_T: fmr_device values are dev_t encodings */
  devT: boolean;
  /** the addon's record cap (2^20) ended the query before the last record */
  truncated: boolean;
  records: FsmapRecord[];
}

export interface FiemapExtent {
  /** byte offset in the file */
  logical: number;
  /** byte offset on the device */
  physical: number;
  length: number;
  /** FIEMAP_EXTENT_* bits (owners.ts) */
  flags: number;
}

export interface Fiemap {
  /** how many extents the file has */
  scanned: number;
  /** the addon's extent cap (2^20) ended the listing before the last extent */
  truncated: boolean;
  /** the extents overlapping the device bytes asked for (all when none were) */
  extents: FiemapExtent[];
}

function checkBytes(start: number, end: number): void {
  for (const [name, value] of [['deviceByteStart', start], ['deviceByteEnd', end]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw Object.assign(new RangeError(`${name} must be a non-negative safe integer (got ${String(value)})`), {
        code: 'ERR_OUT_OF_RANGE',
      });
    }
  }
  if (end <= start) {
    throw Object.assign(new RangeError(`deviceByteEnd (${end}) must be greater than deviceByteStart (${start})`), {
      code: 'ERR_OUT_OF_RANGE',
    });
  }
}

/**
 * FS_IOC_GETFSMAP on the mount root `mountPath`: every reverse-map record overlapping the data device's bytes
 * [deviceByteStart, deviceByteEnd). Needs CAP_SYS_ADMIN; rejects ENOTTY or EOPNOTSUPP where the filesystem has
 * no GETFSMAP. ext4 reports file data as the unknown owner (it has no reverse map, only free space and its
 * static metadata); xfs names inodes only with rmapbt (mkfs.xfs -m rmapbt=1), else unknown too.
 */
export async function readFsmap(mountPath: string, deviceByteStart: number, deviceByteEnd: number): Promise<Fsmap> {
  checkPath(mountPath, 'mountPath');
  checkBytes(deviceByteStart, deviceByteEnd);
  const native = binding();
  return withCallSite(() => native.getFsmap(mountPath, deviceByteStart, deviceByteEnd), readFsmap);
}

/**
 * FS_IOC_FIEMAP (with FIEMAP_FLAG_SYNC) of `path` itself (a final symlink is not followed: ELOOP). With
 * `device` given, only the extents overlapping those device bytes come back; `scanned` still counts all.
 */
export async function readFiemap(path: string, device?: { start: number; end: number }): Promise<Fiemap> {
  checkPath(path, 'path');
  const native = binding();
  if (device === undefined) return withCallSite(() => native.fiemap(path), readFiemap);
  checkBytes(device.start, device.end);
  return withCallSite(() => native.fiemap(path, device.start, device.end), readFiemap);
}
