/** What every sysfs reader needs to know about the scan in progress. */
export interface ScanContext {
  /** the scan root ("/sys" or a recorded tree), absolute, without a trailing slash */
  readonly root: string;
  /** keep unconfigured seeds: size-0 namespaces and dax devices, as `ndctl list -i` shows them */
  readonly idle: boolean;
}
