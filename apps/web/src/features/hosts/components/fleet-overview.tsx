import type { HostSummary } from '@daxfleet/shared';
import { Bytes } from '@/components/ui/bytes';

/** One line of fleet totals above the table. */
export function FleetOverview({ hosts }: { hosts: readonly HostSummary[] }) {
  const online = hosts.filter((host) => host.online).length;
  const capacity = hosts.reduce((sum, host) => sum + host.summary.total_capacity, 0);
  const badblocks = hosts.reduce((sum, host) => sum + host.summary.badblock_count, 0);
  const hostsWithBadblocks = hosts.filter((host) => host.summary.badblock_count > 0).length;
  return (
    <p className="fleet-overview">
      <span>{hosts.length} {hosts.length === 1 ? 'host' : 'hosts'}</span>
      <span>{online} online</span>
      <span><Bytes value={capacity} /> persistent memory</span>
      <span className={badblocks > 0 ? 'fleet-overview__alert' : undefined}>
        {badblocks} open bad {badblocks === 1 ? 'block' : 'blocks'}
        {hostsWithBadblocks > 0 && <> on {hostsWithBadblocks} {hostsWithBadblocks === 1 ? 'host' : 'hosts'}</>}
      </span>
    </p>
  );
}
