/**
 * Which files each bad range hits (issue 6), at the agent. A bad range of a raw or fsdax namespace has a block
 * device sector (BadRange.blockdev, blockdev_offset); when that device (/dev/pmemX) carries a mounted ext4, xfs or
 * ext2, mapDeviceRange of @daxfleet/dax-native asks the filesystem who owns the range's bytes (GETFSMAP, else a
 * FIEMAP walk of the mount) and the answer becomes one RangeFiles: the mount point, its fstype and dax option (as
 * /proc/self/mountinfo shows it), the method, and the hits (file pieces, metadata, free space).
 *
 * When: every report cycle hands the current ranges to RangeFileMapper.forReport. It maps again when the inputs
 * changed (a range came or went, a filesystem was mounted or unmounted over one, its dax option changed) and every
 * `remapMs` (5 min: files are written, moved and deleted without any notice to the agent; one GETFSMAP call per
 * range costs little). A cycle waits for a mapping at most `waitMs`; a longer one (a FIEMAP walk of a big
 * filesystem) finishes in the background and goes with a later report. The set goes with a report only when it
 * differs from the one the hub last acknowledged (mapped_at aside), as the host's complete set; nothing is
 * persisted: after a restart the first mapping is sent again (also when empty, which clears what the hub has).
 *
 * Where it cannot map, nothing is sent and the log says so once: a recorded sysfs tree (--sysfs-root other than
 * /sys: its mounts.txt lists mounts of the machine it was recorded on, not of this one), or a mount table that
 * cannot be read. A filesystem on a partition of the pmem device (pmem0p1) is not mapped: the range's sector is
 * counted from the start of the whole device.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { badRangeKey, type BadRange, type RangeFiles, type RangeHit } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import { daxOf, parseMountinfo, type MountEntry } from '../fsdax/mountinfo.js';

/** mapDeviceRange of @daxfleet/dax-native (src/files/): who owns `length` bytes at `deviceOffset` of the mounted device. */
export type MapDeviceRange = (request: { mountpoint: string; deviceOffset: number; length: number }) =>
  Promise<{ method: 'getfsmap' | 'fiemap'; hits: RangeHit[]; error?: string }>;

/** the filesystems whose files the agent maps (DAX-capable ones on a pmem block device) */
export const MAPPED_FSTYPES: ReadonlySet<string> = new Set(['ext4', 'xfs', 'ext2']);

export const REMAP_MS = 5 * 60_000;
export const MAP_WAIT_MS = 5_000;
const SECTOR = 512;

export { daxOf, parseMountinfo, type MountEntry } from '../fsdax/mountinfo.js';

/**
 * The mount of block device `blockdev` (pmem0) to map through: a mapped fstype whose source is /dev/<blockdev> or
 * whose st_dev is the device's major:minor (`devNumber`, from /sys/class/block/<blockdev>/dev). A mount of the
 * whole filesystem (root "/") is preferred over a bind mount of a subdirectory; then the first in the table.
 */
export function mountOf(blockdev: string, mounts: readonly MountEntry[], devNumber?: string): MountEntry | undefined {
  const candidates = mounts.filter((m) => MAPPED_FSTYPES.has(m.fstype) &&
    (m.source === `/dev/${blockdev}` || (devNumber !== undefined && m.device === devNumber)));
  return candidates.find((m) => m.root === '/') ?? candidates[0];
}

/** The ranges mapFiles works on: those with a block device sector under a mounted, mapped filesystem. */
export interface MapTarget {
  range: BadRange;
  blockdev: string;
  mount: MountEntry;
}

export function mapTargets(ranges: readonly BadRange[], mounts: readonly MountEntry[],
  devNumberOf: (blockdev: string) => string | undefined = () => undefined): MapTarget[] {
  const out: MapTarget[] = [];
  for (const range of ranges) {
    if (range.blockdev === undefined || range.blockdev_offset === undefined || range.blockdev_offset < 0) continue;
    const mount = mountOf(range.blockdev, mounts, devNumberOf(range.blockdev));
    if (mount) out.push({ range, blockdev: range.blockdev, mount });
  }
  return out;
}

/**
 * Maps every target (one mapDeviceRange call each, in turn: they share the filesystem's locks). A call that
 * fails outright gives a RangeFiles with no hits and the error; its method is the one tried first (getfsmap).
 */
export async function mapFiles(targets: readonly MapTarget[], map: MapDeviceRange, now: Date = new Date()): Promise<RangeFiles[]> {
  const out: RangeFiles[] = [];
  for (const { range, blockdev, mount } of targets) {
    const dax = daxOf(mount);
    const common = {
      region: range.region, region_offset: range.region_offset, length: range.length,
      blockdev, mountpoint: mount.mountpoint, fstype: mount.fstype, ...(dax !== undefined ? { dax } : {}),
    };
    try {
      const mapped = await map({
        mountpoint: mount.mountpoint, deviceOffset: (range.blockdev_offset as number) * SECTOR, length: range.length * SECTOR,
      });
      out.push({
        ...common, method: mapped.method, hits: mapped.hits, mapped_at: now.toISOString(),
        ...(mapped.error !== undefined ? { error: mapped.error } : {}),
      });
    } catch (err) {
      out.push({ ...common, method: 'getfsmap', hits: [], mapped_at: now.toISOString(), error: `mapping failed: ${(err as Error).message}` });
    }
  }
  return out;
}

/** The content of a set, mapped_at aside, keyed by range: what decides whether the hub needs it again. */
function contentOf(files: RangeFiles): string {
  const { mapped_at: _at, ...rest } = files;
  return JSON.stringify(rest, Object.keys(rest).sort());
}
function sameSet(a: readonly RangeFiles[], b: readonly RangeFiles[]): boolean {
  if (a.length !== b.length) return false;
  const index = new Map(a.map((f) => [badRangeKey(f), contentOf(f)]));
  return b.every((f) => index.get(badRangeKey(f)) === contentOf(f));
}

export interface RangeFileMapperOptions {
  /** the agent's sysfs root: only the live /sys has this machine's mounts */
  sysfsRoot: string;
  map: MapDeviceRange;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'debug'>;
  /** the mount table (default /proc/self/mountinfo) */
  mountinfoFile?: string;
  /** map again this often even when nothing the agent sees changed (default 5 min) */
  remapMs?: number;
  /** how long a report cycle waits for a mapping in progress (default 5 s) */
  waitMs?: number;
  now?: () => number;
}

export class RangeFileMapper {
  private readonly opts: RangeFileMapperOptions;
  private readonly live: boolean;
  /** the latest complete mapping, the inputs it was made for, and when */
  private current: RangeFiles[] | undefined;
  private currentInputs: string | undefined;
  private mappedAt = 0;
  /** invalidate() was called since the last mapping started: map again at the next report */
  private stale = false;
  private inFlight: Promise<void> | undefined;
  /** the set the hub last acknowledged (undefined: none since the start) */
  private acked: RangeFiles[] | undefined;
  /** log lines said once (until the condition goes away) */
  private said = new Set<string>();

  constructor(opts: RangeFileMapperOptions) {
    this.opts = opts;
    this.live = path.resolve(opts.sysfsRoot) === '/sys';
  }

  /**
   * Maps again at the next report whatever the timer says: the agent itself changed the files on a range (a recovery
   * punched a hole, truncated or replaced a file), which no mount or range change shows.
   */
  invalidate(): void {
    this.stale = true;
  }

  /**
   * The set to send with this report: the host's complete mapping when it differs from what the hub last
   * acknowledged; undefined when unchanged, not mapped yet, or not mappable here.
   */
  async forReport(ranges: readonly BadRange[]): Promise<RangeFiles[] | undefined> {
    if (!this.live) {
      this.once('recorded', 'info', `files under bad ranges are not mapped: ${this.opts.sysfsRoot} is a recorded sysfs ` +
        'tree, its filesystems are not mounted on this machine (reports carry no range_files)');
      return undefined;
    }
    const file = this.opts.mountinfoFile ?? '/proc/self/mountinfo';
    let mounts: MountEntry[];
    try {
      mounts = parseMountinfo(await readFile(file, 'utf8'));
      this.said.delete('mountinfo');
    } catch (err) {
      this.once('mountinfo', 'warn', `files under bad ranges are not mapped: cannot read the mount table ${file} ` +
        `(${(err as Error).message}); reports carry no range_files until it can be read`);
      return undefined;
    }
    const targets = mapTargets(ranges, mounts, (blockdev) => this.devNumberOf(blockdev));
    const inputs = JSON.stringify(targets.map((t) => [badRangeKey(t.range), t.blockdev, t.range.blockdev_offset,
      t.mount.mountId, t.mount.mountpoint, t.mount.fstype, daxOf(t.mount) ?? null]));
    const now = this.opts.now ?? Date.now;
    const due = this.stale || inputs !== this.currentInputs || now() - this.mappedAt >= (this.opts.remapMs ?? REMAP_MS);
    if (due && this.inFlight === undefined) {
      const startedAt = now();
      // an invalidate() during this mapping makes the next report map again
      this.stale = false;
      this.inFlight = mapFiles(targets, this.opts.map, new Date(startedAt)).then((mapped) => {
        this.current = this.keepMappedAt(mapped);
        this.currentInputs = inputs;
        this.mappedAt = startedAt;
        const hits = mapped.reduce((n, f) => n + f.hits.length, 0);
        this.opts.log.debug({ ranges: mapped.length, hits, ms: now() - startedAt }, 'mapped the files under bad ranges');
        for (const f of mapped) {
          if (f.error !== undefined) this.opts.log.warn({ range: badRangeKey(f), mountpoint: f.mountpoint }, `mapping ${badRangeKey(f)} under ${f.mountpoint}: ${f.error}`);
        }
      }, (err: unknown) => {
        this.opts.log.warn({ err }, `mapping the files under bad ranges failed: ${(err as Error).message}; trying again next cycle`);
      }).finally(() => {
        this.inFlight = undefined;
      });
    }
    if (this.inFlight !== undefined) await this.waitFor(this.inFlight);
    // only a mapping of the present inputs is sent (an older one would list ranges that are gone)
    if (this.current === undefined || this.currentInputs !== inputs) return undefined;
    if (this.acked !== undefined && sameSet(this.acked, this.current)) return undefined;
    return this.current;
  }

  /** The hub acknowledged a report carrying `set`. */
  acknowledge(set: readonly RangeFiles[]): void {
    this.acked = [...set];
  }

  /** a range mapped as before keeps the earlier mapped_at: the time its present content was first seen */
  private keepMappedAt(mapped: RangeFiles[]): RangeFiles[] {
    const before = new Map((this.current ?? []).map((f) => [badRangeKey(f), f]));
    return mapped.map((f) => {
      const old = before.get(badRangeKey(f));
      return old !== undefined && contentOf(old) === contentOf(f) ? { ...f, mapped_at: old.mapped_at } : f;
    });
  }

  private async waitFor(p: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([p, new Promise<void>((resolve) => { timer = setTimeout(resolve, this.opts.waitMs ?? MAP_WAIT_MS); })]);
    clearTimeout(timer);
  }

  /** major:minor of a block device, from sysfs (matches a mount whose source is a symlink such as /dev/disk/…) */
  private devNumberOf(blockdev: string): string | undefined {
    try {
      return readFileSync(path.join(this.opts.sysfsRoot, 'class/block', blockdev, 'dev'), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  private once(key: string, level: 'info' | 'warn', message: string): void {
    if (this.said.has(key)) return;
    this.said.add(key);
    this.opts.log[level](message);
  }
}
