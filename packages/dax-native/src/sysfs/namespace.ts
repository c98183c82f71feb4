/**
 * One namespace (namespaceR.N) and the claim device that personalises it: btt (sector), pfn (fsdax)
 * or dax (devdax). Mode, usable size and bad blocks are derived exactly as ndctl's
 * util_namespace_to_json() derives them, so `ndctl list` can be reproduced from the inventory.
 */
import type { BadBlockRange, DaxRegion, Namespace, NamespaceMode } from '@daxfleet/shared';
import { listDir, readAttr, readRequiredAttr, isSymlink, child, type DeviceDir, type Warnings } from './read.js';
import { parseSelectedSize, readBadblocks, readNode, readU64, toHex } from './parse.js';
import { clipRegionBadblocks, sectorCount, type RegionMedia } from './badblocks.js';
import { scanDaxRegion } from './dax.js';
import type { ScanContext } from './context.js';

/** include/uapi/linux/ndctl.h ND_DEVICE_NAMESPACE_* */
export const NSTYPE_IO = 4;
export const NSTYPE_PMEM = 5;
export const NSTYPE_BLK = 6;

const NULL_UUID = '00000000-0000-0000-0000-000000000000';

export interface RegionContext extends RegionMedia {
  readonly dir: DeviceDir;
  readonly id: number;
  /** keep unconfigured seeds (size 0, inactive), as `ndctl list -i` shows them */
  readonly idle: boolean;
  /** names in the region directory, to find claim devices */
  readonly entries: ReadonlySet<string>;
}

/** A btt, pfn or dax device holding the namespace. */
interface Claim {
  kind: 'btt' | 'pfn' | 'dax';
  dir: DeviceDir;
  enabled: boolean;
  uuid: string | undefined;
  size: number | undefined;
  resource: number | undefined;
  /** pfn/dax: "mem" | "dev" | undefined ("none") */
  map: 'mem' | 'dev' | undefined;
  align: number | undefined;
  /** btt: selected sector size */
  sectorSize: number | undefined;
  blockdev: string | undefined;
}

const PFN_LOCATIONS: Record<string, 'mem' | 'dev' | undefined> = { ram: 'mem', pmem: 'dev', none: undefined };

/** get_block_device(): the single entry of `<dev>/block/`, if exactly one. */
function blockDevice(dir: DeviceDir): string | undefined {
  const names = listDir(`${dir.path}/block`).filter((n) => !n.startsWith('.'));
  return names.length === 1 ? names[0] : undefined;
}

function readClaim(region: RegionContext, name: string, warnings: Warnings): Claim | undefined {
  const kind = name.startsWith('btt') ? 'btt' : name.startsWith('pfn') ? 'pfn' : name.startsWith('dax') ? 'dax' : undefined;
  if (kind === undefined || !region.entries.has(name)) {
    warnings.push({ path: `${region.dir.label}/${name}`, message: 'namespace holder is not a btt, pfn or dax device of this region' });
    return undefined;
  }
  const dir: DeviceDir = { path: `${region.dir.path}/${name}`, label: `bus/nd/devices/${name}` };
  const uuid = readRequiredAttr(dir, 'uuid', warnings);
  const claim: Claim = {
    kind, dir, enabled: isSymlink(dir, 'driver'), uuid: uuid !== undefined && uuid.length > 0 ? uuid : undefined,
    size: readU64(dir, 'size', warnings), resource: undefined, map: undefined, align: undefined, sectorSize: undefined,
    blockdev: undefined,
  };
  if (kind === 'btt') {
    const sectorSize = readRequiredAttr(dir, 'sector_size', warnings);
    if (sectorSize !== undefined) claim.sectorSize = parseSelectedSize(sectorSize);
  } else {
    claim.resource = readU64(dir, 'resource', warnings);
    claim.align = readU64(dir, 'align', warnings);
    const location = readRequiredAttr(dir, 'mode', warnings);
    if (location !== undefined) {
      if (location in PFN_LOCATIONS) claim.map = PFN_LOCATIONS[location];
      else warnings.push({ path: `${dir.label}/mode`, message: `unknown memmap location: ${JSON.stringify(location)}` });
    }
  }
  if (kind !== 'dax') claim.blockdev = blockDevice(dir);
  return claim;
}

const MODES: Record<string, NamespaceMode> = { memory: 'fsdax', dax: 'devdax', safe: 'sector', raw: 'raw' };

/**
 * Reads namespace `name`; undefined for an unconfigured seed (size 0, not active) unless
 * `region.idle`, or when a required attribute is missing (a warning goes to `regionWarnings`).
 */
export function scanNamespace(ctx: ScanContext, region: RegionContext, name: string, regionWarnings: Warnings): Namespace | undefined {
  const dir: DeviceDir = { path: `${region.dir.path}/${name}`, label: `bus/nd/devices/${name}` };
  const warnings: Warnings = [];
  const nstype = readU64(dir, 'nstype', warnings, true);
  const rawSize = readU64(dir, 'size', warnings, true);
  if (nstype === undefined || rawSize === undefined) {
    regionWarnings.push(...warnings, { path: dir.label, message: 'namespace skipped: nstype or size unreadable' });
    return undefined;
  }

  const holder = readAttr(dir, 'holder', warnings);
  const claim = holder !== undefined && holder.length > 0 ? readClaim(region, holder, warnings) : undefined;
  const active = claim !== undefined ? claim.enabled : isSymlink(dir, 'driver');
  if (!active && rawSize === 0 && !region.idle) return undefined;

  const modeText = readAttr(dir, 'mode', warnings);
  let mode: NamespaceMode = 'unknown';
  if (modeText !== undefined) {
    const known = MODES[modeText];
    if (known !== undefined) mode = known;
    else warnings.push({ path: `${dir.label}/mode`, message: `unknown mode: ${JSON.stringify(modeText)}` });
  }
  // the device that carries the usable size and the block device: the claim, or the namespace itself
  const owner = claim?.dir ?? dir;
  const pfn = claim?.kind === 'pfn' ? claim : undefined;
  const dax = claim?.kind === 'dax' ? claim : undefined;
  const btt = claim?.kind === 'btt' ? claim : undefined;
  if ((mode === 'devdax' && dax === undefined) || (mode === 'sector' && btt === undefined)) {
    warnings.push({ path: `${dir.label}/mode`, message: `mode ${mode} without its ${mode === 'devdax' ? 'dax' : 'btt'} claim device` });
  }

  // ndctl prints the usable size: the claim device's, after its info block and memmap reservation
  let size: number | undefined;
  // map: only what a pfn/dax claim's `mode` attribute says. A claim-less fsdax namespace (legacy
  // e820 pmem, memmap in RAM) has no attribute saying so: map stays absent and the ndctl formatter
  // applies ndctl's "mem" for it (util_namespace_to_json: no pfn -> NDCTL_PFN_LOC_RAM).
  let map: 'mem' | 'dev' | undefined;
  if (mode === 'fsdax') {
    size = pfn !== undefined ? pfn.size : rawSize;
    map = pfn?.map;
  } else if (mode === 'devdax') {
    size = dax?.size;
    map = dax?.map;
  } else if (mode === 'sector') {
    size = btt?.size;
  } else {
    size = rawSize;
  }
  if (size === undefined) {
    // `size` is required by the schema, so the one number the kernel did give stands in: the raw
    // namespace size, an upper bound of the usable size (the claim's info block and memmap are not
    // subtracted). The warning says so; raw_size carries the same value.
    const missingClaim = (mode === 'devdax' && dax === undefined) || (mode === 'sector' && btt === undefined);
    const why = missingClaim ? `no ${mode === 'devdax' ? 'dax' : 'btt'} claim device` : `${owner.label}/size unreadable`;
    warnings.push({
      path: `${owner.label}/size`,
      message: `usable size unknown (${why}); size is the raw namespace size, an upper bound that does not subtract the claim's info block or memmap`,
    });
    size = rawSize;
  }

  const ns: Namespace = { dev: name, mode, size, raw_size: rawSize, state: active ? 'enabled' : 'disabled', badblocks: [], badblock_count: 0 };
  if (map !== undefined) ns.map = map;
  if (claim !== undefined && holder !== undefined) ns.holder = holder;

  let nsUuid: string | undefined;
  let sectorSizeText: string | undefined;
  if (nstype === NSTYPE_PMEM || nstype === NSTYPE_BLK) {
    sectorSizeText = readAttr(dir, 'sector_size', warnings);
    const altName = readRequiredAttr(dir, 'alt_name', warnings);
    if (altName !== undefined && altName.length > 0) ns.name = altName;
    const uuid = readRequiredAttr(dir, 'uuid', warnings);
    if (uuid !== undefined && uuid.length > 0) nsUuid = uuid;
  }

  if (claim !== undefined) {
    if (claim.uuid !== undefined) ns.uuid = claim.uuid;
    if (nsUuid !== undefined && nsUuid !== NULL_UUID) ns.raw_uuid = nsUuid;
  } else if (nstype !== NSTYPE_IO) {
    // an empty uuid attribute is the null uuid (only an unconfigured seed has one)
    ns.uuid = nsUuid ?? NULL_UUID;
  }

  const blockdev = claim !== undefined ? claim.blockdev : blockDevice(dir);

  // sector size: the btt's; none for devdax; otherwise the namespace's selected sector_size. A
  // label-less (io) namespace has no sector_size attribute, and an unconfigured one selects none:
  // then the block device's logical block size, which the pmem driver sets from the same lbasize
  // (pmem_sector_size(): 512 when there is none), else absent. ndctl's own 512 default for an
  // absent size is applied by the ndctl formatter, not here.
  if (btt !== undefined) {
    if (btt.sectorSize !== undefined) ns.sector_size = btt.sectorSize;
  } else if (dax === undefined) {
    const selected = sectorSizeText !== undefined ? parseSelectedSize(sectorSizeText) : undefined;
    if (selected !== undefined && selected !== 0) ns.sector_size = selected;
    else if (blockdev !== undefined) {
      const logical = readU64(child(owner, `block/${blockdev}/queue`), 'logical_block_size', warnings);
      if (logical !== undefined && logical !== 0) ns.sector_size = logical;
    }
  }
  const align = pfn?.align ?? dax?.align;
  if (align !== undefined && align !== 0) ns.align = align;

  if (blockdev !== undefined) ns.blockdev = blockdev;

  const numaNode = readNode(dir, 'numa_node', warnings);
  if (numaNode !== undefined) ns.numa_node = numaNode;
  const targetNode = readNode(dir, 'target_node', warnings);
  if (targetNode !== undefined) ns.target_node = targetNode;
  const resource = readU64(dir, 'resource', warnings);
  if (resource !== undefined) ns.resource = toHex(resource);
  const holderClass = readAttr(dir, 'holder_class', warnings);
  if (holderClass !== undefined && holderClass.length > 0) ns.holder_class = holderClass;

  const dataStart = pfn?.resource ?? dax?.resource;
  if (dataStart !== undefined && resource !== undefined) ns.data_offset = dataStart - resource;

  if (dax !== undefined) {
    const daxRegion: DaxRegion | undefined = scanDaxRegion(ctx, dax.dir, region.id, warnings);
    if (daxRegion !== undefined) {
      ns.daxregion = daxRegion;
      const first = daxRegion.devices[0];
      if (first !== undefined) ns.chardev = first.chardev;
    }
  }

  // The block device's own list, exactly as /sys/block/<blockdev>/badblocks shows it (same kobject).
  const blockdevBadblocks = blockdev !== undefined ? readBadblocks(child(owner, `block/${blockdev}`), 'badblocks', warnings) : undefined;
  if (blockdevBadblocks !== undefined) ns.blockdev_badblocks = blockdevBadblocks;

  ns.badblocks = namespaceBadblocks(region, { pfn, dax, btt, resource, rawSize, blockdevBadblocks });
  ns.badblock_count = sectorCount(ns.badblocks);

  if (warnings.length > 0) ns.warnings = warnings;
  return ns;
}

/** ndctl's choice of bad-block source per mode (util_namespace_to_json). */
function namespaceBadblocks(
  region: RegionMedia,
  ns: { pfn?: Claim | undefined; dax?: Claim | undefined; btt?: Claim | undefined; resource: number | undefined; rawSize: number; blockdevBadblocks: BadBlockRange[] | undefined },
): BadBlockRange[] {
  if (ns.pfn !== undefined) {
    if (ns.pfn.resource === undefined) return ns.blockdevBadblocks ?? [];
    return ns.pfn.size === undefined ? [] : clipRegionBadblocks(region, ns.pfn.resource, ns.pfn.size);
  }
  if (ns.dax !== undefined) {
    if (ns.dax.resource === undefined || ns.dax.size === undefined) return [];
    return clipRegionBadblocks(region, ns.dax.resource, ns.dax.size);
  }
  if (ns.btt !== undefined) {
    return ns.resource === undefined ? [] : clipRegionBadblocks(region, ns.resource, ns.rawSize);
  }
  // raw: ndctl lists the region's whole list (region-relative) when it has one, else the block device's
  if (region.badblocks.length > 0 && region.resource !== undefined) return region.badblocks.map((bb) => ({ ...bb }));
  return ns.blockdevBadblocks ?? [];
}
