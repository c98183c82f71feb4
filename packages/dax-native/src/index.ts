/**
 * @daxfleet/dax-native: everything that touches the kernel. The sysfs inventory reader works on any
 * root (the live /sys or a recorded tree); the addon wraps libndctl/libdaxctl and a few syscalls.
 */
export { scanInventory, type ScanOptions, type SysfsRootError } from './sysfs/scan.js';
export { toNdctlList, type NdctlListOptions } from './ndctl/ndctl-list.js';
export { toDaxctlList, type DaxctlListOptions } from './ndctl/daxctl-list.js';
export { stringifyNdctl, type NdctlJson } from './ndctl/json-c.js';
// the addon's public API; addon.ts also exports internals (binding, withCallSite, checkPath) for src/files
export {
  FS_XFLAG_DAX, NativeAddonUnavailableError, isAvailable, loadError, addonPath, compiledVersions, readDimmHealth,
  getFsxattr, setFsxattr, statxDax, type NativeError, type Fsxattr,
} from './addon.js';
export { mapDeviceRange, type MapDeviceRangeOptions, type DeviceRangeFiles } from './files/map-range.js';
export { readFsmap, readFiemap, type Fsmap, type FsmapRecord, type Fiemap, type FiemapExtent } from './files/ioctl.js';
export {
  punchHole, writeZeros, deviceInUse, clearErrorsOnBus, type WriteZerosResult, type WriteZerosFailure, type ClearErrorsOptions,
  type ClearErrorsResult, type PunchHoleOptions,
} from './files/recover.js';
export { specialOwner, type SpecialOwner } from './files/owners.js';
export {
  createNamespace, reconfigureNamespace, destroyNamespace, type NamespaceParams, type NamespaceChangeResult,
} from './devices/namespaces.js';
export {
  reconfigureDaxDevice, onlineDaxMemory, offlineDaxMemory, type DaxDeviceState, type ReconfigureDaxDeviceOptions,
} from './devices/dax-devices.js';
export { watchSysfsAttributes, type SysfsChange, type SysfsWatch } from './watch.js';
export type {
  RangeHit, Inventory, Bus, Dimm, DimmHealth, Region, Mapping, Namespace, NamespaceMode, DaxRegion, DaxDevice, DaxMapping,
  BadBlockRange, ScanWarning,
} from '@daxfleet/shared';
