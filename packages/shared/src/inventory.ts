/**
 * The persistent-memory inventory of one host, as the agent reads it from sysfs (and libndctl for DIMM
 * health). Field names follow what `ndctl list` / `daxctl list` print (snake_case: dev, mode, map, size,
 * blockdev, chardev, badblock_count, ...), so an operator who knows ndctl recognises every field.
 *
 * Rule: a value the kernel does not give is ABSENT (optional field left out), never a made-up zero.
 * A malformed or unreadable attribute becomes a warning on the object it belongs to; the scan goes on.
 */
import { Type, type Static } from 'typebox';
import { DaxFilesystemSchema } from './dax-modes.js';

export const ScanWarningSchema = Type.Object({
  /** sysfs path (relative to the scan root, e.g. "bus/nd/devices/region0/size") or device name */
  path: Type.String(),
  message: Type.String(),
});
export type ScanWarning = Static<typeof ScanWarningSchema>;

/** A bad-block range in 512-byte sectors, relative to the object that lists it. */
export const BadBlockRangeSchema = Type.Object({
  offset: Type.Integer({ minimum: 0, description: 'first bad sector (512 B units), relative to the listing object' }),
  length: Type.Integer({ minimum: 1, description: 'number of bad 512 B sectors' }),
  dimms: Type.Optional(Type.Array(Type.String(), { description: 'DIMMs under the range (ndctl prints this with -v)' })),
});
export type BadBlockRange = Static<typeof BadBlockRangeSchema>;

/** SMART health of a DIMM through libndctl. Every field is optional: absent = the DIMM did not report it. */
export const DimmHealthSchema = Type.Object({
  /** false when the DIMM family has no SMART/health command (e.g. QEMU's NVDIMM): nothing else is present */
  supported: Type.Boolean(),
  health_state: Type.Optional(Type.Union([
    Type.Literal('ok'), Type.Literal('non-critical'), Type.Literal('critical'), Type.Literal('fatal'), Type.Literal('unknown'),
  ])),
  temperature_celsius: Type.Optional(Type.Number()),
  controller_temperature_celsius: Type.Optional(Type.Number()),
  spares_percentage: Type.Optional(Type.Integer()),
  alarm_temperature: Type.Optional(Type.Boolean()),
  alarm_controller_temperature: Type.Optional(Type.Boolean()),
  alarm_spares: Type.Optional(Type.Boolean()),
  alarm_enabled_media_temperature: Type.Optional(Type.Boolean()),
  temperature_threshold: Type.Optional(Type.Number()),
  alarm_enabled_ctrl_temperature: Type.Optional(Type.Boolean()),
  controller_temperature_threshold: Type.Optional(Type.Number()),
  alarm_enabled_spares: Type.Optional(Type.Boolean()),
  spares_threshold: Type.Optional(Type.Integer()),
  life_used_percentage: Type.Optional(Type.Integer()),
  shutdown_state: Type.Optional(Type.Union([Type.Literal('clean'), Type.Literal('dirty')])),
  shutdown_count: Type.Optional(Type.Integer()),
  /** why health could not be read, when supported but the command failed */
  error: Type.Optional(Type.String()),
});
export type DimmHealth = Static<typeof DimmHealthSchema>;

export const DimmSchema = Type.Object({
  dev: Type.String({ description: 'nmemN' }),
  id: Type.Optional(Type.String()),
  handle: Type.Optional(Type.Integer()),
  phys_id: Type.Optional(Type.Integer()),
  /** "enabled" when the nvdimm driver is bound */
  state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  /** raw nmemN/nfit/flags words, e.g. ["save_fail", "smart_notify"] */
  flags: Type.Optional(Type.Array(Type.String())),
  security: Type.Optional(Type.String()),
  /** security frozen (nmemN/frozen), as ndctl's "security_frozen"; absent when not frozen or not reported */
  security_frozen: Type.Optional(Type.Boolean()),
  health: Type.Optional(DimmHealthSchema),
  warnings: Type.Optional(Type.Array(ScanWarningSchema)),
});
export type Dimm = Static<typeof DimmSchema>;

export const MappingSchema = Type.Object({
  dimm: Type.String(),
  offset: Type.Integer(),
  length: Type.Integer(),
  position: Type.Optional(Type.Integer()),
});
export type Mapping = Static<typeof MappingSchema>;

export const DaxMappingSchema = Type.Object({
  page_offset: Type.Integer(),
  start: Type.Integer(),
  end: Type.Integer(),
  size: Type.Integer(),
});
export type DaxMapping = Static<typeof DaxMappingSchema>;

export const DaxDeviceSchema = Type.Object({
  chardev: Type.String({ description: 'daxX.Y' }),
  size: Type.Integer(),
  target_node: Type.Optional(Type.Integer()),
  numa_node: Type.Optional(Type.Integer()),
  align: Type.Optional(Type.Integer()),
  mode: Type.Union([Type.Literal('devdax'), Type.Literal('system-ram')]),
  /** system-ram only: memory blocks online / in the device's range, and whether they are ZONE_MOVABLE */
  online_memblocks: Type.Optional(Type.Integer()),
  total_memblocks: Type.Optional(Type.Integer()),
  movable: Type.Optional(Type.Boolean()),
  /** physical address of the device's first byte (hex string), when readable */
  resource: Type.Optional(Type.String()),
  state: Type.Optional(Type.Union([Type.Literal('enabled'), Type.Literal('disabled')])),
  /** physical extents of the device (daxX.Y/mappingN), as `daxctl list -M` prints them */
  mappings: Type.Optional(Type.Array(DaxMappingSchema)),
  warnings: Type.Optional(Type.Array(ScanWarningSchema)),
});
export type DaxDevice = Static<typeof DaxDeviceSchema>;

export const DaxRegionSchema = Type.Object({
  id: Type.Integer(),
  size: Type.Integer(),
  align: Type.Integer(),
  /** bytes not yet assigned to a dax device (dax_region/available_size); absent when unreadable */
  available_size: Type.Optional(Type.Integer()),
  dev: Type.Optional(Type.String()),
  /** sysfs path of the region's device below /sys/devices, as `daxctl list -R` prints it */
  path: Type.Optional(Type.String()),
  devices: Type.Array(DaxDeviceSchema),
});
export type DaxRegion = Static<typeof DaxRegionSchema>;

export const NamespaceModeSchema = Type.Union([
  Type.Literal('raw'), Type.Literal('sector'), Type.Literal('fsdax'), Type.Literal('devdax'), Type.Literal('unknown'),
]);
export type NamespaceMode = Static<typeof NamespaceModeSchema>;

export const NamespaceSchema = Type.Object({
  dev: Type.String({ description: 'namespaceX.Y' }),
  mode: NamespaceModeSchema,
  /**
   * fsdax/devdax: where the struct page memmap lives, as the pfn/dax claim's `mode` attribute says;
   * absent when there is no claim (a claim-less fsdax namespace: ndctl prints "mem" for it) or the
   * claim has none configured (ndctl: "none")
   */
  map: Type.Optional(Type.Union([Type.Literal('mem'), Type.Literal('dev')])),
  /** the btt, pfn or dax claim device holding the namespace (namespaceX.Y/holder, e.g. "pfn0.1") */
  holder: Type.Optional(Type.String()),
  /** usable size in bytes (after an fsdax/devdax info block and memmap reservation, as ndctl prints) */
  size: Type.Integer(),
  /** raw size of the namespace in the region */
  raw_size: Type.Optional(Type.Integer()),
  uuid: Type.Optional(Type.String()),
  raw_uuid: Type.Optional(Type.String()),
  /**
   * bytes per sector: the btt's, else the namespace's selected sector_size, else the block device's
   * logical_block_size; absent for devdax and when the kernel gives none (ndctl prints 512 then)
   */
  sector_size: Type.Optional(Type.Integer()),
  align: Type.Optional(Type.Integer()),
  blockdev: Type.Optional(Type.String()),
  chardev: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  numa_node: Type.Optional(Type.Integer()),
  target_node: Type.Optional(Type.Integer()),
  state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  /** physical start address (hex string) */
  resource: Type.Optional(Type.String()),
  /** fsdax/devdax: bytes between the namespace start and the first data byte (pfn/dax info block + memmap) */
  data_offset: Type.Optional(Type.Integer()),
  /** device-DAX region and devices under a devdax namespace */
  daxregion: Type.Optional(DaxRegionSchema),
  /**
   * as `ndctl list -M` prints them: fsdax/devdax from the REGION's list, relative to the first data
   * byte (namespace resource + data_offset); sector from the region's list, namespace-relative (ndctl
   * prints only the count); raw: the region's whole list, region-relative, when it is not empty,
   * otherwise the block device's list.
   */
  badblocks: Type.Array(BadBlockRangeSchema),
  badblock_count: Type.Integer(),
  /** the claim class the namespace is configured for (holder_class: "pfn", "dax", "btt"); set on a disabled fsdax namespace too */
  holder_class: Type.Optional(Type.String()),
  /** block-device-relative sectors, exactly as /sys/block/pmemX/badblocks lists them */
  blockdev_badblocks: Type.Optional(Type.Array(BadBlockRangeSchema)),
  warnings: Type.Optional(Type.Array(ScanWarningSchema)),
});
export type Namespace = Static<typeof NamespaceSchema>;

export const RegionSchema = Type.Object({
  dev: Type.String({ description: 'regionN' }),
  size: Type.Integer(),
  align: Type.Optional(Type.Integer()),
  available_size: Type.Optional(Type.Integer()),
  max_available_extent: Type.Optional(Type.Integer()),
  type: Type.Union([Type.Literal('pmem'), Type.Literal('blk'), Type.Literal('unknown')]),
  numa_node: Type.Optional(Type.Integer()),
  target_node: Type.Optional(Type.Integer()),
  /** interleave-set cookie as a signed 64-bit decimal string (exceeds a JS double: never parse to number) */
  iset_id: Type.Optional(Type.String({ pattern: '^-?[0-9]+$' })),
  persistence_domain: Type.Optional(Type.String()),
  state: Type.Union([Type.Literal('enabled'), Type.Literal('disabled')]),
  /** physical base address (hex string): the SPA of the region's first byte */
  resource: Type.Optional(Type.String()),
  mappings: Type.Array(MappingSchema),
  /** region-relative sectors */
  badblocks: Type.Array(BadBlockRangeSchema),
  badblock_count: Type.Integer(),
  namespaces: Type.Array(NamespaceSchema),
  warnings: Type.Optional(Type.Array(ScanWarningSchema)),
});
export type Region = Static<typeof RegionSchema>;

export const BusSchema = Type.Object({
  dev: Type.String({ description: 'ndbusN' }),
  provider: Type.String(),
  scrub_state: Type.Optional(Type.Union([Type.Literal('idle'), Type.Literal('active')])),
  /** completed address-range scrubs since boot (the number in bus `scrub`) */
  scrub_count: Type.Optional(Type.Integer()),
  dimms: Type.Array(DimmSchema),
  regions: Type.Array(RegionSchema),
  warnings: Type.Optional(Type.Array(ScanWarningSchema)),
});
export type Bus = Static<typeof BusSchema>;

export const InventorySchema = Type.Object({
  schema_version: Type.Literal(1),
  /** the directory the sysfs tree was read from ("/sys" on a live host) */
  sysfs_root: Type.String(),
  buses: Type.Array(BusSchema),
  /** dax regions not backed by an nd namespace (e.g. hmem / soft-reserved memory) */
  dax_regions: Type.Array(DaxRegionSchema),
  /** whether DIMM health came from libndctl (false: native addon unavailable, health left out) */
  health_source: Type.Union([Type.Literal('libndctl'), Type.Literal('none')]),
  /**
   * mounted filesystems of a DAX-capable type (ext2, ext4, xfs, virtiofs, erofs) with their dax mount mode and
   * whether their device supports DAX (dax-modes.ts); absent when the agent did not read mounts (a recorded tree
   * without its mounts.txt, an older agent)
   */
  filesystems: Type.Optional(Type.Array(DaxFilesystemSchema)),
  warnings: Type.Array(ScanWarningSchema),
});
export type Inventory = Static<typeof InventorySchema>;
