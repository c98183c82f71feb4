/**
 * Namespace changes through libndctl (src/native/namespace.cc), made as ndctl v76 makes them:
 * createNamespace = `ndctl create-namespace -r REGION`, reconfigureNamespace = `ndctl create-namespace -f -e NS`
 * (same namespace, new personality), destroyNamespace = `ndctl destroy-namespace -f NS`. A namespace in use (its
 * block device mounted or held, its devdax memory online as system-ram) is refused with EBUSY from
 * 'ndctl_namespace_disable_safe', never forced. Every call runs on the addon's worker under the libndctl context
 * lock and enumerates the kernel's state afresh, so each sees what the previous one did.
 */
import { binding, withCallSite } from '../addon.js';
import {
  NAMESPACE_NAME, REGION_NAME, asTypeError, checkDeviceName, checkNamespaceParams, type NamespaceParams,
} from './validate.js';

export type { NamespaceParams } from './validate.js';

export interface NamespaceChangeResult {
  /** namespaceX.Y: the same one a reconfigure was asked for; the region's seed for a create */
  namespace: string;
  mode: NamespaceParams['mode'];
  /** the namespace's allocated size in bytes (fsdax/devdax capacity includes the info block and page map) */
  size: number;
  uuid?: string;
  /** pmemX (raw, fsdax) or pmemXs (sector) */
  blockdev?: string;
  /** daxX.Y (devdax) */
  chardev?: string;
  /** the personality device: btt0.1 (sector), pfn0.1 (fsdax), dax0.1 (devdax) */
  holder?: string;
}

/**
 * Creates a namespace on `region` (regionN) from its idle seed. Throws TypeError for bad params (also those only
 * the region can judge: size not a multiple of its align, an alignment it does not offer); rejects ENODEV for an
 * unknown region, ENOSPC when the size exceeds its largest free extent, EINVAL with init-labels advice on a
 * label-less region. On a failed setup the capacity is given back (ndctl's autorecover).
 */
export async function createNamespace(region: string, params: NamespaceParams): Promise<NamespaceChangeResult> {
  checkDeviceName(region, 'region', REGION_NAME, 'region0');
  const checked = checkNamespaceParams(params);
  const native = binding();
  try {
    return await withCallSite(() => native.createNamespace(region, checked), createNamespace);
  } catch (err) {
    throw asTypeError(err);
  }
}

/**
 * Gives `namespace` (namespaceX.Y) a new mode and settings in place: disable safely, zero the info block, set up
 * again; unset params default as ndctl's do (size: the current one; sector size: carried forward within a mode).
 * The data on it is lost. Rejects EBUSY (syscall 'ndctl_namespace_disable_safe', the device named in `detail`)
 * when it is in use, with nothing changed.
 */
export async function reconfigureNamespace(namespace: string, params: NamespaceParams): Promise<NamespaceChangeResult> {
  checkDeviceName(namespace, 'namespace', NAMESPACE_NAME, 'namespace0.0');
  const checked = checkNamespaceParams(params);
  const native = binding();
  try {
    return await withCallSite(() => native.reconfigureNamespace(namespace, checked), reconfigureNamespace);
  } catch (err) {
    throw asTypeError(err);
  }
}

/**
 * Destroys `namespace`: disable safely (EBUSY when in use), zero its info block, delete its label so the region
 * gets the capacity back. `freed` is the namespace's size. A label-less region's namespace cannot be deleted
 * (EINVAL with init-labels advice).
 */
export async function destroyNamespace(namespace: string): Promise<{ namespace: string; freed: number }> {
  checkDeviceName(namespace, 'namespace', NAMESPACE_NAME, 'namespace0.0');
  const native = binding();
  return withCallSite(() => native.destroyNamespace(namespace), destroyNamespace);
}
