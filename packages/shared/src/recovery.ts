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
