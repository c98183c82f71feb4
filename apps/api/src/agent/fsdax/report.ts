/**
 * `filesystems` for the agent's reports: the DAX-capable mounts of the mount table that goes with the scanned sysfs
 * root (the live one for /sys, a recording's mounts.txt beside a recorded tree). Undefined when there is no such
 * table (a recorded tree without mounts.txt): the inventory then says nothing about filesystems.
 */
import type { DaxFilesystem } from '@daxfleet/shared';
import { mountinfoFileFor, readDaxFilesystems } from './filesystems.js';

export async function filesystemsForReport(sysfsRoot: string): Promise<DaxFilesystem[] | undefined> {
  const mountinfo = mountinfoFileFor(sysfsRoot);
  if (mountinfo === undefined) return undefined;
  return readDaxFilesystems({ mountinfo, sysfsRoot });
}
