/** /capacity: the fleet's persistent memory by mode (bar + table), per host, filesystems by dax mode. */
import type { FleetCapacity } from '@daxfleet/shared';
import { Link } from 'react-router';
import { CAPACITY_MODES, CapacityBar } from '@/components/pmem/capacity-bar';
import { Bytes } from '@/components/ui/bytes';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { useFleetCapacity } from '../api/fleet-capacity';
import '../dax.css';

function TotalsTable({ totals }: { totals: FleetCapacity['totals'] }) {
  return (
    <table className="table table--compact" aria-label="Capacity by mode">
      <thead><tr><th scope="col">Mode</th><th scope="col">Capacity</th><th scope="col">Share</th></tr></thead>
      <tbody>
        {CAPACITY_MODES.map((mode) => (
          <tr key={mode}>
            <th scope="row">{mode}</th>
            <td><Bytes value={totals[mode]} /></td>
            <td>{totals.total === 0 ? '—' : `${((totals[mode] / totals.total) * 100).toFixed(1)} %`}</td>
          </tr>
        ))}
        <tr><th scope="row">total</th><td><Bytes value={totals.total} /></td><td>{totals.total === 0 ? '—' : '100.0 %'}</td></tr>
      </tbody>
    </table>
  );
}

export function CapacityView({ capacity }: { capacity: FleetCapacity }) {
  const { filesystems } = capacity;
  return (
    <>
      <section aria-labelledby="capacity-totals-heading">
        <h2 id="capacity-totals-heading">Fleet totals</h2>
        <CapacityBar capacity={capacity.totals} />
        <TotalsTable totals={capacity.totals} />
        <p className="muted">
          {capacity.hosts.length} {capacity.hosts.length === 1 ? 'host' : 'hosts'} with persistent memory;{' '}
          <span aria-label="Hosts without pmem">{capacity.hosts_without_pmem} without</span>. Computed <RelativeTime iso={capacity.generated_at} />.
        </p>
      </section>
      <section aria-labelledby="capacity-fs-heading">
        <h2 id="capacity-fs-heading">Filesystems by DAX mode</h2>
        <table className="table table--compact" aria-label="Filesystems by DAX mode">
          <thead><tr><th scope="col">dax=inode</th><th scope="col">dax=always</th><th scope="col">dax=never</th><th scope="col">on a device without DAX</th></tr></thead>
          <tbody><tr><td>{filesystems.inode}</td><td>{filesystems.always}</td><td>{filesystems.never}</td><td>{filesystems.without_device_dax}</td></tr></tbody>
        </table>
      </section>
      <section aria-labelledby="capacity-hosts-heading">
        <h2 id="capacity-hosts-heading">Hosts</h2>
        {capacity.hosts.length === 0
          ? <p className="muted">No host reports persistent memory.</p>
          : (
            <table className="table table--compact" aria-label="Capacity by host">
              <thead>
                <tr>
                  <th scope="col">Host</th><th scope="col">Status</th><th scope="col">Capacity by mode</th>
                  {CAPACITY_MODES.map((mode) => <th key={mode} scope="col">{mode}</th>)}
                  <th scope="col">Filesystems (inode / always / never)</th>
                </tr>
              </thead>
              <tbody>
                {capacity.hosts.map((host) => (
                  <tr key={host.host_id}>
                    <th scope="row"><Link to={paths.hostDax.getHref(host.host_id)} aria-label={`DAX of ${host.hostname}`}>{host.hostname}</Link></th>
                    <td>{host.status}</td>
                    <td><CapacityBar capacity={host.capacity} compact /></td>
                    {CAPACITY_MODES.map((mode) => <td key={mode}><Bytes value={host.capacity[mode]} /></td>)}
                    <td>{host.filesystems.inode} / {host.filesystems.always} / {host.filesystems.never}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
      </section>
    </>
  );
}

export function CapacityPage() {
  const capacity = useFleetCapacity();
  return (
    <>
      <title>Capacity · daxfleet</title>
      <div className="page-title"><h1>Capacity by mode</h1></div>
      <p className="muted">Persistent memory across the fleet by namespace mode (raw, sector, fsdax, devdax), dax devices onlined as system-ram, and free space in regions.</p>
      {capacity.isPending && <Loading label="Loading the fleet's capacity" />}
      {capacity.data === undefined && capacity.isError && <ErrorMessage title="Could not load the fleet's capacity" error={capacity.error} onRetry={() => void capacity.refetch()} />}
      {capacity.data !== undefined && <CapacityView capacity={capacity.data} />}
    </>
  );
}
