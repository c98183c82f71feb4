/**
 * The device-DAX kinds, as daxctl does them: daxdev-reconfigure (daxctl reconfigure-device -m system-ram|devdax),
 * daxdev-online (daxctl online-memory) and daxdev-offline (daxctl offline-memory). Planners read a fresh scan, the
 * memory blocks under the device (/sys/devices/system/memory) and the processes holding /dev/daxX.Y; executors call
 * @daxfleet/dax-native and verify with a new scan.
 *
 * Memory that goes offline has its pages migrated elsewhere. Blocks in ZONE_MOVABLE hold only movable pages, so
 * they go offline unless memory is short; blocks onlined to ZONE_NORMAL may hold kernel allocations that cannot
 * move, and then offlining fails (EBUSY). The planner cannot know which pages the kernel put there, so it says so;
 * the native call onlines back what it offlined when a block refuses (or when kmem keeps the device), the error
 * says when that put-back failed ("left partly offline"), and the result says failed with the state the scan shows.
 */
import type { DaxChangeRequest, DaxDevice } from '@daxfleet/shared';
import type { DaxChangeHandler, DaxExecutionParts, DaxPlanParts } from './contract.js';
import {
  bytesText, charNode, describeNodeOpeners, findDaxDevice, memoryBlockSize, memoryBlocksOf, type DeviceHost, type FoundDaxDevice,
} from './host.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeviceNative } from './native.js';
import { Checks, numberSteps, runSteps, runStepsUnlessHeld } from './steps.js';

type ReconfigureRequest = Extract<DaxChangeRequest, { kind: 'daxdev-reconfigure' }>;
type OnlineRequest = Extract<DaxChangeRequest, { kind: 'daxdev-online' }>;
type OfflineRequest = Extract<DaxChangeRequest, { kind: 'daxdev-offline' }>;
type DeviceRequest = ReconfigureRequest | OnlineRequest | OfflineRequest;

/**
 * The start every dax device plan shares: the device-exists check against a fresh scan and, when it exists, the
 * device as `before` (with its namespace).
 */
async function startDevicePlan(host: DeviceHost, request: DeviceRequest):
  Promise<{ checks: Checks; parts: DaxPlanParts; device?: DaxDevice }> {
  const checks = new Checks();
  const parts: DaxPlanParts = { kind: request.kind, request, steps: [], data_loss: [], checks: checks.list };
  const dev = request.device;
  const found = findDaxDevice(await host.scan(), dev);
  checks.add('device-exists', found !== undefined, found === undefined
    ? `${dev} does not exist on this host (no devdax namespace or dax region has it)`
    : `${dev}: ${found.device.mode}, ${bytesText(found.device.size)}${found.namespace !== undefined ? ` (${found.namespace.dev})` : ''}`);
  if (found === undefined) return { checks, parts };
  parts.before = { ...found.device, ...(found.namespace !== undefined ? { namespace: found.namespace.dev } : {}) };
  return { checks, parts, device: found.device };
}

function memoryText(d: DaxDevice): string {
  if (d.mode !== 'system-ram') return 'devdax (no memory blocks)';
  const online = d.online_memblocks;
  const total = d.total_memblocks;
  if (online === undefined || total === undefined) return 'system-ram (memory blocks unknown)';
  return `${online} of ${total} memory blocks online${d.movable === undefined ? '' : d.movable ? ' (movable)' : ' (not movable)'}`;
}

/** MemTotal and MemAvailable of /proc/meminfo in bytes; undefined when unreadable */
async function meminfo(host: DeviceHost): Promise<{ total: number; available: number } | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(host.procRoot, 'meminfo'), 'utf8');
  } catch {
    return undefined;
  }
  const kib = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kib('MemTotal');
  const available = kib('MemAvailable');
  return total === undefined || available === undefined ? undefined : { total, available };
}

/**
 * memory-offlinable: whether the device's online memory can go offline, as far as the planner can tell. It fails
 * only where failure is certain: the memory in use (MemTotal - MemAvailable, which leaves out reclaimable cache and
 * so undercounts) does not fit in what remains without the device's online blocks. Otherwise it passes and says
 * what may still make offlining fail.
 */
async function offlinableCheck(host: DeviceHost, d: DaxDevice, checks: Checks): Promise<void> {
  const blocks = await memoryBlocksOf(host.sysfsRoot, d);
  const mem = await meminfo(host);
  const blockSize = await memoryBlockSize(host.sysfsRoot);
  const onlineCount = blocks?.filter((b) => b.state.startsWith('online')).length ?? d.online_memblocks ?? 0;
  if (mem !== undefined && blockSize !== undefined) {
    const removed = Math.min(onlineCount * blockSize, mem.total);
    const used = mem.total - mem.available;
    if (used > mem.total - removed) {
      checks.add('memory-offlinable', false, `${bytesText(used)} of memory is in use but only ${bytesText(mem.total - removed)} would ` +
        `remain without ${d.chardev}'s ${onlineCount} online blocks: offlining cannot succeed; free memory first`);
      return;
    }
  }
  if (blocks === undefined) {
    checks.add('memory-offlinable', true, `the memory blocks of ${d.chardev} cannot be read: offlining may fail (EBUSY); ` +
      'if a block refuses, the blocks already offlined are onlined back and the change fails');
    return;
  }
  const online = blocks.filter((b) => b.state.startsWith('online'));
  const pinned = online.filter((b) => b.zones !== 'Movable');
  checks.add('memory-offlinable', true, online.length === 0 ? `every memory block of ${d.chardev} is offline`
    : pinned.length === 0 ? `${online.length} online blocks, all in ZONE_MOVABLE: their pages migrate elsewhere (fails only when memory is short)`
      : `${pinned.map((b) => b.name).join(', ')} ${pinned.length === 1 ? 'is' : 'are'} online in ZONE_NORMAL: the kernel may hold ` +
        'pages there that cannot move, and then offlining fails (EBUSY); if a block refuses, the blocks already offlined are ' +
        'onlined back and the change fails (unless onlining back fails too: the error then says which blocks stay offline)');
}

/** what the kernel does with hot-added memory by itself (/sys/devices/system/memory/auto_online_blocks) */
async function autoOnline(host: DeviceHost): Promise<string | undefined> {
  try {
    return (await readFile(path.join(host.sysfsRoot, 'devices/system/memory/auto_online_blocks'), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function verifyDevice(found: FoundDaxDevice | undefined, dev: string, expected: Record<string, unknown> | undefined, checks: Checks): void {
  const d = found?.device;
  if (d === undefined) {
    checks.add('device-mode', false, `${dev} is not in the scan after the change`);
    return;
  }
  checks.add('device-mode', d.mode === expected?.mode, `${dev} is ${d.mode}${d.mode === expected?.mode ? '' : ` (expected ${String(expected?.mode)})`}`);
  if (expected?.memory === 'online' || expected?.memory === 'offline') {
    const online = d.online_memblocks ?? 0;
    const total = d.total_memblocks ?? 0;
    const ok = expected.memory === 'online' ? total > 0 && online === total : online === 0;
    checks.add('memory-online', ok, `${online} of ${total} memory blocks online (expected ${expected.memory === 'online' ? 'all' : 'none'})`);
  }
  if (expected?.memory === 'online' && typeof expected.movable === 'boolean') {
    checks.add('memory-movable', d.movable === expected.movable, d.movable === undefined
      ? 'the zone of the memory blocks cannot be told (some are offline)'
      : `the online blocks are ${d.movable ? 'in ZONE_MOVABLE' : 'not in ZONE_MOVABLE'}${d.movable === expected.movable ? ', as planned' : `, planned ${expected.movable ? 'movable' : 'not movable'}`}`);
  }
}

async function verified(host: DeviceHost, dev: string, plan: { expected?: Record<string, unknown> },
  run: Awaited<ReturnType<typeof runSteps>>, what: string): Promise<DaxExecutionParts> {
  const checks = new Checks();
  const found = findDaxDevice(await host.scan(), dev);
  verifyDevice(found, dev, plan.expected, checks);
  return {
    steps: run.results, verification: checks.list,
    ...(found !== undefined ? { after: found.device } : {}),
    ...(run.error !== undefined ? { error: `${what} failed: ${run.error}; the scan after it is in the verification` } : {}),
  };
}

function onlineStep(dev: string, movable: boolean): { op: string; description: string } {
  return movable
    ? { op: 'daxctl_memory_online', description: `online ${dev}'s memory blocks in ZONE_MOVABLE (they can be offlined again)` }
    : { op: 'daxctl_memory_online_no_movable', description: `online ${dev}'s memory blocks in ZONE_NORMAL (the kernel may pin pages there: offlining can then fail)` };
}

export function daxdevReconfigureHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<ReconfigureRequest> {
  return {
    async plan(request) {
      const { checks, parts, device: d } = await startDevicePlan(host, request);
      if (d === undefined) return parts;
      checks.add('mode-differs', d.mode !== request.mode, d.mode === request.mode
        ? `${d.chardev} is already ${d.mode} (${memoryText(d)}): nothing to do` : `${d.chardev}: ${d.mode} → ${request.mode}`);
      const online = request.online ?? true;
      const movable = request.movable ?? true;
      if (request.mode === 'system-ram') {
        const node = await charNode(host.sysfsRoot, d.chardev);
        const held = node === undefined ? [] : await describeNodeOpeners(host, [node]);
        checks.add('device-not-open', held.length === 0, held.length === 0 ? `no process holds /dev/${d.chardev} open or mapped`
          : `${held.join('; ')}: stop these processes first (the device goes away when it becomes system RAM)`);
        const auto = await autoOnline(host);
        const autoOnlines = auto !== undefined && auto !== 'offline';
        // as the native call (daxctl reconfig_mode_system_ram): when the kernel onlines hot-added memory itself it
        // does so in its own zone, so only online + not movable can be honoured
        const conflicts = (!online || movable) && autoOnlines;
        checks.add('params-valid', !conflicts, !conflicts
          ? `memory ${online ? `onlined${movable ? ' movable' : ' not movable'}` : 'left offline'}`
          : `${online ? 'movable: true' : 'online: false'} cannot hold: the kernel onlines hot-added memory itself ` +
            `(/sys/devices/system/memory/auto_online_blocks = ${auto}), not ${online ? 'in ZONE_MOVABLE' : 'leaving it offline'}; ` +
            `ask for online with movable: false, or set auto_online_blocks to offline first`);
        parts.steps = numberSteps([
          { op: 'daxctl_dev_disable', description: `disable ${d.chardev} (unbind device_dax)` },
          { op: 'daxctl_dev_enable_ram', description: `bind ${d.chardev} to kmem: its ${bytesText(d.size)} are hot-added as memory blocks` },
          ...(online ? [onlineStep(d.chardev, movable)] : []),
        ]);
        parts.data_loss = [{ description: `the contents of /dev/${d.chardev} (${bytesText(d.size)}): the kernel uses the memory as RAM`, bytes: d.size }];
        parts.expected = { mode: 'system-ram', memory: online ? 'online' : 'offline', ...(online ? { movable } : {}) };
      } else {
        await offlinableCheck(host, d, checks);
        const anyOnline = (d.online_memblocks ?? 1) > 0;
        parts.steps = numberSteps([
          ...(anyOnline ? [{ op: 'daxctl_memory_offline', description: `offline ${d.chardev}'s memory blocks (memory hot-remove: their pages migrate to other memory)` }] : []),
          { op: 'daxctl_dev_disable', description: `disable ${d.chardev} (unbind kmem: the memory is removed from the system)` },
          { op: 'daxctl_dev_enable_devdax', description: `bind ${d.chardev} to device_dax: /dev/${d.chardev} again` },
        ]);
        parts.expected = { mode: 'devdax' };
      }
      return parts;
    },

    async execute(request, plan) {
      // to system-ram unbinds /dev/daxX.Y from under whoever holds it: look again right before (devdax has no node)
      const holders = async (): Promise<string[]> => {
        const node = request.mode === 'system-ram' ? await charNode(host.sysfsRoot, request.device) : undefined;
        return node === undefined ? [] : describeNodeOpeners(host, [node]);
      };
      // online / movable mean something to system-ram only (the native call refuses them for devdax), and the
      // dispatcher fills in their schema defaults whatever the mode
      const memory = request.mode === 'system-ram' ? {
        ...(request.online !== undefined ? { online: request.online } : {}),
        ...(request.movable !== undefined ? { movable: request.movable } : {}),
      } : {};
      const run = await runStepsUnlessHeld(plan.steps, holders, () => native.reconfigureDaxDevice(request.device, { mode: request.mode, ...memory }));
      return verified(host, request.device, plan, run, `reconfiguring ${request.device} to ${request.mode}`);
    },
  };
}

/** memory-state: the device is system-ram and some of its blocks are not yet as requested. */
function memoryStateCheck(d: DaxDevice, want: 'online' | 'offline', checks: Checks): boolean {
  if (d.mode !== 'system-ram') {
    return checks.add('memory-state', false, `${d.chardev} is in devdax mode (no memory blocks): ` +
      `reconfigure it to system-ram first (daxctl reconfigure-device -m system-ram ${d.chardev})`);
  }
  const online = d.online_memblocks;
  const total = d.total_memblocks;
  if (online === undefined || total === undefined) {
    return checks.add('memory-state', true, `the memory blocks of ${d.chardev} cannot be counted; daxctl ${want}s what it finds`);
  }
  const todo = want === 'online' ? total - online : online;
  return checks.add('memory-state', todo > 0, todo > 0 ? `${todo} of ${total} memory blocks to ${want}`
    : `every memory block of ${d.chardev} is already ${want} (${memoryText(d)}): nothing to do`);
}

export function daxdevOnlineHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<OnlineRequest> {
  return {
    async plan(request) {
      const { checks, parts, device: d } = await startDevicePlan(host, request);
      if (d === undefined) return parts;
      memoryStateCheck(d, 'online', checks);
      const movable = request.movable ?? true;
      parts.steps = numberSteps([onlineStep(d.chardev, movable)]);
      parts.expected = { mode: 'system-ram', memory: 'online', movable };
      return parts;
    },
    async execute(request, plan) {
      const run = await runSteps(plan.steps, () => native.onlineDaxMemory(request.device,
        request.movable !== undefined ? { movable: request.movable } : {}));
      return verified(host, request.device, plan, run, `onlining ${request.device}'s memory`);
    },
  };
}

export function daxdevOfflineHandler(host: DeviceHost, native: DeviceNative): DaxChangeHandler<OfflineRequest> {
  return {
    async plan(request) {
      const { checks, parts, device: d } = await startDevicePlan(host, request);
      if (d === undefined) return parts;
      if (memoryStateCheck(d, 'offline', checks)) await offlinableCheck(host, d, checks);
      parts.steps = numberSteps([
        { op: 'daxctl_memory_offline', description: `offline ${d.chardev}'s memory blocks (memory hot-remove: their pages migrate to other memory)` },
      ]);
      parts.expected = { mode: 'system-ram', memory: 'offline' };
      return parts;
    },
    async execute(request, plan) {
      const run = await runSteps(plan.steps, () => native.offlineDaxMemory(request.device));
      return verified(host, request.device, plan, run, `offlining ${request.device}'s memory`);
    },
  };
}
