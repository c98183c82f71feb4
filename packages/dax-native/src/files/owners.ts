/**
 * The special owners FS_IOC_GETFSMAP reports, by (FMR_OWNER_TYPE, FMR_OWNER_CODE), named for people.
 *
 * The generic ones are type 0 (<linux/fsmap.h>: FMR_OWN_FREE, FMR_OWN_UNKNOWN, FMR_OWN_METADATA). xfs
 * (fs/xfs/libxfs/xfs_fs.h, XFS_FMR_OWN_*) uses type 'X'; ext4 (fs/ext4/fsmap.h, EXT4_FMR_OWN_*) shares xfs's 'X'
 * codes for what both have (FS, LOG, INODES) and adds type 'f' for its group descriptors and bitmaps.
 */

/** FMR_OF_* bits of struct fsmap's fmr_flags. */
export const FMR_OF_PREALLOC = 0x1;
export const FMR_OF_ATTR_FORK = 0x2;
export const FMR_OF_EXTENT_MAP = 0x4;
export const FMR_OF_SHARED = 0x8;
export const FMR_OF_SPECIAL_OWNER = 0x10;
export const FMR_OF_LAST = 0x20;

/** FIEMAP_EXTENT_* bits of struct fiemap_extent's fe_flags that matter here. */
export const FIEMAP_EXTENT_LAST = 0x1;
export const FIEMAP_EXTENT_UNKNOWN = 0x2;
export const FIEMAP_EXTENT_DELALLOC = 0x4;
export const FIEMAP_EXTENT_ENCODED = 0x8;
export const FIEMAP_EXTENT_DATA_INLINE = 0x200;
export const FIEMAP_EXTENT_UNWRITTEN = 0x800;
export const FIEMAP_EXTENT_SHARED = 0x2000;

const X = 'X'.charCodeAt(0);
const F = 'f'.charCodeAt(0);

/** What a special owner is: free space, unknown (in use, owner not named), or named metadata. */
export type SpecialOwner = { kind: 'free' } | { kind: 'unknown' } | { kind: 'metadata'; metadata: string };

const METADATA: ReadonlyMap<string, string> = new Map([
  // FMR_OWN_METADATA: generic metadata, for a filesystem that names nothing finer
  ['0:3', 'metadata'],
  // XFS_FMR_OWN_FS / EXT4_FMR_OWN_FS: static metadata at fixed places (ext4: superblocks; xfs: the superblock
  // and each allocation group's AGF, AGFL and AGI headers)
  [`${X}:1`, 'superblock/group headers'],
  [`${X}:2`, 'journal/log'],
  // XFS_FMR_OWN_AG: per-AG metadata (free space and reverse-map btrees)
  [`${X}:3`, 'allocation group btrees (free space, reverse map)'],
  [`${X}:4`, 'inode btree'],
  [`${X}:5`, 'inode table/inode chunks'],
  [`${X}:6`, 'refcount btree'],
  [`${X}:7`, 'copy-on-write staging'],
  [`${X}:8`, 'bad blocks'],
  [`${F}:1`, 'group descriptors'],
  [`${F}:2`, 'reserved group descriptors'],
  [`${F}:3`, 'block bitmap'],
  [`${F}:4`, 'inode bitmap'],
]);

/** The name of a special owner; one no table here knows is still metadata, named by its raw codes. */
export function specialOwner(type: number, code: number): SpecialOwner {
  if (type === 0 && code === 1) return { kind: 'free' };
  if (type === 0 && code === 2) return { kind: 'unknown' };
  const name = METADATA.get(`${type}:${code}`);
  if (name !== undefined) return { kind: 'metadata', metadata: name };
  const printable = type >= 0x20 && type < 0x7f ? `'${String.fromCharCode(type)}'` : String(type);
  return { kind: 'metadata', metadata: `metadata (owner ${printable}:${code})` };
}
