import { useSearchParams } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { Notice } from '@/components/ui/notice';
import { useHost } from '@/features/hosts/api/get-host';
import { useHosts } from '@/features/hosts/api/get-hosts';
import { useHubInfo } from '@/features/hosts/api/get-hub-info';
import { AddHostsHelp } from '@/features/hosts/components/add-hosts-help';
import { FleetFilterBar } from '@/features/hosts/components/fleet-filter';
import { FleetOverview } from '@/features/hosts/components/fleet-overview';
import { FleetTable } from '@/features/hosts/components/fleet-table';
import { NoLocalPmemNotice } from '@/features/hosts/components/no-local-pmem-notice';
import { filterHosts, parseFleetView, type FleetFilter } from '@/features/hosts/utils/filter-hosts';

export function FleetRoute() {
  const hosts = useHosts();
  const info = useHubInfo();
  const localHost = useHost(info.data?.local_host_id);
  const hubUrl = window.location.origin;
  const localHasNoPmem = localHost.data !== undefined && localHost.data.inventory.buses.length === 0
    && localHost.data.inventory.dax_regions.length === 0;
  const [searchParams, setSearchParams] = useSearchParams();
  const filter: FleetFilter = { query: searchParams.get('q') ?? '', view: parseFleetView(searchParams.get('show')) };
  const setFilter = (next: FleetFilter) => {
    const params = new URLSearchParams();
    if (next.query !== '') params.set('q', next.query);
    if (next.view !== 'all') params.set('show', next.view);
    setSearchParams(params, { replace: true });
  };
  const allHosts = hosts.data?.hosts ?? [];
  const shownHosts = filterHosts(allHosts, filter);
  const remoteHostCount = (hosts.data?.hosts ?? []).filter((host) => host.id !== info.data?.local_host_id).length;

  return (
    <>
      <title>{allHosts.length > 0 ? `Fleet (${allHosts.length}) · daxfleet` : 'Fleet · daxfleet'}</title>
      <div className="page-title">
        <h1>Fleet</h1>
        {hosts.data !== undefined && <FleetOverview hosts={hosts.data.hosts} />}
      </div>
      {localHasNoPmem && (
        <NoLocalPmemNotice hostname={localHost.data.hostname} sysfsRoot={localHost.data.inventory.sysfs_root} />
      )}
      {hosts.isPending && <Loading label="Loading hosts" />}
      {hosts.isError && hosts.data === undefined && (
        <ErrorMessage title="Could not load the fleet" error={hosts.error} onRetry={() => void hosts.refetch()} />
      )}
      {hosts.isError && hosts.data !== undefined && (
        <ErrorMessage title="The fleet below may be out of date: the last refresh failed" error={hosts.error} />
      )}
      {allHosts.length > 0 && (
        <>
          <FleetFilterBar filter={filter} onChange={setFilter} shown={shownHosts.length} total={allHosts.length} />
          {shownHosts.length > 0
            ? <FleetTable key={`${filter.view}:${filter.query}`} hosts={shownHosts} />
            : <p className="muted">No host matches this filter.</p>}
        </>
      )}
      {hosts.data !== undefined && hosts.data.hosts.length === 0 && (
        <Notice title="No hosts yet">
          <p>No agent has reported to this hub.</p>
          <AddHostsHelp hubUrl={hubUrl} />
        </Notice>
      )}
      {hosts.data !== undefined && hosts.data.hosts.length > 0 && (remoteHostCount === 0 || localHasNoPmem) && (
        <Notice title="Add hosts">
          <AddHostsHelp hubUrl={hubUrl} />
        </Notice>
      )}
    </>
  );
}
