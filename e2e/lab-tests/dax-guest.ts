/**
 * The DAX walk's line to its guest (lab/tests/dax-walk.sh, lab/tools/dax-guest.sh): what the guest set up (the ready
 * file in DAXFLEET_LAB_READY) and requests the spec sends it through the run dir that host and guest share. The
 * guest answers each from ndctl, xfs_io and statx: the spec's independent view of the host it drives through the UI.
 */
import { readFileSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DaxWalkSetup {
  host_id: string;
  /** ext4 -b 4096 mounted dax=inode on blockdev (fsdax namespace `namespace`, in fs_region) */
  mountpoint: string;
  namespace: string;
  blockdev: string;
  fs_region: string;
  /** a region with all its space free (the namespace transitions happen there) */
  free_region: string;
  /** the policy directory, its subdirectory and older file, the file the guest creates after the policy */
  dir: string;
  subdir: string;
  old_file: string;
  new_file: string;
  /** the directory of the pending step and the file the guest holds open */
  logs: string;
  held_file: string;
  /** the request and answer directories */
  requests: string;
  answers: string;
}

export function daxWalkSetup(): DaxWalkSetup {
  const ready = process.env.DAXFLEET_LAB_READY;
  if (ready === undefined || ready === '') throw new Error('DAXFLEET_LAB_READY is not set: run this walk through lab/test.sh (LAB_TESTS=dax-walk)');
  return JSON.parse(readFileSync(ready, 'utf8')) as DaxWalkSetup;
}

/** xfs_io's FS_XFLAG_DAX ('x') and statx's STATX_ATTR_DAX (files only) of a path, in the guest */
export type GuestAttrs = { flag: boolean; dax?: boolean; xfs_io: string } | { missing: true };

/** bytes by mode in the guest (dg_ndctl): each namespace's region space in the mode ndctl lists, free and total from ndctl */
export interface GuestCapacity { raw: number; sector: number; fsdax: number; devdax: number; 'system-ram': number; free: number; total: number }
export interface GuestNamespace {
  dev: string; mode: string;
  /** ndctl's size (usable) and the region space it takes (namespaceX.Y/size) */
  size: number; space: number;
  name?: string; sector_size?: number; devices: { chardev: string; mode: string }[];
}
export interface GuestNdctl {
  label: string;
  regions: { dev: string; size: number; available_size: number; namespaces: GuestNamespace[] }[];
  capacity: GuestCapacity;
  /** per region: the namespaces' space + ndctl's available_size = ndctl's size */
  consistent: boolean;
}

/** daxctl list -D's entry for a device (the memory fields in system-ram mode only) */
export interface GuestDaxDevice { chardev: string; mode: string; size: number; online_memblocks?: number; total_memblocks?: number; movable?: boolean }
/** dg daxctl: the device as daxctl lists it and the memory blocks its range covers, as /sys/devices/system/memory does */
export interface GuestDaxctl {
  label: string;
  device: GuestDaxDevice | null;
  /** state online/offline; zone: valid_zones of an online block (the zone it is in, e.g. Movable), null offline */
  blocks: { id: number; state: string; zone: string | null }[];
  block_size: number;
  /** /proc/meminfo MemTotal in bytes */
  mem_total: number;
}

let sequence = 0;

/** Sends one request and waits (up to 120 s: the guest polls every 0.2 s, but a loaded host slows TCG down a lot) for its answer. */
async function ask<T>(setup: DaxWalkSetup, action: string, fields: Record<string, unknown>): Promise<T> {
  sequence += 1;
  const name = `${String(sequence).padStart(3, '0')}-${action}`;
  const tmp = join(setup.requests, `.${name}.tmp`);
  await writeFile(tmp, JSON.stringify({ action, ...fields }));
  await rename(tmp, join(setup.requests, `${name}.json`));   // the guest picks up *.json only: it never reads half a request
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const answer = JSON.parse(await readFile(join(setup.answers, `${name}.json`), 'utf8')) as T & { error?: string };
      if (answer.error !== undefined) throw new Error(`the guest refused ${action}: ${answer.error}`);
      return answer;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' && !(error instanceof SyntaxError)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the guest did not answer ${action} ${JSON.stringify(fields)} within 120 s (is lab/tests/dax-walk.sh still serving?)`);
}

export const guest = {
  /** a new 4 KiB file, as a workload would write one; its attributes right after */
  createFile: (setup: DaxWalkSetup, path: string) => ask<Record<string, GuestAttrs>>(setup, 'create-file', { path }),
  /** `sleep 600 < path` in the guest: a process holding the file open */
  holdOpen: (setup: DaxWalkSetup, path: string) => ask<{ pid: number; command: string }>(setup, 'hold-open', { path }),
  attrs: (setup: DaxWalkSetup, paths: string[]) => ask<Record<string, GuestAttrs>>(setup, 'attrs', { paths }),
  /** ndctl list -R -N -X now; `label` names the moment for the guest's own checks (after-create, ...) */
  ndctl: (setup: DaxWalkSetup, label: string) => ask<GuestNdctl>(setup, 'ndctl', { label }),
  /** daxctl list -D and the memory blocks of `device` now; `label` names the moment (after-ram, ...) */
  daxctl: (setup: DaxWalkSetup, label: string, device: string) => ask<GuestDaxctl>(setup, 'daxctl', { label, device }),
};
