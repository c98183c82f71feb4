/**
 * Device-DAX mode changes and memory onlining through libdaxctl (src/native/daxdev.cc), made as daxctl v76 makes
 * them (`daxctl reconfigure-device`, `online-memory`, `offline-memory`). Going back to devdax, and offlining,
 * undo what they did when they fail: when a memory block cannot go offline (the kernel holds unmovable pages in
 * it), or kmem keeps the device after every block went offline, the blocks already offlined go back online in
 * their zone and the call rejects with a message naming the cause; when putting a block back fails too, the
 * message says the device is left partly offline and which blocks. Nothing here checks for processes holding
 * /dev/daxX.Y before unbinding it: the caller must.
 */
import { binding, withCallSite } from '../addon.js';
import { DAX_DEVICE_NAME, checkDeviceName, optionalBoolean } from './validate.js';

export interface DaxDeviceState {
  /** daxX.Y */
  device: string;
  mode: 'devdax' | 'system-ram';
  /** system-ram mode: memory blocks online, and of the device in all */
  onlineMemblocks?: number;
  totalMemblocks?: number;
  /** present when a block is online: every online block is in ZONE_MOVABLE */
  movable?: boolean;
}

export interface ReconfigureDaxDeviceOptions {
  mode: 'system-ram' | 'devdax';
  /** system-ram: online the memory (default true), as daxctl without --no-online */
  online?: boolean;
  /** system-ram: online into ZONE_MOVABLE (default true), as daxctl without --no-movable */
  movable?: boolean;
}

/**
 * devdax → system-ram: unbind from device_dax, bind to kmem, online every block (ZONE_MOVABLE unless movable is
 * false; not at all when online is false). Refused (EBUSY) when the kernel's auto-online policy would online the
 * memory other than asked. system-ram → devdax: offline every block first (EBUSY and restored when one cannot go),
 * unbind kmem, bind device_dax. A device already in the mode asked for is left as it is (system-ram: its
 * remaining blocks are onlined when online is true).
 */
export async function reconfigureDaxDevice(device: string, opts: ReconfigureDaxDeviceOptions): Promise<DaxDeviceState> {
  checkDeviceName(device, 'device', DAX_DEVICE_NAME, 'dax0.0');
  if (typeof opts !== 'object' || opts === null) throw Object.assign(new TypeError("opts must be an object such as { mode: 'system-ram' }"), { code: 'ERR_INVALID_ARG_TYPE' });
  if (opts.mode !== 'system-ram' && opts.mode !== 'devdax') {
    throw Object.assign(new TypeError(`opts.mode must be 'system-ram' or 'devdax', got ${JSON.stringify(opts.mode)}`), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  if (opts.mode === 'devdax' && (opts.online !== undefined || opts.movable !== undefined)) {
    throw Object.assign(new TypeError("opts.online and opts.movable apply to mode 'system-ram' only"), { code: 'ERR_INVALID_ARG_VALUE' });
  }
  const online = optionalBoolean(opts.online, 'opts.online', true);
  const movable = optionalBoolean(opts.movable, 'opts.movable', true);
  const native = binding();
  return withCallSite(() => native.reconfigureDaxDevice(device, opts.mode, online, movable), reconfigureDaxDevice);
}

/** Onlines the offline memory blocks of a system-ram device (ZONE_MOVABLE unless movable is false). */
export async function onlineDaxMemory(device: string, opts: { movable?: boolean } = {}): Promise<DaxDeviceState & { onlined: number }> {
  checkDeviceName(device, 'device', DAX_DEVICE_NAME, 'dax0.0');
  if (typeof opts !== 'object' || opts === null) throw Object.assign(new TypeError('opts must be an object'), { code: 'ERR_INVALID_ARG_TYPE' });
  const movable = optionalBoolean(opts.movable, 'opts.movable', true);
  const native = binding();
  return withCallSite(() => native.onlineDaxMemory(device, movable), onlineDaxMemory);
}

/** Offlines every memory block of a system-ram device, or puts back what it offlined (EBUSY naming the block that cannot go). */
export async function offlineDaxMemory(device: string): Promise<DaxDeviceState & { offlined: number }> {
  checkDeviceName(device, 'device', DAX_DEVICE_NAME, 'dax0.0');
  const native = binding();
  return withCallSite(() => native.offlineDaxMemory(device), offlineDaxMemory);
}
