/**
 * Filesystem DAX at the agent (issue 7): the mounted DAX-capable filesystems for the inventory, the inspection of
 * a path's flag vs effective state, and the fs-dax-policy change kind for the dispatcher (agent/dax/).
 */
export { readDaxFilesystems, mountinfoFileFor, daxFilesystemsOf, toDaxFilesystem, blockDeviceOf, daxModeOf } from './filesystems.js';
export { inspectFsDax } from './inspect.js';
export { fsDaxPolicyHandler, makeFsDaxPolicyHandler, changeOutcome, POLICY_MAX_SUBTREE, POLICY_MAX_LISTED_CHANGES } from './policy.js';
export { classify, requestedDax } from './entry.js';
export { filesystemsForReport } from './report.js';
export type { FsDaxHost } from './host.js';
