/**
 * Which processes have a file or a device open or mapped (a recovery precondition: punching a hole under a
 * process that has the file mapped with DAX, or clearing a dax device a database has mapped, changes data under
 * it). Read from procfs as lsof and fuser do:
 * - /proc/<pid>/fd/*: stat() through each link gives the open file's st_dev + st_ino (a file) or st_rdev (a
 *   device node);
 * - /proc/<pid>/maps: each line's "major:minor inode" columns name the mapped file (an mmap outlives the fd that
 *   made it); a mapped device node shows the inode of /dev's filesystem, so for a device the line's path is
 *   stat()ed and its st_rdev compared.
 * The agent's own pid is skipped (it opens the file to plan and to check). Processes come and go while this
 * runs: a pid or fd that vanished (ENOENT, ESRCH) or cannot be read (EACCES, when not root) is passed over.
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';

export type OpenerTarget = { dev: number; ino: number } | { rdev: number };

export interface Opener {
  pid: number;
  /** the process's command name (/proc/<pid>/comm) */
  comm: string;
  /** fd: an open file descriptor; mmap: a mapping (with or without an fd) */
  how: 'fd' | 'mmap';
}

/** major and minor of a dev_t as glibc's gnu_dev_major/gnu_dev_minor split it (st_dev, st_rdev). */
export function majorOf(dev: number): number {
  const d = BigInt(dev);
  return Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
}
export function minorOf(dev: number): number {
  const d = BigInt(dev);
  return Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
}

/** a dev_t from major and minor, as glibc's gnu_dev_makedev builds it (what stat() returns in st_rdev) */
export function makeDev(major: number, minor: number): number {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return Number((mi & 0xffn) | ((ma & 0xfffn) << 8n) | ((mi & ~0xffn) << 12n) | ((ma & ~0xfffn) << 32n));
}

/** "major:minor" of a dev_t, in decimal as sysfs `dev` attributes and mountinfo write it. */
export function devNumberText(dev: number): string {
  return `${majorOf(dev)}:${minorOf(dev)}`;
}

/** Errors that mean "this process or fd is gone, or not ours to read": skip it. */
const GONE = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'ELOOP', 'ENXIO', 'ENODEV']);
function gone(err: unknown): boolean {
  return GONE.has((err as NodeJS.ErrnoException).code ?? '');
}

function matches(target: OpenerTarget, st: { dev: bigint; ino: bigint; rdev: bigint; isCharacterDevice(): boolean; isBlockDevice(): boolean }): boolean {
  if ('rdev' in target) return (st.isCharacterDevice() || st.isBlockDevice()) && st.rdev === BigInt(target.rdev);
  return st.dev === BigInt(target.dev) && st.ino === BigInt(target.ino);
}

async function holdsByFd(procRoot: string, pid: string, target: OpenerTarget): Promise<boolean> {
  const dir = path.join(procRoot, pid, 'fd');
  let fds: string[];
  try {
    fds = await readdir(dir);
  } catch (err) {
    if (gone(err)) return false;
    throw err;
  }
  for (const fd of fds) {
    try {
      if (matches(target, await stat(path.join(dir, fd), { bigint: true }))) return true;
    } catch (err) {
      // sockets, pipes and anon inodes stat fine; a closed fd or a dead process does not
      if (!gone(err)) throw err;
    }
  }
  return false;
}

/** `start-end perms offset major:minor inode path` (proc(5)); major and minor are hex */
const MAPS_LINE = /^\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+)\s*(.*)$/;

async function holdsByMap(procRoot: string, pid: string, target: OpenerTarget, rdevOfPath: (p: string) => Promise<bigint | undefined>): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path.join(procRoot, pid, 'maps'), 'utf8');
  } catch (err) {
    if (gone(err)) return false;
    throw err;
  }
  const wantMajor = 'rdev' in target ? 0 : majorOf(target.dev);
  const wantMinor = 'rdev' in target ? 0 : minorOf(target.dev);
  const wantIno = 'rdev' in target ? '' : String(target.ino);
  for (const line of text.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m) continue;
    const [, major, minor, inode, file] = m as unknown as [string, string, string, string, string];
    if (inode === '0') continue; // anonymous memory, heap, stack
    if ('rdev' in target) {
      // a device node: only the path tells which device (the columns are /dev's filesystem)
      if (file.startsWith('/') && (await rdevOfPath(file.replace(/ \(deleted\)$/, ''))) === BigInt(target.rdev)) return true;
    } else if (inode === wantIno && parseInt(major, 16) === wantMajor && parseInt(minor, 16) === wantMinor) {
      return true;
    }
  }
  return false;
}

async function commOf(procRoot: string, pid: string): Promise<string> {
  try {
    return (await readFile(path.join(procRoot, pid, 'comm'), 'utf8')).trim();
  } catch {
    return '?';
  }
}

/**
 * The processes that have `target` open (by fd) or mapped, in pid order; a process that has it both ways is
 * listed once per way. `selfPid` (default this process) is skipped.
 */
export async function openersOf(procRoot: string, target: OpenerTarget, selfPid: number = process.pid): Promise<Opener[]> {
  const names = await readdir(procRoot);
  const pids = names.filter((n) => /^\d+$/.test(n) && Number(n) !== selfPid).sort((a, b) => Number(a) - Number(b));
  // Paths seen in maps, stat()ed once per call (shared libraries appear in every process).
  const rdevCache = new Map<string, Promise<bigint | undefined>>();
  const rdevOfPath = (p: string): Promise<bigint | undefined> => {
    let cached = rdevCache.get(p);
    if (cached === undefined) {
      cached = stat(p, { bigint: true }).then(
        (st) => (st.isCharacterDevice() || st.isBlockDevice() ? st.rdev : undefined),
        () => undefined,
      );
      rdevCache.set(p, cached);
    }
    return cached;
  };
  const out: Opener[] = [];
  for (const pid of pids) {
    const [byFd, byMap] = await Promise.all([
      holdsByFd(procRoot, pid, target),
      holdsByMap(procRoot, pid, target, rdevOfPath),
    ]);
    if (!byFd && !byMap) continue;
    const comm = await commOf(procRoot, pid);
    if (byFd) out.push({ pid: Number(pid), comm, how: 'fd' });
    if (byMap) out.push({ pid: Number(pid), comm, how: 'mmap' });
  }
  return out;
}

/** "pid 123 (sleep, open fd), pid 456 (python3, mapped)": for a refusal sentence */
export function describeOpeners(openers: readonly Opener[]): string {
  const byPid = new Map<number, { comm: string; hows: string[] }>();
  for (const o of openers) {
    const entry = byPid.get(o.pid) ?? { comm: o.comm, hows: [] };
    entry.hows.push(o.how === 'fd' ? 'open fd' : 'mapped');
    byPid.set(o.pid, entry);
  }
  return [...byPid].map(([pid, { comm, hows }]) => `pid ${pid} (${comm}, ${hows.join(' and ')})`).join(', ');
}
