import { Notice } from '@/components/ui/notice';

/** The empty ledger: nothing found yet, and what daxfleet is watching so "nothing" means something. */
export function NoMediaErrors({ filtered }: { filtered: boolean }) {
  if (filtered) return <p className="muted">No bad ranges match these filters.</p>;
  return (
    <Notice title="No media errors recorded">
      <p>No agent has reported a bad range. daxfleet watches, on every host with an agent:</p>
      <ul>
        <li>each region's and block device's bad-block list (<code>regionN/badblocks</code>, <code>/sys/block/pmemX/badblocks</code>), woken by the kernel's notification and re-read every second;</li>
        <li>address-range scrubs on each bus (<code>ndbusN/nfit/scrub</code>) and the bad blocks they find;</li>
        <li>each DIMM's health: state, media and controller temperature, spares remaining, unsafe shutdowns (the events <code>ndctl monitor</code> raises).</li>
      </ul>
      <p>New ranges appear here as soon as an agent reports them.</p>
    </Notice>
  );
}
