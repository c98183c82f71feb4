/*
 * The DAX page of one host, /hosts/:hostId/dax: its filesystems and how DAX is given on each, a path browser with
 * each file's flag / effective state / why pending, "Set DAX policy…", the namespaces and dax devices with their
 * changes (?change=KIND&target=DEV opens a form: links from the host's topology use it), and its recent changes.
 */
import { useSearchParams, Link } from 'react-router';
import { useState } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { paths } from '@/config/paths';
import { useHost } from '@/features/hosts/api/get-host';
import { DaxChangeList } from './change-list';
import { DEVICE_CHANGE_KINDS, DeviceChangeForm, type DeviceChangeKind } from './device-change-form';
import { DaxDeviceChangeTable, NamespaceTable, RegionTable } from './device-tables';
import { FilesystemTable } from './filesystem-table';
import { PathBrowser } from './path-browser';
import { PolicyForm } from './policy-form';
import '../dax.css';

function isDeviceKind(kind: string | null): kind is DeviceChangeKind {
  return DEVICE_CHANGE_KINDS.some((candidate) => candidate === kind);
}

export function HostDaxPage({ hostId }: { hostId: string }) {
  const host = useHost(hostId);
  const [searchParams, setSearchParams] = useSearchParams();
  const [browseRequest, setBrowseRequest] = useState<{ path: string } | undefined>(undefined);
  const [policyPath, setPolicyPath] = useState<string | undefined>(undefined);
  const kind = searchParams.get('change');
  const target = searchParams.get('target');
  const startDevice = (next: DeviceChangeKind, dev: string) => setSearchParams({ change: next, target: dev }, { replace: true });
  const closeDevice = () => setSearchParams({}, { replace: true });
  const hostname = host.data?.hostname ?? hostId;

  return (
    <>
      <title>{`DAX · ${hostname} · daxfleet`}</title>
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to={paths.fleet.getHref()}>Fleet</Link> <span aria-hidden="true">/</span>{' '}
        <Link to={paths.host.getHref(hostId)}>{hostname}</Link> <span aria-hidden="true">/</span> <span>DAX</span>
      </nav>
      <div className="page-title"><h1>DAX on {hostname}</h1></div>
      {host.isPending && <Loading label="Loading host" />}
      {host.data === undefined && host.isError && <ErrorMessage title="Could not load this host" error={host.error} onRetry={() => void host.refetch()} />}
      {host.data !== undefined && (
        <>
          <FilesystemTable filesystems={host.data.inventory.filesystems} onBrowse={(path) => setBrowseRequest({ path })} />
          <PathBrowser hostId={hostId} initialPath={host.data.inventory.filesystems?.[0]?.mountpoint} requested={browseRequest} onPolicy={setPolicyPath} />
          {policyPath !== undefined && <PolicyForm key={policyPath} hostId={hostId} path={policyPath} onCancel={() => setPolicyPath(undefined)} />}

          <section aria-labelledby="dax-devices-heading">
            <h2 id="dax-devices-heading">Namespaces and dax devices</h2>
            {isDeviceKind(kind) && target !== null && target !== '' && (
              <DeviceChangeForm key={`${kind}:${target}`} hostId={hostId} inventory={host.data.inventory} kind={kind} target={target} onCancel={closeDevice} />
            )}
            <h3>Regions</h3>
            <RegionTable inventory={host.data.inventory} onStart={startDevice} />
            <h3>Namespaces</h3>
            <NamespaceTable inventory={host.data.inventory} onStart={startDevice} />
            <h3>Dax devices</h3>
            <DaxDeviceChangeTable inventory={host.data.inventory} onStart={startDevice} />
          </section>

          <section aria-labelledby="dax-changes-heading">
            <h2 id="dax-changes-heading">Recent DAX changes</h2>
            <DaxChangeList filter={{ host: hostId }} showHost={false} />
          </section>
        </>
      )}
    </>
  );
}
