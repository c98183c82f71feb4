/**
 * The order in which ndctl and daxctl list devices.
 *
 * libndctl and libdaxctl collect devices with readdir() and insert each at the HEAD of a list
 * (ccan list_add), so they print the reverse of the directory order. sysfs (kernfs) returns entries
 * sorted by kernfs_name_hash() and then by name. Reproducing that hash lets a recorded tree, whose
 * own directory order is whatever the copying filesystem chose, list in the live kernel's order.
 */

const MASK_64 = (1n << 64n) - 1n;
const GOLDEN_RATIO_64 = 0x61c8864680b583ebn;
const INT_MAX = 0x7fffffff;

const cache = new Map<string, number>();

/** fs/kernfs/dir.c kernfs_name_hash() for a name without a namespace tag (all nd/dax entries). */
export function kernfsNameHash(name: string): number {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  // include/linux/stringhash.h: partial_name_hash() over each byte, then end_name_hash() = hash_64(h, 32)
  let h = 0n;
  for (const byte of Buffer.from(name, 'utf8')) {
    const c = BigInt(byte);
    h = ((h + (c << 4n) + (c >> 4n)) * 11n) & MASK_64;
  }
  let hash = Number(((h * GOLDEN_RATIO_64) & MASK_64) >> 32n) & INT_MAX;
  // kernfs reserves 0, 1 and INT_MAX for "." , ".." and the end of the directory
  if (hash < 2) hash += 2;
  if (hash >= INT_MAX) hash = INT_MAX - 1;
  cache.set(name, hash);
  return hash;
}

/** Compares two entry names in kernfs readdir order. */
export function compareKernfs(a: string, b: string): number {
  return kernfsNameHash(a) - kernfsNameHash(b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Items in the order libndctl/libdaxctl list them: reverse kernfs readdir order of their names. */
export function inListOrder<T>(items: readonly T[], nameOf: (item: T) => string): T[] {
  return [...items].sort((x, y) => compareKernfs(nameOf(y), nameOf(x)));
}

const DIGIT_RUNS = /(\d+)/;

/**
 * Natural order for the inventory itself: "region2" before "region10", "dax2.1" before "dax10.0"
 * (digit runs compare as numbers, the rest as plain strings).
 */
export function compareNatural(a: string, b: string): number {
  if (a === b) return 0;
  const pa = a.split(DIGIT_RUNS);
  const pb = b.split(DIGIT_RUNS);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    // split() with a capture group puts digit runs at the odd indexes
    if (i % 2 === 1) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
