/**
 * The inventory as `ndctl list -BDRNMX -v` (ndctl 76) prints it: same nesting, field names, field
 * order, raw integers and listing order, following ndctl/list.c and ndctl/json.c.
 */
import type { BadBlockRange, Bus, DaxDevice, DaxRegion, Dimm, Inventory, Namespace, Region } from '@daxfleet/shared';
import { inListOrder } from '../sysfs/kernfs-order.js';
import type { NdctlJson } from './json-c.js';

export interface NdctlListOptions {
  /** `-i`: include disabled DIMMs, regions, namespaces and empty dax devices */
  idle?: boolean;
}

type JsonObject = { [key: string]: NdctlJson };

const KNOWN_PERSISTENCE_DOMAINS: ReadonlySet<string> = new Set(['cpu_cache', 'memory_controller', 'none']);

/** nmemN/nfit/flags words and the ndctl fields they set (parse_nfit_mem_flags, util_dimm_to_json). */
const DIMM_FLAG_FIELDS: readonly (readonly [string, string])[] = [
  ['map_fail', 'flag_failed_map'],
  ['save_fail', 'flag_failed_save'],
  ['not_armed', 'flag_failed_arm'],
  ['restore_fail', 'flag_failed_restore'],
  ['flush_fail', 'flag_failed_flush'],
  ['smart_event', 'flag_smart_event'],
];

function dimmToJson(dimm: Dimm): JsonObject {
  const json: JsonObject = { dev: dimm.dev };
  if (dimm.id !== undefined) json.id = dimm.id;
  if (dimm.handle !== undefined) json.handle = dimm.handle;
  if (dimm.phys_id !== undefined) json.phys_id = dimm.phys_id;
  if (dimm.state === 'disabled') json.state = 'disabled';
  for (const [word, field] of DIMM_FLAG_FIELDS) if (dimm.flags?.includes(word)) json[field] = true;
  if (dimm.security !== undefined) json.security = dimm.security;
  if (dimm.security_frozen === true) json.security_frozen = true;
  return json;
}

function badblocksToJson(ranges: readonly BadBlockRange[]): NdctlJson[] {
  return ranges.map((bb) => {
    const json: JsonObject = { offset: bb.offset, length: bb.length };
    if (bb.dimms !== undefined && bb.dimms.length > 0) json.dimms = [...bb.dimms];
    return json;
  });
}

function daxDeviceToJson(dev: DaxDevice): JsonObject {
  const json: JsonObject = { chardev: dev.chardev, size: dev.size };
  if (dev.target_node !== undefined) json.target_node = dev.target_node;
  if (dev.align !== undefined && dev.align > 0) json.align = dev.align;
  json.mode = dev.mode;
  if (dev.online_memblocks !== undefined) json.online_memblocks = dev.online_memblocks;
  if (dev.total_memblocks !== undefined) json.total_memblocks = dev.total_memblocks;
  if (dev.movable !== undefined) json.movable = dev.movable;
  if (dev.state === 'disabled') json.state = 'disabled';
  return json;
}

/** util_daxctl_region_to_json(); `path` is what daxctl adds when not called from ndctl. */
export function daxRegionToJson(region: DaxRegion, opts: { idle: boolean; withPath: boolean; withMappings: boolean }): JsonObject {
  const json: JsonObject = {};
  if (opts.withPath && region.path !== undefined) json.path = region.path;
  json.id = region.id;
  json.size = region.size;
  if (region.available_size !== undefined && region.available_size !== 0) json.available_size = region.available_size;
  json.align = region.align;
  const devices = inListOrder(region.devices.filter((d) => opts.idle || d.size > 0), (d) => d.chardev);
  if (devices.length > 0) {
    json.devices = devices.map((dev) => {
      const devJson = daxDeviceToJson(dev);
      if (opts.withMappings && dev.mappings !== undefined && dev.mappings.length > 0) {
        // libdaxctl collects mappingN with list_add(): printed last index first
        devJson.mappings = [...dev.mappings].reverse().map((m) => ({ page_offset: m.page_offset, start: m.start, end: m.end, size: m.size }));
      }
      return devJson;
    });
  }
  return json;
}

/** The kind of claim device holding a namespace ("btt", "pfn", "dax"), from its name. */
function claimKind(ns: Namespace): string | undefined {
  return ns.holder === undefined ? undefined : /^(btt|pfn|dax)/.exec(ns.holder)?.[1];
}

function namespaceToJson(ns: Namespace, idle: boolean): JsonObject {
  const json: JsonObject = { dev: ns.dev };
  const claim = claimKind(ns);
  if (ns.mode !== 'unknown') json.mode = ns.mode;
  if (ns.mode !== 'sector' && ns.mode !== 'raw') {
    // util_namespace_to_json(): a claim-less fsdax namespace is NDCTL_PFN_LOC_RAM; a claim without
    // a location is "none". The inventory holds only what the kernel says (see Namespace.map).
    json.map = ns.map ?? (ns.mode === 'fsdax' && claim === undefined ? 'mem' : 'none');
  }
  json.size = ns.size;
  if (ns.uuid !== undefined) json.uuid = ns.uuid;
  if (ns.raw_uuid !== undefined) json.raw_uuid = ns.raw_uuid;
  if (ns.daxregion !== undefined) json.daxregion = daxRegionToJson(ns.daxregion, { idle, withPath: false, withMappings: false });
  if (ns.sector_size !== undefined) json.sector_size = ns.sector_size;
  // util_namespace_to_json(): without a btt or dax claim, ndctl_namespace_get_sector_size(), 512
  // when the namespace has none (label-less namespaces, nothing selected)
  else if (claim !== 'btt' && claim !== 'dax') json.sector_size = 512;
  if (ns.align !== undefined && ns.align !== 0) json.align = ns.align;
  if (ns.blockdev !== undefined) json.blockdev = ns.blockdev;
  if (ns.state === 'disabled') json.state = 'disabled';
  if (ns.name !== undefined) json.name = ns.name;
  if (ns.numa_node !== undefined) json.numa_node = ns.numa_node;
  if (ns.target_node !== undefined) json.target_node = ns.target_node;
  if (ns.badblock_count > 0) {
    json.badblock_count = ns.badblock_count;
    // ndctl counts a btt's bad blocks but cannot place them (data vs metadata): no list for sector
    if (ns.mode !== 'sector') json.badblocks = badblocksToJson(ns.badblocks);
  }
  return json;
}

function regionToJson(region: Region, enabledDimms: ReadonlySet<string>, idle: boolean): JsonObject {
  const json: JsonObject = { dev: region.dev, size: region.size };
  if (region.align !== undefined) json.align = region.align;
  if (region.available_size !== undefined) json.available_size = region.available_size;
  if (region.max_available_extent !== undefined) json.max_available_extent = region.max_available_extent;
  json.type = region.type;
  if (region.numa_node !== undefined) json.numa_node = region.numa_node;
  if (region.target_node !== undefined) json.target_node = region.target_node;
  if (region.iset_id !== undefined) json.iset_id = BigInt(region.iset_id);
  // libndctl reads mappingN with list_add(): printed last index first
  const mappings = [...region.mappings].reverse().filter((m) => idle || enabledDimms.has(m.dimm));
  if (mappings.length > 0) {
    json.mappings = mappings.map((m) => {
      const mapping: JsonObject = { dimm: m.dimm, offset: m.offset, length: m.length };
      if (m.position !== undefined) mapping.position = m.position;
      return mapping;
    });
  }
  if (region.state === 'disabled') json.state = 'disabled';
  if (region.badblock_count > 0) {
    json.badblock_count = region.badblock_count;
    json.badblocks = badblocksToJson(region.badblocks);
  }
  // region_get_pd_type(): anything but the three known domains (or none at all) is "unknown"
  const domain = region.persistence_domain;
  json.persistence_domain = domain !== undefined && KNOWN_PERSISTENCE_DOMAINS.has(domain) ? domain : 'unknown';
  const namespaces = inListOrder(region.namespaces.filter((ns) => idle || ns.state === 'enabled'), (ns) => ns.dev);
  if (namespaces.length > 0) json.namespaces = namespaces.map((ns) => namespaceToJson(ns, idle));
  return json;
}

function busToJson(bus: Bus, idle: boolean): JsonObject {
  const json: JsonObject = { provider: bus.provider, dev: bus.dev };
  if (bus.scrub_state !== undefined) json.scrub_state = bus.scrub_state;
  const dimms = inListOrder(bus.dimms.filter((d) => idle || d.state === 'enabled'), (d) => d.dev);
  if (dimms.length > 0) json.dimms = dimms.map(dimmToJson);
  const enabledDimms = new Set(bus.dimms.filter((d) => d.state === 'enabled').map((d) => d.dev));
  const regions = inListOrder(bus.regions.filter((r) => idle || r.state === 'enabled'), (r) => r.dev);
  if (regions.length > 0) json.regions = regions.map((r) => regionToJson(r, enabledDimms, idle));
  return json;
}

/**
 * What `ndctl list -BDRNMX -v` (plus `-i` with `{ idle: true }`) prints: without --human, always a
 * list of buses. Buses are listed through /sys/class/nd/ndctlN, so they sort by that name.
 */
export function toNdctlList(inv: Inventory, opts: NdctlListOptions = {}): NdctlJson[] {
  const idle = opts.idle ?? false;
  return inListOrder(inv.buses, (bus) => `ndctl${bus.dev.replace(/^ndbus/, '')}`).map((bus) => busToJson(bus, idle));
}
