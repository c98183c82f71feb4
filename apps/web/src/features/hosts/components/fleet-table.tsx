import type { HostSummary } from '@daxfleet/shared';
import { useState } from 'react';
import { Link } from 'react-router';
import { BadBlockCount } from '@/components/pmem/badblock-count';
import { CapacityBar } from '@/components/pmem/capacity-bar';
import { HealthSummary } from '@/components/pmem/health-summary';
import { OnlineBadge } from '@/components/pmem/online-badge';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';

/** Hosts ordered so that trouble comes first: offline, then bad blocks, then by name. */
export function sortHostsForFleet(hosts: readonly HostSummary[]): HostSummary[] {
  return [...hosts].sort((a, b) => {
    if (a.online !== b.online) return a.online ? 1 : -1;
    const badA = a.summary.badblock_count > 0;
    const badB = b.summary.badblock_count > 0;
    if (badA !== badB) return badA ? -1 : 1;
    return a.hostname.localeCompare(b.hostname) || a.id.localeCompare(b.id);
  });
}

/** Rows rendered at first; a fleet of thousands of hosts is shown a page at a time. */
export const FLEET_PAGE_SIZE = 100;

export function FleetTable({ hosts, pageSize = FLEET_PAGE_SIZE }: { hosts: readonly HostSummary[]; pageSize?: number }) {
  const [visibleCount, setVisibleCount] = useState(pageSize);
  const sorted = sortHostsForFleet(hosts);
  const visible = sorted.slice(0, visibleCount);
  const remaining = sorted.length - visible.length;
  return (
    <div className="table-wrap">
      <table className="table fleet-table">
        <caption className="visually-hidden">Hosts in the fleet</caption>
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Status</th>
            <th scope="col">Capacity by mode</th>
            <th scope="col">DIMM health</th>
            <th scope="col">Bad blocks</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {visible.map((host) => <FleetRow key={host.id} host={host} />)}
        </tbody>
      </table>
      {remaining > 0 && (
        <button type="button" className="button fleet-table__more" onClick={() => setVisibleCount((count) => count + pageSize)}>
          Show {Math.min(remaining, pageSize)} more of {remaining} remaining hosts
        </button>
      )}
    </div>
  );
}

function FleetRow({ host }: { host: HostSummary }) {
  const { summary } = host;
  return (
    <tr className={summary.badblock_count > 0 ? 'fleet-table__row--badblocks' : undefined}>
      <th scope="row">
        <Link to={paths.host.getHref(host.id)} className="fleet-table__host">{host.hostname}</Link>
        <div className="fleet-table__sub">
          {summary.dimm_count} {summary.dimm_count === 1 ? 'DIMM' : 'DIMMs'} · {summary.region_count}{' '}
          {summary.region_count === 1 ? 'region' : 'regions'} · {summary.namespace_count}{' '}
          {summary.namespace_count === 1 ? 'namespace' : 'namespaces'}
          {host.sysfs_root !== '/sys' && <> · simulated</>}
        </div>
      </th>
      <td><OnlineBadge online={host.online} /></td>
      <td><CapacityBar capacity={summary.capacity_by_mode} compact /></td>
      <td><HealthSummary health={summary.health} dimmCount={summary.dimm_count} /></td>
      <td><BadBlockCount count={summary.badblock_count} /></td>
      <td><RelativeTime iso={host.last_seen} /></td>
    </tr>
  );
}
