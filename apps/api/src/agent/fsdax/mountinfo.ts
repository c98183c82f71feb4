/**
 * /proc/self/mountinfo (proc(5)) and the dax mount option as it shows there. Shared by the filesystem DAX reader
 * (fsdax/filesystems.ts), the files-under-bad-ranges mapper (media/files.ts), the recovery planner and the device
 * change planners.
 */

/** One line of /proc/self/mountinfo (proc(5)). */
export interface MountEntry {
  mountId: number;
  /** major:minor of the mounted device (st_dev) */
  device: string;
  /** the directory of the filesystem this mount shows ("/" unless a bind mount of a subdirectory) */
  root: string;
  mountpoint: string;
  /** per-mount options (rw, relatime, …) */
  options: string[];
  fstype: string;
  /** mount source, e.g. /dev/pmem0 */
  source: string;
  /** per-superblock options (rw, dax=always, …) */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as \ooo octal */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses /proc/self/mountinfo text; lines that do not have its shape are skipped. */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const head = line.slice(0, dash).split(' ');
    const tail = line.slice(dash + 3).split(' ');
    if (head.length < 6 || tail.length < 3) continue;
    const [id, , device, root, mountpoint, options] = head as [string, string, string, string, string, string];
    const [fstype, source, superOptions] = tail as [string, string, string];
    if (!/^\d+$/.test(id) || !/^\d+:\d+$/.test(device)) continue;
    out.push({
      mountId: Number(id), device, root: unescapeMountinfo(root), mountpoint: unescapeMountinfo(mountpoint),
      options: options.split(','), fstype, source: unescapeMountinfo(source), superOptions: superOptions.split(','),
    });
  }
  return out;
}

/** The dax option exactly as mountinfo shows it (super options first), or undefined when none is shown. */
export function daxOptionOf(mount: MountEntry): 'dax' | 'dax=always' | 'dax=never' | 'dax=inode' | undefined {
  for (const option of [...mount.superOptions, ...mount.options]) {
    if (option === 'dax' || option === 'dax=always' || option === 'dax=never' || option === 'dax=inode') return option;
  }
  return undefined;
}

/**
 * The dax option of a mount as mountinfo shows it: `dax=always|never|inode`, or the older bare `dax` (always).
 * Absent: not shown (xfs does not show its default, inode; ext4 without dax shows nothing either).
 */
export function daxOf(mount: MountEntry): 'always' | 'never' | 'inode' | undefined {
  const option = daxOptionOf(mount);
  if (option === undefined) return undefined;
  return option === 'dax' ? 'always' : (option.slice(4) as 'always' | 'never' | 'inode');
}
