/**
 * One region (regionN) with its DIMM mappings, bad blocks and namespaces, read as libndctl's
 * add_region()/mappings_init() read them.
 */
import type { BadBlockRange, Mapping, Namespace, Region } from '@daxfleet/shared';
import { listDir, readAttr, readRequiredAttr, isSymlink, type DeviceDir, type Warnings } from './read.js';
import { parseU64, parseU64Big, readBadblocks, readNode, readU64, toHex } from './parse.js';
import { compareNatural } from './kernfs-order.js';
import { scanNamespace, NSTYPE_BLK, NSTYPE_IO, NSTYPE_PMEM, type RegionContext } from './namespace.js';
import type { ScanContext } from './context.js';

const PERSISTENCE_DOMAINS = ['cpu_cache', 'memory_controller', 'none'] as const;

/** regionN/mappingK: "nmemX,offset,length[,position]" (position is absent on old kernels). */
function parseMapping(text: string): Mapping | undefined {
  const match = /^(nmem\d+),([^,]+),([^,]+)(?:,(-?\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const offset = parseU64(match[2] ?? '');
  const length = parseU64(match[3] ?? '');
  if (offset === undefined || length === undefined) return undefined;
  const mapping: Mapping = { dimm: match[1] ?? '', offset, length };
  if (match[4] !== undefined && Number(match[4]) >= 0) mapping.position = Number(match[4]);
  return mapping;
}

/**
 * The interleave-set cookie as ndctl prints iset_id: strtoull() of set_cookie, printed by json-c as a
 * signed 64-bit integer. Kept as a decimal string: it does not fit a JS number.
 */
export function isetIdFromCookie(text: string): string | undefined {
  const cookie = parseU64Big(text);
  return cookie === undefined ? undefined : BigInt.asIntN(64, cookie).toString();
}

export function scanRegion(ctx: ScanContext, busDir: DeviceDir, name: string, busWarnings: Warnings): Region | undefined {
  const dir: DeviceDir = { path: `${busDir.path}/${name}`, label: `bus/nd/devices/${name}` };
  const warnings: Warnings = [];
  const size = readU64(dir, 'size', warnings, true);
  const mappingCount = readU64(dir, 'mappings', warnings, true);
  const nstype = readU64(dir, 'nstype', warnings, true);
  if (size === undefined || mappingCount === undefined || nstype === undefined) {
    busWarnings.push(...warnings, { path: dir.label, message: 'region skipped: size, mappings or nstype unreadable' });
    return undefined;
  }
  const id = Number(name.slice('region'.length));
  const enabled = isSymlink(dir, 'driver');
  const region: Region = {
    dev: name, size, type: nstype === NSTYPE_IO || nstype === NSTYPE_PMEM ? 'pmem' : 'blk',
    state: enabled ? 'enabled' : 'disabled', mappings: [], badblocks: [], badblock_count: 0, namespaces: [],
  };

  const align = readU64(dir, 'align', warnings);
  if (align !== undefined) region.align = align;
  // Kept although the kernel hides these two attributes on io (label-less) regions: libndctl's
  // ndctl_region_get_available_size() / _get_max_available_extent() return 0 for a region whose
  // nstype is not pmem/blk without reading sysfs, and 0 is the truth there: no namespace can be
  // carved out of a region that cannot hold labels.
  const labelled = nstype === NSTYPE_PMEM || nstype === NSTYPE_BLK;
  const available = labelled ? readU64(dir, 'available_size', warnings) : 0;
  if (available !== undefined) region.available_size = available;
  const extent = labelled ? readU64(dir, 'max_available_extent', warnings) : 0;
  if (extent !== undefined) region.max_available_extent = extent;
  const numaNode = readNode(dir, 'numa_node', warnings);
  if (numaNode !== undefined) region.numa_node = numaNode;
  const targetNode = readNode(dir, 'target_node', warnings);
  if (targetNode !== undefined) region.target_node = targetNode;

  if (nstype === NSTYPE_PMEM) {
    const cookie = readRequiredAttr(dir, 'set_cookie', warnings);
    if (cookie !== undefined) {
      const isetId = isetIdFromCookie(cookie);
      if (isetId !== undefined) region.iset_id = isetId;
      else warnings.push({ path: `${dir.label}/set_cookie`, message: `not an unsigned integer: ${JSON.stringify(cookie)}` });
    }
  }

  const domain = readAttr(dir, 'persistence_domain', warnings);
  if (domain !== undefined && domain !== '') {
    // region_get_pd_type() matches a prefix. The kernel writes "" when it knows no domain: absent
    // here, and the ndctl formatter prints ndctl's "unknown" for it; other text is kept as written.
    region.persistence_domain = PERSISTENCE_DOMAINS.find((d) => domain.startsWith(d)) ?? domain;
  }

  const resource = readU64(dir, 'resource', warnings);
  if (resource !== undefined) region.resource = toHex(resource);

  for (let i = 0; i < mappingCount; i++) {
    const text = readRequiredAttr(dir, `mapping${i}`, warnings);
    if (text === undefined) continue;
    const mapping = parseMapping(text);
    if (mapping !== undefined) region.mappings.push(mapping);
    else warnings.push({ path: `${dir.label}/mapping${i}`, message: `malformed mapping: ${JSON.stringify(text)}` });
  }

  const badblocks: BadBlockRange[] = readBadblocks(dir, 'badblocks', warnings) ?? [];
  // ndctl names the DIMM under a bad block only when the region is not interleaved (one mapping);
  // an interleaved region needs the firmware's Translate SPA, which sysfs does not offer.
  const onlyDimm = mappingCount <= 1 ? region.mappings[region.mappings.length - 1]?.dimm : undefined;
  if (onlyDimm !== undefined && resource !== undefined) for (const bb of badblocks) bb.dimms = [onlyDimm];
  region.badblocks = badblocks;
  region.badblock_count = badblocks.reduce((sum, bb) => sum + bb.length, 0);

  // A disabled region has no namespace devices in sysfs; the listing is then simply empty.
  const entries = listDir(dir.path);
  const context: RegionContext = { dir, id, idle: ctx.idle, entries: new Set(entries), resource, badblocks };
  const prefix = `namespace${id}.`;
  const names = entries.filter((n) => n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length))).sort(compareNatural);
  for (const nsName of names) {
    const ns: Namespace | undefined = scanNamespace(ctx, context, nsName, warnings);
    if (ns !== undefined) region.namespaces.push(ns);
  }

  if (warnings.length > 0) region.warnings = warnings;
  return region;
}
