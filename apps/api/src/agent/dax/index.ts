/**
 * The agent's DAX changes (issue 7): the dispatcher and the device kinds. serve.ts builds one service per agent on
 * the live /sys; the fs-dax-policy kind and inspection come from agent/fsdax/.
 */
import type { FsDaxInspectRequest, FsDaxInspectResult } from '@daxfleet/shared';
import type { FastifyBaseLogger } from 'fastify';
import type { DaxChangeHandler, FsDaxPolicyRequest } from './contract.js';
import { daxdevOfflineHandler, daxdevOnlineHandler, daxdevReconfigureHandler } from './daxdev.js';
import { DaxChangeService, type DaxChangeHandlers } from './dispatcher.js';
import type { HostChangeLock } from './change-lock.js';
import type { DeviceHost } from './host.js';
import { DaxJournal } from './journal.js';
import type { DeviceNative } from './native.js';
import { namespaceCreateHandler, namespaceDestroyHandler, namespaceReconfigureHandler } from './namespace.js';

export { DaxChangeService, DaxChangeUnsupportedError, daxPlanDigest, type DaxChangeHandlers } from './dispatcher.js';
export { deviceOpeners, liveDeviceHost, type DeviceHost } from './host.js';
export { DAX_JOURNAL_FILE, DaxJournal } from './journal.js';
export { HostChangeLock } from './change-lock.js';
export type { DeviceNative } from './native.js';

/** The six device kinds over one host and the native calls. */
export function deviceHandlers(host: DeviceHost, native: DeviceNative): DaxChangeHandlers {
  return {
    'namespace-create': namespaceCreateHandler(host, native),
    'namespace-reconfigure': namespaceReconfigureHandler(host, native),
    'namespace-destroy': namespaceDestroyHandler(host, native),
    'daxdev-reconfigure': daxdevReconfigureHandler(host, native),
    'daxdev-online': daxdevOnlineHandler(host, native),
    'daxdev-offline': daxdevOfflineHandler(host, native),
  };
}

export interface AgentDaxOptions {
  /** the device kinds: absent, they are refused (400) */
  device?: { host: DeviceHost; native: DeviceNative };
  /** agent/fsdax: the policy kind and inspection */
  fsdax?: {
    policy: DaxChangeHandler<FsDaxPolicyRequest>;
    inspect: (request: FsDaxInspectRequest) => Promise<FsDaxInspectResult>;
  };
  rescan?: () => Promise<void>;
  log?: FastifyBaseLogger;
  /** the agent's data folder: DATA-DIR/dax-journal.json keeps the change ids executed (absent: memory only, tests) */
  dataDir?: string;
  /** shared with the recovery executor (serve.ts): DAX changes and recoveries never run at the same time */
  changeLock?: HostChangeLock;
}

export function createDaxChangeService(opts: AgentDaxOptions): DaxChangeService {
  return new DaxChangeService({
    handlers: {
      ...(opts.device !== undefined ? deviceHandlers(opts.device.host, opts.device.native) : {}),
      ...(opts.fsdax !== undefined ? { 'fs-dax-policy': opts.fsdax.policy } : {}),
    },
    ...(opts.fsdax !== undefined ? { inspect: opts.fsdax.inspect } : {}),
    ...(opts.rescan !== undefined ? { rescan: opts.rescan } : {}),
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.dataDir !== undefined ? { journal: DaxJournal.open(opts.dataDir, opts.log ?? console) } : {}),
    ...(opts.changeLock !== undefined ? { changeLock: opts.changeLock } : {}),
  });
}
