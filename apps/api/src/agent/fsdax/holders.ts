/**
 * Which processes hold any of many inodes of one filesystem open or mapped, in one pass over /proc: a policy plan
 * may change the flag of thousands of files, and openersOf (recovery/openers.ts) reads every process's fds and
 * maps once per file. Same sources and rules as openersOf (fd links stat()ed; maps lines by major:minor and inode;
 * the agent's own pid skipped; a process or fd that vanished meanwhile passed over).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { majorOf, minorOf } from '../recovery/openers.js';
import type { Holder } from './entry.js';

const MAPS_LINE = /^\S+\s+\S+\s+\S+\s+([0-9a-f]+):([0-9a-f]+)\s+(\d+)/;

async function commOf(procRoot: string, pid: string): Promise<string> {
  try {
    return (await readFile(path.join(procRoot, pid, 'comm'), 'utf8')).trim();
  } catch {
    return '?';
  }
}

/** For each inode of `inodes` (on st_dev `dev`) that a process holds: its holders in pid order, each pid once. */
export async function holdersByInode(procRoot: string, dev: bigint, inodes: ReadonlySet<bigint>,
  selfPid: number = process.pid): Promise<Map<bigint, Holder[]>> {
  const out = new Map<bigint, Holder[]>();
  if (inodes.size === 0) return out;
  const major = majorOf(Number(dev));
  const minor = minorOf(Number(dev));
  const pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n) && Number(n) !== selfPid)
    .sort((a, b) => Number(a) - Number(b));
  for (const pid of pids) {
    const held = new Set<bigint>();
    try {
      const fdDir = path.join(procRoot, pid, 'fd');
      for (const fd of await readdir(fdDir)) {
        try {
          const st = await stat(path.join(fdDir, fd), { bigint: true });
          if (st.dev === dev && inodes.has(st.ino)) held.add(st.ino);
        } catch {
          // closed meanwhile, or not ours to read
        }
      }
    } catch {
      // the process is gone, or its fds are not readable
    }
    try {
      for (const line of (await readFile(path.join(procRoot, pid, 'maps'), 'utf8')).split('\n')) {
        const m = MAPS_LINE.exec(line);
        if (!m || parseInt(m[1] as string, 16) !== major || parseInt(m[2] as string, 16) !== minor) continue;
        const ino = BigInt(m[3] as string);
        if (inodes.has(ino)) held.add(ino);
      }
    } catch {
      // gone
    }
    if (held.size === 0) continue;
    const command = await commOf(procRoot, pid);
    for (const ino of held) {
      const list = out.get(ino) ?? [];
      list.push({ pid: Number(pid), command });
      out.set(ino, list);
    }
  }
  return out;
}
