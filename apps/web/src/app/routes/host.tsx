import { Link, useParams } from 'react-router';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { paths } from '@/config/paths';
import { InventoryHistory } from '@/features/host-topology/components/inventory-history';
import { TopologyTree } from '@/features/host-topology/components/topology-tree';
import { useHost } from '@/features/hosts/api/get-host';
import { IfRole } from '@/features/auth/components/require-role';
import { HostHeader } from '@/features/hosts/components/host-header';
import { RescanButton } from '@/features/hosts/components/rescan-button';
import { RecoveryPlanList } from '@/features/recovery/components/plan-list';
import { BusScrubPanel } from '@/features/scrub/components/bus-scrub-panel';

export function HostRoute() {
  const { hostId = '' } = useParams();
  const host = useHost(hostId);
  return (
    <>
      <title>{`${host.data?.hostname ?? hostId} · daxfleet`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.fleet.getHref()}>Fleet</Link> <span aria-hidden="true">/</span> <span>{host.data?.hostname ?? hostId}</span>
      </nav>
      {host.isPending && <Loading label="Loading host" />}
      {host.isError && host.data === undefined && (
        <>
          <h1>{hostId}</h1>
          <ErrorMessage title="Could not load this host" error={host.error} onRetry={() => void host.refetch()} />
        </>
      )}
      {host.data !== undefined && (
        <>
          {host.isError && <ErrorMessage title="This page may be out of date: the last refresh failed" error={host.error} />}
          <HostHeader host={host.data} />
          <IfRole role="operator"><RescanButton hostId={host.data.id} /></IfRole>
          <p><Link to={paths.media.getHref(host.data.id)}>Media errors of {host.data.hostname}</Link>: its bad-block ledger, health over time and events</p>
          <p><Link to={paths.hostDax.getHref(host.data.id)}>DAX of {host.data.hostname}</Link>: filesystems and files with their DAX state, namespace and dax device modes, and changes</p>
          <BusScrubPanel hostId={host.data.id} buses={host.data.inventory.buses} />
          <section aria-labelledby="host-recovery-heading">
            <h2 id="host-recovery-heading">Recovery plans</h2>
            <RecoveryPlanList filter={{ host: host.data.id }} showHost={false} />
            <p><Link to={paths.recovery.list.getHref({ host: host.data.id })}>All recovery plans of {host.data.hostname}</Link></p>
          </section>
          <TopologyTree inventory={host.data.inventory} changeHref={(kind, target) => paths.hostDax.getHref(host.data.id, { kind, target })} />
          <InventoryHistory hostId={host.data.id} />
        </>
      )}
    </>
  );
}
