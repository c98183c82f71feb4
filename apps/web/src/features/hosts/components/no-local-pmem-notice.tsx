import { Notice } from '@/components/ui/notice';

/** Shown when the hub's own host (role "all") was scanned and has no NVDIMM bus. */
export function NoLocalPmemNotice({ hostname, sysfsRoot }: { hostname: string; sysfsRoot: string }) {
  return (
    <Notice title="No persistent memory on this machine">
      <p>
        This machine has no persistent memory (no NVDIMM bus found under {sysfsRoot}). The hub's local agent
        keeps reporting <strong>{hostname}</strong>, which will show its pmem as soon as the kernel finds any.
      </p>
    </Notice>
  );
}
