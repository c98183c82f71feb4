/**
 * The agent's dry run of a recovery action (issue 6): what exactly would be done to recover a bad range, what data
 * that destroys, and whether every precondition holds now. Nothing on the host is changed to find out: it reads a
 * fresh inventory scan (the bad-block lists), /proc/self/mountinfo, stat() of the paths, the processes that hold
 * the file or device (openers.ts), the filesystem's map of the range (mapDeviceRange), and bus attributes.
 *
 * The plan is deterministic: planning twice on an unchanged host gives the same action, request, target, steps
 * and data_loss, and so the same digest. EXECUTOR plans again at execution and runs only when the digests match,
 * so anything that changes what would be done (the file's size or extents, the range, the mount) must show in
 * those fields; things that only decide whether it may run now (who has the file open) live in the checks,
 * which are not digested.
 *
 * The steps and checks per action are the team's recovery protocol (punch-hole, truncate, delete-restore,
 * clear-errors on raw/fsdax/devdax, scrub-recheck); op names and check ids are stable.
 */
import { createHash } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, lstat, readdir, readFile, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { mapDeviceRange } from '@daxfleet/dax-native';
import {
  badRangesOf,
  type BadRange,
  type Bus,
  type Inventory,
  type Namespace,
  type RangeHit,
  type RecoveryAgentPlan,
  type RecoveryCheck,
  type RecoveryDataLoss,
  type RecoveryRequest,
  type RecoveryStep,
  type RecoveryTarget,
  type Region,
} from '@daxfleet/shared';
import { daxOf, mountOf, parseMountinfo, type MountEntry } from '../media/files.js';
import { parseScrubText, scrubAttributePath } from '../scrub.js';
import { describeOpeners, devNumberText, makeDev, openersOf, type Opener, type OpenerTarget } from './openers.js';

export interface RecoveryHost {
  /** '/sys' on a live host */
  sysfsRoot: string;
  /** '/proc' (mountinfo: `${procRoot}/self/mountinfo`, openers: `${procRoot}/<pid>/fd|maps`) */
  procRoot: string;
  /** the agent's scanInventory({ sysfsRoot, health }) */
  scan: () => Promise<Inventory>;
  /** @daxfleet/dax-native */
  map: typeof mapDeviceRange;
  /** @daxfleet/dax-native: open O_EXCL → EBUSY means a mount, a holder (LVM, swap, md) or another exclusive opener */
  deviceInUse: (path: string) => Promise<boolean>;
  now?: () => Date;
  /** the pid openersOf skips (default this process) */
  selfPid?: number;
}

const SECTOR = 512;
/** filesystems with FALLOC_FL_PUNCH_HOLE (ext2 has none) */
const PUNCH_FSTYPES: ReadonlySet<string> = new Set(['ext4', 'xfs']);

/** sha256 hex of the canonical JSON (keys sorted at every level, undefined members left out) of what is digested. */
export function planDigest(p: Pick<RecoveryAgentPlan, 'action' | 'request' | 'target' | 'steps' | 'data_loss'>): string {
  const { action, request, target, steps, data_loss } = p;
  return createHash('sha256').update(canonicalJson({ action, request, target, steps, data_loss })).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The checks of one plan, in the order they were made. */
class Checks {
  readonly list: RecoveryCheck[] = [];
  add(id: string, ok: boolean, detail: string): boolean {
    this.list.push({ id, ok, detail });
    return ok;
  }
  get allOk(): boolean {
    return this.list.every((c) => c.ok);
  }
}

/** What a plan is built from, gathered as the checks go. */
interface Draft {
  target: RecoveryTarget;
  steps: RecoveryStep[];
  data_loss: RecoveryDataLoss[];
}

/** The requested range on this host: its bus and region, its coordinates, and the listed ranges it overlaps. */
interface Located {
  bus: Bus;
  region: Region;
  /** the requested range's coordinates (namespace, blockdev sector, chardev offset, spa) */
  range: BadRange;
  namespace: Namespace | undefined;
  /** sectors of the requested range that are listed bad now */
  listedSectors: number;
  /** the lists they come from: region (regionN/badblocks) and/or blockdev (/sys/block/pmemX/badblocks) */
  sources: Set<BadRange['source']>;
}

function sectorsText(first: number, count: number): string {
  return count === 1 ? `sector ${first}` : `sectors ${first}–${first + count - 1}`;
}

function rangeText(r: RecoveryRequest['range']): string {
  return `${r.region} ${sectorsText(r.region_offset, r.length)} (${r.length} × 512 B)`;
}

/**
 * The requested range as it stands in `inventory`. Its coordinates come from the listed range with the same
 * identity when there is one (it may be listed only by a block device), else from badRangesOf over a copy of the
 * region whose list holds just the requested range: the same arithmetic, for a range that is partly or no longer
 * listed.
 */
function locate(inventory: Inventory, ref: RecoveryRequest['range']): Located | undefined {
  for (const bus of inventory.buses) {
    const region = bus.regions.find((r) => r.dev === ref.region);
    if (region === undefined) continue;
    const listed = badRangesOf({ ...inventory, buses: [{ ...bus, regions: [region] }] });
    const end = ref.region_offset + ref.length;
    const overlapping = listed.filter((r) => r.region_offset < end && r.region_offset + r.length > ref.region_offset);
    let covered = 0;
    let cursor = ref.region_offset;
    for (const r of [...overlapping].sort((a, b) => a.region_offset - b.region_offset)) {
      const s = Math.max(cursor, r.region_offset);
      const e = Math.min(end, r.region_offset + r.length);
      if (e > s) covered += e - s;
      cursor = Math.max(cursor, e);
    }
    let range = listed.find((r) => r.region_offset === ref.region_offset && r.length === ref.length);
    if (range === undefined) {
      const alone: Region = {
        ...region,
        badblocks: [{ offset: ref.region_offset, length: ref.length }],
        namespaces: region.namespaces.map((ns) => ({ ...ns, blockdev_badblocks: [] })),
      };
      range = badRangesOf({ ...inventory, buses: [{ ...bus, regions: [alone] }] })[0];
    }
    if (range === undefined) return undefined;
    const namespace = region.namespaces.find((ns) => ns.dev === range.namespace);
    return { bus, region, range, namespace, listedSectors: covered, sources: new Set(overlapping.map((r) => r.source)) };
  }
  return undefined;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** major:minor of a block device from sysfs (class/block/<dev>/dev) */
function blockDevNumber(host: Pick<RecoveryHost, 'sysfsRoot'>, blockdev: string): Promise<string | undefined> {
  return readText(path.join(host.sysfsRoot, 'class/block', blockdev, 'dev'));
}

/** major:minor of a dax device from sysfs (bus/dax/devices/<dev>/dev, else class/dax/<dev>/dev) */
async function daxDevNumber(host: RecoveryHost, chardev: string): Promise<string | undefined> {
  return (await readText(path.join(host.sysfsRoot, 'bus/dax/devices', chardev, 'dev'))) ??
    readText(path.join(host.sysfsRoot, 'class/dax', chardev, 'dev'));
}

async function readMounts(host: RecoveryHost): Promise<{ mounts: MountEntry[] } | { error: string }> {
  const file = path.join(host.procRoot, 'self/mountinfo');
  try {
    return { mounts: parseMountinfo(await readFile(file, 'utf8')) };
  } catch (err) {
    return { error: `cannot read the mount table ${file} (${(err as Error).message})` };
  }
}

function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined ? `${e.code}: ${e.message}` : String((err as Error).message ?? err);
}

/** "namespace2.0 (raw, pmem2)" */
function nsText(loc: Located): string {
  const r = loc.range;
  if (r.namespace === undefined) return `free space of ${loc.region.dev} (no namespace)`;
  const dev = r.blockdev ?? r.chardev ?? loc.namespace?.blockdev ?? loc.namespace?.chardev;
  return `${r.namespace} (${r.namespace_mode ?? 'unknown'}${dev !== undefined ? `, ${dev}` : ''})`;
}

function rereadStep(n: number, host: RecoveryHost, loc: Located, device: string | undefined): RecoveryStep {
  const lists = [path.join(host.sysfsRoot, 'bus/nd/devices', loc.region.dev, 'badblocks')];
  if (device !== undefined) lists.push(path.join(host.sysfsRoot, 'block', device, 'badblocks'));
  return {
    n, op: 'reread-badblocks',
    description: `scan again and read ${lists.join(' and ')}: the sectors of ${rangeText(loc.range)} still listed are reported`,
  };
}

export async function planRecovery(host: RecoveryHost, request: RecoveryRequest): Promise<RecoveryAgentPlan> {
  const checks = new Checks();
  const draft: Draft = { target: {}, steps: [], data_loss: [] };
  const inventory = await host.scan();
  const loc = locate(inventory, request.range);

  if (loc === undefined) {
    checks.add('range-still-bad', false, `this host has no ${request.range.region} (regions: ${inventory.buses.flatMap((b) => b.regions.map((r) => r.dev)).join(', ') || 'none'}): ` +
      'nothing to recover here; check the host and the range, and plan again');
  } else if (!checks.add('range-still-bad', loc.listedSectors > 0, rangeStillBadDetail(loc, request))) {
    // nothing is listed any more: no steps to show
  } else {
    switch (request.action) {
      case 'punch-hole':
      case 'truncate':
      case 'delete-restore':
        await planFileAction(host, request, loc, checks, draft);
        break;
      case 'clear-errors':
        await planClearErrors(host, request, loc, checks, draft);
        break;
      case 'scrub-recheck':
        await planScrubRecheck(host, loc, checks, draft);
        break;
    }
  }

  const failed = checks.list.find((c) => !c.ok);
  const body = { action: request.action, request, target: draft.target, steps: draft.steps, data_loss: draft.data_loss };
  return {
    ...body,
    checks: checks.list,
    executable: failed === undefined,
    ...(failed !== undefined ? { refusal: failed.detail } : {}),
    digest: planDigest(body),
    planned_at: (host.now?.() ?? new Date()).toISOString(),
  };
}

function rangeStillBadDetail(loc: Located, request: RecoveryRequest): string {
  const lists = [...loc.sources].map((s) => (s === 'region' ? `${loc.region.dev}/badblocks` : `/sys/block/${loc.range.blockdev ?? 'pmem?'}/badblocks`));
  if (loc.listedSectors === 0) {
    return `${rangeText(request.range)} is no longer listed bad (${loc.region.dev}/badblocks, the block device's badblocks): ` +
      'nothing to recover; the ledger follows with the next scan';
  }
  return `${loc.listedSectors} of the ${request.range.length} sectors of ${rangeText(request.range)} are listed bad now (${lists.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// punch-hole, truncate, delete-restore

interface FileFacts {
  path: string;
  mount: MountEntry;
  blockdev: string;
  sector: number;
  sectors: number;
  dev: bigint;
  ino: number;
  size: number;
  /** st_blksize (the fallback for the filesystem block size) */
  blksize: number;
  /** this inode's hits of the range */
  hits: RangeHit[];
  /** every hit of the range (the backup check looks for the backup's inode in them) */
  allHits: RangeHit[];
}

async function planFileAction(host: RecoveryHost, request: RecoveryRequest, loc: Located, checks: Checks, draft: Draft): Promise<void> {
  const r = loc.range;
  const mode = r.namespace_mode;
  if (mode !== 'fsdax' && mode !== 'raw') {
    checks.add('namespace-mode', false, fileModeRefusal(loc));
    return;
  }
  if (r.blockdev === undefined || r.blockdev_offset === undefined || r.blockdev_offset < 0) {
    checks.add('namespace-mode', false, `${rangeText(r)} lies in ${nsText(loc)} outside its block device's sectors ` +
      '(the info block or memmap reservation of an fsdax namespace): no file holds it; nothing a file action can do');
    return;
  }
  checks.add('namespace-mode', true, `${nsText(loc)}: ${r.blockdev} ${sectorsText(r.blockdev_offset, r.length)} are filesystem blocks`);
  const blockdev = r.blockdev;
  const sector = r.blockdev_offset;
  const sectors = request.range.length;

  const base: RecoveryTarget = {
    namespace: r.namespace, mode, blockdev, sector, sectors, ...(r.spa !== undefined ? { spa: r.spa } : {}),
  };
  draft.target = base;

  if (request.path === undefined) {
    checks.add('file-on-namespace', false, `${request.action} needs the file: give path, one of the files the range hits (see the range's files)`);
    return;
  }
  const file = path.resolve(request.path);
  const mounts = await readMounts(host);
  if ('error' in mounts) {
    checks.add('file-on-namespace', false, `${mounts.error}: cannot tell which filesystem is on ${blockdev}`);
    return;
  }
  const devNumber = await blockDevNumber(host, blockdev);
  const mount = mountOf(blockdev, mounts.mounts, devNumber);
  if (mount === undefined) {
    checks.add('file-on-namespace', false, `/dev/${blockdev} carries no mounted ext4, xfs or ext2 filesystem: mount it, ` +
      'or use clear-errors on the unmounted device');
    return;
  }
  const dax = daxOf(mount);
  draft.target = { ...base, mountpoint: mount.mountpoint, fstype: mount.fstype, ...(dax !== undefined ? { dax } : {}), path: file };

  let st;
  try {
    st = await lstat(file, { bigint: true });
  } catch (err) {
    checks.add('file-on-namespace', false, `cannot stat ${file} (${errText(err)}): give the path of a file the range hits`);
    return;
  }
  const fileDev = devNumberText(Number(st.dev));
  const wantDev = devNumber ?? mount.device;
  if (!checks.add('file-on-namespace', fileDev === wantDev,
    fileDev === wantDev
      ? `${file} is on /dev/${blockdev} (${wantDev}), mounted at ${mount.mountpoint} (${mount.fstype})`
      : `${file} is on device ${fileDev}, not on /dev/${blockdev} (${wantDev}, mounted at ${mount.mountpoint}): give a file of that filesystem`)) {
    return;
  }
  if (!checks.add('file-regular', st.isFile(), st.isFile()
    ? `${file} is a regular file (inode ${st.ino}, ${st.size} bytes)`
    : `${file} is not a regular file (${st.isSymbolicLink() ? 'a symbolic link: give the file it points to' : st.isDirectory() ? 'a directory' : 'a special file'})`)) {
    return;
  }
  const ino = Number(st.ino);
  const size = Number(st.size);
  draft.target = { ...draft.target, inode: ino, file_size: size };

  const rw = mount.options.includes('rw') && !mount.superOptions.includes('ro');
  checks.add('mounted-rw', rw, rw
    ? `${mount.mountpoint} is mounted read-write`
    : `${mount.mountpoint} is mounted read-only: remount it read-write (mount -o remount,rw ${mount.mountpoint}) and plan again`);
  if (request.action === 'punch-hole') {
    // ext2/ext3 mounted by the ext4 driver (CONFIG_EXT4_USE_FOR_EXT2, Debian's default) punch like ext4; the ext4
    // driver lists every filesystem it mounted under /sys/fs/ext4/<device>
    const byExt4 = (mount.fstype === 'ext2' || mount.fstype === 'ext3') && existsSync(path.join(host.sysfsRoot, 'fs/ext4', blockdev));
    const punch = PUNCH_FSTYPES.has(mount.fstype) || byExt4;
    checks.add('fs-supports-punch', punch, punch
      ? `${mount.fstype} punches holes (fallocate FALLOC_FL_PUNCH_HOLE${byExt4 ? ', through the ext4 driver that mounted it' : ''})`
      : `${mount.fstype} cannot punch holes (fallocate FALLOC_FL_PUNCH_HOLE is not supported): use truncate, or delete-restore from a backup`);
  }

  let mapped;
  try {
    mapped = await host.map({ mountpoint: mount.mountpoint, deviceOffset: sector * SECTOR, length: sectors * SECTOR });
  } catch (err) {
    checks.add('file-covers-range', false, `mapping ${blockdev} ${sectorsText(sector, sectors)} under ${mount.mountpoint} failed (${errText(err)})`);
    return;
  }
  const hits = mapped.hits.filter((h) => h.kind === 'file' && h.inode === ino && h.file_offset !== undefined);
  const facts: FileFacts = {
    path: file, mount, blockdev, sector, sectors, dev: st.dev, ino, size, blksize: Number(st.blksize), hits, allHits: mapped.hits,
  };
  const partial = mapped.error !== undefined ? ` (the mapping is partial: ${mapped.error})` : '';
  if (hits.length === 0) {
    const owners = mapped.hits.map(hitText).join('; ');
    checks.add('file-covers-range', false, `${rangeText(r)} does not hit ${file} (inode ${ino}); it holds ${owners || 'nothing known'}${partial}: ` +
      'choose the file the range hits');
    return;
  }

  switch (request.action) {
    case 'punch-hole':
      await planPunchHole(host, loc, facts, checks, draft, partial);
      break;
    case 'truncate':
      await planTruncate(host, request, loc, facts, checks, draft, partial);
      break;
    default:
      await planDeleteRestore(host, request, loc, facts, checks, draft, partial);
  }
}

function fileModeRefusal(loc: Located): string {
  switch (loc.range.namespace_mode) {
    case 'sector':
      return `${rangeText(loc.range)} lies in ${nsText(loc)}: BTT remaps sectors, so no file offset can be named for it; ` +
        'rewrite the data through the filesystem instead';
    case 'devdax':
      return `${rangeText(loc.range)} lies in ${nsText(loc)}: a device-DAX namespace has no filesystem; use clear-errors`;
    case undefined:
      return `${rangeText(loc.range)} lies in ${nsText(loc)}: it holds no file; nothing to recover with a file action`;
    default:
      return `${rangeText(loc.range)} lies in ${nsText(loc)}, a namespace in mode ${loc.range.namespace_mode}: file actions need fsdax or raw`;
  }
}

function hitText(h: RangeHit): string {
  switch (h.kind) {
    case 'file':
      return `${h.path ?? `inode ${h.inode}`} at file offset ${h.file_offset}`;
    case 'metadata':
      return `filesystem metadata (${h.metadata ?? 'unknown'})`;
    case 'free':
      return 'free space';
    default:
      return 'bytes no owner was found for';
  }
}

async function notOpen(host: RecoveryHost, what: string, target: OpenerTarget, checks: Checks): Promise<void> {
  let openers: Opener[];
  try {
    openers = await openersOf(host.procRoot, target, host.selfPid);
  } catch (err) {
    checks.add('not-open', false, `cannot list the processes that hold ${what} (${errText(err)})`);
    return;
  }
  checks.add('not-open', openers.length === 0, openers.length === 0
    ? `no process has ${what} open or mapped`
    : `${what} is open or mapped by ${describeOpeners(openers)}: stop ${openers.length > 1 ? 'them' : 'it'} (or have ${openers.length > 1 ? 'them' : 'it'} close the file) and plan again`);
}

/**
 * One not-open check over block devices `devs` (pmemX and its partitions): a process that has any of them open or
 * mapped fails it, and so does a device whose number sysfs does not give.
 */
export async function devicesNotOpen(host: Pick<RecoveryHost, 'sysfsRoot' | 'procRoot' | 'selfPid'>, devs: readonly string[],
  checks: { add(id: string, ok: boolean, detail: string): boolean }): Promise<void> {
  const held: string[] = [];
  for (const dev of devs) {
    const number = await blockDevNumber(host, dev);
    const m = number !== undefined ? /^(\d+):(\d+)$/.exec(number) : null;
    if (m === null) {
      checks.add('not-open', false, `cannot read ${dev}'s device number from sysfs (class/block/${dev}/dev)`);
      return;
    }
    let openers: Opener[];
    try {
      openers = await openersOf(host.procRoot, { rdev: makeDev(Number(m[1]), Number(m[2])) }, host.selfPid);
    } catch (err) {
      checks.add('not-open', false, `cannot list the processes that hold /dev/${dev} (${errText(err)})`);
      return;
    }
    if (openers.length > 0) held.push(`/dev/${dev} is open or mapped by ${describeOpeners(openers)}`);
  }
  const names = devs.map((d) => `/dev/${d}`).join(', ');
  checks.add('not-open', held.length === 0, held.length === 0
    ? `no process has ${names} open or mapped`
    : `${held.join('; ')}: stop ${held.length > 1 ? 'them' : 'it'} (or have it close the device) and plan again`);
}

/**
 * The file byte ranges to punch for the bad range: written hits inside the file, widened outward to whole `unit`s
 * (the filesystem block size), merged. The end is clipped to the file's last block (the size rounded up to
 * `unit`), not to the size itself: a punch that ends inside a block makes the filesystem zero that block in place
 * instead of freeing it (ext4 frees the tail block only when the punch reaches past i_size), which fails EIO where
 * the platform cannot clear the poison, and the bad block stays with the file.
 */
export function fileRangesOf(hits: readonly RangeHit[], size: number, unit: number): Array<{ offset: number; length: number }> {
  const lastBlockEnd = Math.ceil(size / unit) * unit;
  const pieces: Array<[number, number]> = [];
  for (const h of hits) {
    if (h.unwritten === true || h.file_offset === undefined || h.file_offset >= size) continue;
    const start = Math.floor(h.file_offset / unit) * unit;
    const end = Math.min(Math.ceil((h.file_offset + h.length) / unit) * unit, lastBlockEnd);
    if (end > start) pieces.push([start, end]);
  }
  pieces.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const merged: Array<[number, number]> = [];
  for (const [s, e] of pieces) {
    const last = merged[merged.length - 1];
    if (last !== undefined && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged.map(([s, e]) => ({ offset: s, length: e - s }));
}

function bytesText(offset: number, length: number): string {
  return `bytes ${offset}–${offset + length - 1}`;
}

function remapStep(n: number, f: FileFacts, whose: string): RecoveryStep {
  return {
    n, op: 'remap-range',
    description: `mapDeviceRange(${f.mount.mountpoint}, ${f.blockdev} bytes ${f.sector * SECTOR}+${f.sectors * SECTOR}) again: ` +
      `the range must no longer hit ${whose}`,
  };
}

/**
 * The filesystem's block size, the unit a punch frees whole: statfs f_bsize of the file's filesystem (ext4, xfs:
 * the block size), else the file's st_blksize, else 512 when neither is a power of two of at least 512.
 */
async function fsBlockSize(file: string, stBlksize: number): Promise<number> {
  const usable = (n: number): boolean => Number.isSafeInteger(n) && n >= SECTOR && (n & (n - 1)) === 0;
  try {
    const bsize = Number((await statfs(file)).bsize);
    if (usable(bsize)) return bsize;
  } catch {
    // fall back to st_blksize
  }
  return usable(stBlksize) ? stBlksize : SECTOR;
}

/** The bytes of [offset, offset + length) that hold data: those inside the file's size. */
function dataLossRanges(ranges: ReadonlyArray<{ offset: number; length: number }>, size: number): Array<{ offset: number; length: number }> {
  return ranges
    .map((x) => ({ offset: x.offset, length: Math.min(x.offset + x.length, size) - x.offset }))
    .filter((x) => x.length > 0);
}

async function planPunchHole(host: RecoveryHost, loc: Located, f: FileFacts, checks: Checks, draft: Draft, partial: string): Promise<void> {
  // the bad bytes themselves, at sector grain, for the check's words; the punch covers whole filesystem blocks
  const bad = fileRangesOf(f.hits, f.size, SECTOR).map((x) => ({ ...x, length: Math.min(x.offset + x.length, f.size) - x.offset }));
  const block = await fsBlockSize(f.path, f.blksize);
  const ranges = fileRangesOf(f.hits, f.size, block);
  if (!checks.add('file-covers-range', ranges.length > 0, ranges.length > 0
    ? `${rangeText(loc.range)} holds ${bad.map((x) => bytesText(x.offset, x.length)).join(', ')} of ${f.path}${partial}`
    : `${rangeText(loc.range)} hits ${f.path} only in preallocated (unwritten) extents or past its end: reads never touch ` +
      `the bad sectors and there is nothing to punch; use truncate or delete-restore to free those blocks${partial}`)) {
    return;
  }
  await notOpen(host, f.path, { dev: Number(f.dev), ino: f.ino }, checks);
  draft.target = { ...draft.target, file_ranges: ranges };
  draft.data_loss = dataLossRanges(ranges, f.size).map((x) => ({
    kind: 'file-bytes', path: f.path, inode: f.ino, offset: x.offset, length: x.length,
    detail: `${bytesText(x.offset, x.length)} of ${f.path} read as zeros afterwards (whole ${block}-byte filesystem blocks)`,
  }));
  const list = ranges.map((x) => `${x.offset}+${x.length}`).join(', ');
  draft.steps = [
    { n: 1, op: 'punch-hole', description: `fallocate(FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE) on ${f.path} over bytes ${list}: the blocks are freed, ` +
      `the size stays ${f.size}. The range covers whole ${block}-byte filesystem blocks: a punch that covers part of a block makes ` +
      'the filesystem zero that block in place, which fails with EIO where the platform cannot clear the poison, and the bad block stays with the file' },
    { n: 2, op: 'fsync', description: `fsync(${f.path})` },
    rereadStep(3, host, loc, f.blockdev),
    remapStep(4, f, `inode ${f.ino} (${f.path})`),
    { n: 5, op: 'read-file', description: `read ${f.path} from start to end (${f.size} bytes): bytes ${list} must read as zeros, the rest without an I/O error` },
  ];
}

async function planTruncate(host: RecoveryHost, request: RecoveryRequest, loc: Located, f: FileFacts, checks: Checks, draft: Draft, partial: string): Promise<void> {
  const firstBad = Math.min(...f.hits.map((h) => h.file_offset as number));
  // a size inside the bad block would leave that block with the file, its tail zeroed in place through DAX, which
  // touches the poison: the limit is the start of the filesystem block holding the first bad byte
  const block = await fsBlockSize(f.path, f.blksize);
  const limit = Math.floor(firstBad / block) * block;
  checks.add('file-covers-range', true, `${rangeText(loc.range)} hits ${f.path} from file offset ${firstBad}${partial}`);
  const newSize = request.size ?? limit;
  let sizeDetail: string;
  let sizeOk = false;
  if (limit >= f.size) sizeDetail = `${rangeText(loc.range)} hits ${f.path} only past its end (preallocated blocks beyond byte ${f.size}): reads never reach it and truncate cannot cut it off; use delete-restore`;
  else if (newSize >= f.size) sizeDetail = `the new size ${newSize} is not below the file's size ${f.size}: nothing would be cut off; give a size of at most ${limit}`;
  else if (newSize > limit) sizeDetail = `the new size ${newSize} keeps bytes from ${limit} on, in the ${block}-byte filesystem block that holds the first bad byte (file offset ${firstBad}): give a size of at most ${limit}`;
  else {
    sizeOk = true;
    sizeDetail = `${f.path} is cut from ${f.size} to ${newSize} bytes${request.size === undefined ? ` (the first bad byte, file offset ${firstBad}, rounded down to the ${block}-byte filesystem block)` : ''}`;
  }
  checks.add('size-valid', sizeOk, sizeDetail);
  await notOpen(host, f.path, { dev: Number(f.dev), ino: f.ino }, checks);
  draft.target = { ...draft.target, new_size: newSize };
  if (newSize < f.size) {
    draft.data_loss = [{
      kind: 'file-bytes', path: f.path, inode: f.ino, offset: newSize, length: f.size - newSize,
      detail: `${bytesText(newSize, f.size - newSize)} of ${f.path} are cut off (the file ends at ${newSize} afterwards)`,
    }];
  }
  draft.steps = [
    { n: 1, op: 'truncate', description: `truncate(${f.path}, ${newSize}): the blocks past byte ${newSize} are freed` },
    { n: 2, op: 'fsync', description: `fsync(${f.path})` },
    rereadStep(3, host, loc, f.blockdev),
    remapStep(4, f, `inode ${f.ino} (${f.path})`),
    { n: 5, op: 'read-file', description: `read ${f.path} from start to end: it must read without an I/O error and be ${newSize} bytes long` },
  ];
}

async function planDeleteRestore(host: RecoveryHost, request: RecoveryRequest, loc: Located, f: FileFacts, checks: Checks, draft: Draft, partial: string): Promise<void> {
  checks.add('file-covers-range', true,
    `${rangeText(loc.range)} hits ${f.path} at file offset${f.hits.length > 1 ? 's' : ''} ${f.hits.map((h) => h.file_offset).join(', ')}${partial}`);
  await notOpen(host, f.path, { dev: Number(f.dev), ino: f.ino }, checks);
  const temp = path.join(path.dirname(f.path), `.${path.basename(f.path)}.daxfleet-restore`);
  draft.target = { ...draft.target, temp_path: temp };

  if (request.backup_path === undefined) {
    checks.add('backup-readable', false, 'delete-restore needs a backup: give backup_path, a regular file on this host holding the content to restore');
    return;
  }
  const backupPath = path.resolve(request.backup_path);
  let bst;
  try {
    bst = await stat(backupPath, { bigint: true });
    if (!bst.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EINVAL' });
    await access(backupPath, constants.R_OK);
  } catch (err) {
    checks.add('backup-readable', false, `the backup ${backupPath} cannot be used (${errText(err)}): give a readable regular file`);
    return;
  }
  const backupSize = Number(bst.size);
  checks.add('backup-readable', true, `${backupPath} is a readable regular file of ${backupSize} bytes`);
  draft.target = {
    ...draft.target,
    backup: {
      path: backupPath, size: backupSize, mode: (Number(bst.mode) & 0o7777).toString(8).padStart(4, '0'),
      uid: Number(bst.uid), gid: Number(bst.gid), mtime: bst.mtime.toISOString(),
    },
  };

  if (bst.dev !== f.dev) {
    checks.add('backup-not-on-range', true, `${backupPath} is on another filesystem (device ${devNumberText(Number(bst.dev))})`);
  } else if (bst.ino === BigInt(f.ino)) {
    checks.add('backup-not-on-range', false, `${backupPath} is ${f.path} itself: give a backup copy`);
  } else if (f.allHits.some((h) => h.inode === Number(bst.ino))) {
    checks.add('backup-not-on-range', false, `${backupPath} has bytes on ${rangeText(loc.range)} itself: restore from a copy elsewhere`);
  } else if (f.allHits.some((h) => h.kind === 'unknown')) {
    checks.add('backup-not-on-range', false, `${backupPath} is on the same filesystem and the range's mapping is incomplete${partial}: ` +
      'cannot tell whether the backup lies on the bad range; put the backup on another filesystem');
  } else {
    checks.add('backup-not-on-range', true, `${backupPath} is on the same filesystem, but none of its bytes lies on the bad range`);
  }

  // the copy creates temp_path with O_EXCL: a leftover of an interrupted restore would stop it at step 1
  try {
    await lstat(temp);
    checks.add('temp-path-free', false, `${temp} exists (left by an earlier restore?): compare it with the backup, remove it and plan again`);
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    checks.add('temp-path-free', missing, missing ? `${temp} does not exist yet` : `cannot check ${temp} (${errText(err)})`);
  }

  try {
    const fs = await statfs(path.dirname(f.path));
    const free = fs.bavail * fs.bsize;
    checks.add('free-space', free >= backupSize, free >= backupSize
      ? `${free} bytes free on ${f.mount.mountpoint}, the copy needs ${backupSize}`
      : `only ${free} bytes free on ${f.mount.mountpoint}, the copy of the backup needs ${backupSize} (the damaged file is freed only after the copy replaces it): free space and plan again`);
  } catch (err) {
    checks.add('free-space', false, `cannot read the free space of ${f.mount.mountpoint} (statfs: ${errText(err)})`);
  }

  draft.data_loss = [{
    kind: 'file-content', path: f.path, inode: f.ino, length: f.size,
    detail: `the current content of ${f.path} (${f.size} bytes) is replaced by the backup's content (${backupPath}, ${backupSize} bytes); changes since the backup are lost`,
  }];
  draft.steps = [
    { n: 1, op: 'copy', description: `copy ${backupPath} (${backupSize} bytes) to ${temp} (created with O_EXCL), computing the sha256 of what is read` },
    { n: 2, op: 'copy-metadata', description: `chmod ${draft.target.backup?.mode}, chown ${Number(bst.uid)}:${Number(bst.gid)} and utimes (mtime ${bst.mtime.toISOString()}) of ${temp} from the backup; extended attributes are not copied` },
    { n: 3, op: 'fsync', description: `fsync(${temp}) and fsync of its directory ${path.dirname(f.path)}` },
    { n: 4, op: 'verify-checksum', description: `read ${temp} back: its sha256 must equal the backup's from step 1` },
    { n: 5, op: 'rename', description: `rename(${temp}, ${f.path}): atomically replaces the damaged file (inode ${f.ino}), whose blocks are freed` },
    rereadStep(6, host, loc, f.blockdev),
    remapStep(7, f, `${f.path}'s new inode`),
    { n: 8, op: 'read-file', description: `read ${f.path} from start to end: no I/O error, its sha256 equal to the backup's, and mode, owner and mtime equal to the backup's` },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// clear-errors

async function planClearErrors(host: RecoveryHost, request: RecoveryRequest, loc: Located, checks: Checks, draft: Draft): Promise<void> {
  const r = loc.range;
  const sectors = request.range.length;
  switch (r.namespace_mode) {
    case 'raw':
    case 'fsdax':
      return planWriteZeros(host, loc, sectors, checks, draft);
    case 'devdax':
      return planBusClear(host, loc, sectors, checks, draft);
    case 'sector':
      checks.add('namespace-mode', false, `${rangeText(r)} lies in ${nsText(loc)}: BTT remaps sectors, so the bad sectors ` +
        'cannot be written in place; rewrite the data through the filesystem instead');
      return;
    case undefined:
      checks.add('namespace-mode', false, `${rangeText(r)} lies in the free space of ${loc.region.dev} (no namespace): it holds no data; ` +
        'a namespace created over it is written through its driver, which clears the poison where the platform can');
      return;
    default:
      checks.add('namespace-mode', false, `${rangeText(r)} lies in ${nsText(loc)}, whose mode is not known: nothing can be cleared safely`);
  }
}

/** pmemX and its partitions (class/block/pmemXpN) */
async function blockdevAndPartitions(host: RecoveryHost, blockdev: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(host.sysfsRoot, 'class/block'));
    return [blockdev, ...names.filter((n) => n.startsWith(`${blockdev}p`) && /^\d+$/.test(n.slice(blockdev.length + 1))).sort()];
  } catch {
    return [blockdev];
  }
}

async function planWriteZeros(host: RecoveryHost, loc: Located, sectors: number, checks: Checks, draft: Draft): Promise<void> {
  const r = loc.range;
  if (r.blockdev === undefined || r.blockdev_offset === undefined || r.blockdev_offset < 0) {
    checks.add('namespace-mode', false, `${rangeText(r)} lies in ${nsText(loc)} outside its block device's sectors (the info block or ` +
      'memmap reservation of an fsdax namespace): the block device cannot write it');
    return;
  }
  const blockdev = r.blockdev;
  const sector = r.blockdev_offset;
  checks.add('namespace-mode', true, `${nsText(loc)}: ${blockdev} ${sectorsText(sector, sectors)} can be written through the pmem driver`);
  draft.target = {
    namespace: r.namespace, mode: r.namespace_mode, blockdev, sector, sectors, ...(r.spa !== undefined ? { spa: r.spa } : {}),
  };

  const mounts = await readMounts(host);
  if ('error' in mounts) {
    checks.add('not-mounted', false, `${mounts.error}: cannot tell whether /dev/${blockdev} is mounted`);
  } else {
    const devs = await blockdevAndPartitions(host, blockdev);
    const numbers = new Set((await Promise.all(devs.map((d) => blockDevNumber(host, d)))).filter((n): n is string => n !== undefined));
    const on = mounts.mounts.filter((m) => devs.some((d) => m.source === `/dev/${d}`) || numbers.has(m.device));
    checks.add('not-mounted', on.length === 0, on.length === 0
      ? `neither /dev/${blockdev} nor a partition of it is mounted`
      : `/dev/${blockdev} is mounted (${on.map((m) => `${m.source} on ${m.mountpoint}, ${m.fstype}`).join('; ')}): writing zeros under a ` +
        'filesystem destroys whatever it keeps there; recover the files with punch-hole, truncate or delete-restore, or unmount it first');
  }
  const node = `/dev/${blockdev}`;
  try {
    const busy = await host.deviceInUse(node);
    checks.add('device-not-busy', !busy, busy
      ? `${node} is in use (an exclusive open fails with EBUSY: mounted, or held by LVM, md, swap or another program): release it and plan again`
      : `${node} is not in use (an exclusive open succeeds)`);
  } catch (err) {
    checks.add('device-not-busy', false, `cannot open ${node} to check whether it is in use (${errText(err)})`);
  }

  // an exclusive open does not see a plain open(2) of the device (a database on the raw device, dd): look in /proc,
  // for the partitions too, since the zeros land under whatever a partition's opener reads and writes
  await devicesNotOpen(host, await blockdevAndPartitions(host, blockdev), checks);

  draft.data_loss = [{
    kind: 'device-sectors', device: blockdev, sector, count: sectors,
    detail: `${sectorsText(sector, sectors)} of ${node} (${sectors * SECTOR} bytes) are overwritten with zeros`,
  }];
  draft.steps = [
    { n: 1, op: 'write-zeros', description: `writeZeros('${node}', ${sector * SECTOR}, ${sectors * SECTOR}): pwrite zeros over ${sectorsText(sector, sectors)} ` +
      'with O_DIRECT|O_EXCL, one outcome per sector; the pmem driver asks the platform to clear the poison (ND_CMD_CLEAR_ERROR)' },
    rereadStep(2, host, loc, blockdev),
  ];
}

async function planBusClear(host: RecoveryHost, loc: Located, sectors: number, checks: Checks, draft: Draft): Promise<void> {
  const r = loc.range;
  if (r.chardev === undefined || r.chardev_offset_bytes === undefined || r.spa === undefined) {
    checks.add('namespace-mode', false, `${rangeText(r)} lies in ${nsText(loc)} outside its dax devices (the info block or memmap ` +
      'reservation): no device data is there; nothing to clear');
    return;
  }
  const chardev = r.chardev;
  const sector = Math.floor(r.chardev_offset_bytes / SECTOR);
  const bus = loc.bus.dev;
  checks.add('namespace-mode', true, `${nsText(loc)}: ${chardev} bytes ${r.chardev_offset_bytes}+${sectors * SECTOR} are cleared through ${bus}'s clear-error command`);
  draft.target = { namespace: r.namespace, mode: r.namespace_mode, chardev, bus, spa: r.spa, sector, sectors };

  const device = loc.namespace?.daxregion?.devices.find((d) => d.chardev === chardev);
  const ram = device?.mode === 'system-ram';
  checks.add('not-system-ram', !ram, ram
    ? `${chardev} is online as system RAM (kmem): the kernel's page allocator owns that memory; offline it and convert it back ` +
      `(daxctl offline-memory ${chardev}; daxctl reconfigure-device -m devdax ${chardev}) and plan again`
    : `${chardev} is a devdax device, not system RAM`);

  const number = await daxDevNumber(host, chardev);
  const m = number !== undefined ? /^(\d+):(\d+)$/.exec(number) : null;
  if (m === null) {
    checks.add('not-open', false, `cannot read ${chardev}'s device number from sysfs (bus/dax/devices/${chardev}/dev)`);
  } else {
    await notOpen(host, `/dev/${chardev}`, { rdev: makeDev(Number(m[1]), Number(m[2])) }, checks);
  }

  const commandsFile = path.join(host.sysfsRoot, 'bus/nd/devices', bus, 'commands');
  const commands = await readText(commandsFile);
  const canClear = commands?.split(/\s+/).includes('clear_error') ?? false;
  checks.add('bus-can-clear', canClear, canClear
    ? `${bus} offers clear_error (${bus}/commands: ${commands})`
    : commands === undefined
      ? `cannot read ${commandsFile}: cannot tell whether ${bus} clears errors`
      : `${bus} does not offer clear_error (${bus}/commands: ${commands || 'none'}): the platform cannot clear poison on this bus ` +
        "(QEMU's emulated NVDIMM cannot); restore the data at the application level, or use scrub-recheck where the bus can scrub");

  draft.data_loss = [{
    kind: 'device-sectors', device: chardev, sector, count: sectors,
    detail: `${sectorsText(sector, sectors)} of /dev/${chardev} (${sectors * SECTOR} bytes at SPA ${r.spa}) lose their content when the poison is cleared`,
  }];
  draft.steps = [
    { n: 1, op: 'bus-clear-error', description: `clearErrorsOnBus({ bus: '${bus}', address: ${r.spa}, length: ${sectors * SECTOR}, exact: true }): ` +
      `ND_CMD_ARS_CAP, then ND_CMD_CLEAR_ERROR over SPA ${r.spa}+${sectors * SECTOR} (${chardev} ${sectorsText(sector, sectors)}); ` +
      "exact: when the platform's clear unit would widen the range (and clear bytes this plan does not name), nothing is cleared" },
    rereadStep(2, host, loc, undefined),
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// scrub-recheck

async function planScrubRecheck(host: RecoveryHost, loc: Located, checks: Checks, draft: Draft): Promise<void> {
  const r = loc.range;
  const bus = loc.bus.dev;
  draft.target = {
    bus, ...(r.namespace !== undefined ? { namespace: r.namespace } : {}), ...(r.namespace_mode !== undefined ? { mode: r.namespace_mode } : {}),
    ...(r.spa !== undefined ? { spa: r.spa } : {}), sectors: loc.range.length,
  };
  const file = scrubAttributePath(host.sysfsRoot, bus);
  let text: string | undefined;
  let readError: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') readError = errText(err);
  }
  const state = text !== undefined ? parseScrubText(text) : undefined;
  if (readError !== undefined) checks.add('bus-can-scrub', false, `cannot read ${file} (${readError})`);
  else if (text === undefined) checks.add('bus-can-scrub', false, `${bus} cannot scrub: the platform does not offer address range scrub (no nfit/scrub)`);
  else if (state === undefined) checks.add('bus-can-scrub', false, `${bus}/nfit/scrub holds no scrub count ("${text.trim()}"): cannot follow a scrub there`);
  else if (state.scrub_state === 'active') checks.add('bus-can-scrub', false, `a scrub is already running on ${bus}: wait for it to finish (ndctl wait-scrub) and plan again`);
  else checks.add('bus-can-scrub', true, `${bus} can scrub and none is running (${state.scrub_count} completed since boot)`);

  draft.steps = [
    { n: 1, op: 'start-scrub', description: `write "1" to ${file}: an address range scrub of every range of ${bus}` },
    { n: 2, op: 'wait-scrub', description: `read ${file} until the count has grown and no "+" shows (the scrub finished); give up after 30 minutes` },
    rereadStep(3, host, loc, r.blockdev),
  ];
}
