/**
 * Low-level sysfs reads, shaped like libndctl's sysfs_read_attr(): one read of a small attribute with
 * the trailing newline stripped. Synchronous on purpose: a scan reads a few hundred tiny attributes,
 * and one shared buffer with open/read/close is several times cheaper than a promise per attribute.
 */
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync } from 'node:fs';
import type { ScanWarning } from '@daxfleet/shared';

/** A kernel object's directory: where it is, and the name warnings give it. */
export interface DeviceDir {
  /** absolute path to read from (below the scan root) */
  readonly path: string;
  /** path relative to the scan root used in warnings, e.g. "bus/nd/devices/region0" */
  readonly label: string;
}

export type Warnings = ScanWarning[];

// sysfs attributes are at most a page; recorded fixtures hold exactly what the kernel returned.
const shared = Buffer.allocUnsafe(64 * 1024);

function errCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

function errMessage(err: unknown): string {
  const code = errCode(err);
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EIO') return 'I/O error';
  if (code === 'EISDIR') return 'is a directory, expected an attribute';
  return err instanceof Error ? err.message : String(err);
}

/** The whole file at `path`; throws Node's fs error (code ENOENT, EACCES, ...). */
export function readFileText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let length = readSync(fd, shared, 0, shared.length, null);
    if (length === shared.length) {
      // Larger than any sysfs attribute: keep reading rather than truncate silently.
      const parts = [Buffer.from(shared)];
      for (;;) {
        const n = readSync(fd, shared, 0, shared.length, null);
        if (n === 0) break;
        parts.push(Buffer.from(shared.subarray(0, n)));
        length += n;
      }
      return Buffer.concat(parts).toString('utf8');
    }
    return shared.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function stripNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/**
 * An attribute's value without its trailing newline; undefined when the attribute does not exist.
 * Any other failure (permission, I/O error) becomes a warning and undefined.
 */
export function readAttr(dir: DeviceDir, name: string, warnings: Warnings): string | undefined {
  try {
    return stripNewline(readFileText(`${dir.path}/${name}`));
  } catch (err) {
    // ENXIO: the kernel has no value in the device's current state (resource of an unallocated
    // seed namespace, size of an idle pfn): absent, as libndctl takes it
    const code = errCode(err);
    if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ENXIO') {
      warnings.push({ path: `${dir.label}/${name}`, message: `unreadable: ${errMessage(err)}` });
    }
    return undefined;
  }
}

/** Like readAttr, but a missing attribute is a warning too (libndctl would reject the object). */
export function readRequiredAttr(dir: DeviceDir, name: string, warnings: Warnings): string | undefined {
  try {
    return stripNewline(readFileText(`${dir.path}/${name}`));
  } catch (err) {
    const code = errCode(err);
    const message = code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : `unreadable: ${errMessage(err)}`;
    warnings.push({ path: `${dir.label}/${name}`, message });
    return undefined;
  }
}

/** Names in a directory (unsorted); [] when it does not exist. */
export function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/** Whether `dir/name` is a symlink, as libndctl's is_enabled() tests `driver`. */
export function isSymlink(dir: DeviceDir, name: string): boolean {
  try {
    return lstatSync(`${dir.path}/${name}`).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The last path component of a symlink's target (e.g. the driver's name), or undefined. */
export function linkBasename(dir: DeviceDir, name: string): string | undefined {
  try {
    const target = readlinkSync(`${dir.path}/${name}`);
    return target.slice(target.lastIndexOf('/') + 1);
  } catch {
    return undefined;
  }
}

/** A symlink's raw target, or undefined. */
export function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

export function child(dir: DeviceDir, name: string): DeviceDir {
  return { path: `${dir.path}/${name}`, label: `${dir.label}/${name}` };
}
