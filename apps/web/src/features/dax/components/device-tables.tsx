/**
 * The host's regions, namespaces and dax devices with the changes each offers; a button opens the change form
 * (onStart) for its kind and target.
 */
import type { Inventory } from '@daxfleet/shared';
import { ModeBadge } from '@/components/pmem/mode-badge';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { listDaxDevices, listNamespaces, listRegions, regionFreeSpace, isSeedNamespace } from '../utils/device-targets';
import type { DeviceChangeKind } from './device-change-form';

type Start = (kind: DeviceChangeKind, target: string) => void;

const absent = <span className="muted">—</span>;

export function RegionTable({ inventory, onStart }: { inventory: Inventory; onStart: Start }) {
  const regions = listRegions(inventory).filter((region) => region.type === 'pmem');
  if (regions.length === 0) return <p className="muted">No pmem regions on this host.</p>;
  return (
    <table className="table table--compact" aria-label="Regions">
      <thead><tr><th scope="col">Region</th><th scope="col">Size</th><th scope="col">Available</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
      <tbody>
        {regions.map((region) => {
          const free = regionFreeSpace(region);
          return (
            <tr key={region.dev}>
              <th scope="row">{region.dev}</th>
              <td><Bytes value={region.size} /></td>
              <td>{free === undefined ? absent : <Bytes value={free} />}</td>
              <td>{region.state}</td>
              <td>
                <button type="button" className="button" aria-label={`Create namespace in ${region.dev}`}
                  disabled={free === undefined || free === 0 || region.state !== 'enabled'}
                  title={free === 0 ? 'no free space in this region' : undefined}
                  onClick={() => onStart('namespace-create', region.dev)}>Create namespace…</button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function NamespaceTable({ inventory, onStart }: { inventory: Inventory; onStart: Start }) {
  const namespaces = listNamespaces(inventory).filter(({ namespace }) => !isSeedNamespace(namespace));
  if (namespaces.length === 0) return <p className="muted">No namespaces on this host.</p>;
  return (
    <table className="table table--compact" aria-label="Namespaces">
      <thead>
        <tr>
          <th scope="col">Namespace</th><th scope="col">Region</th><th scope="col">Mode</th><th scope="col">Size</th><th scope="col">Align</th>
          <th scope="col">Map</th><th scope="col">Sector size</th><th scope="col">Device</th><th scope="col">State</th><th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {namespaces.map(({ namespace, region }) => (
          <tr key={namespace.dev}>
            <th scope="row">{namespace.dev}{namespace.name !== undefined && namespace.name !== '' && <div className="muted">{namespace.name}</div>}</th>
            <td>{region}</td>
            <td><ModeBadge mode={namespace.mode} /></td>
            <td><Bytes value={namespace.size} /></td>
            <td>{namespace.align === undefined ? absent : <Bytes value={namespace.align} />}</td>
            <td>{namespace.map ?? absent}</td>
            <td>{namespace.sector_size === undefined ? absent : `${namespace.sector_size} B`}</td>
            <td>{namespace.blockdev !== undefined ? <code>/dev/{namespace.blockdev}</code>
              : (namespace.daxregion?.devices ?? []).map((device) => <code key={device.chardev}>/dev/{device.chardev} </code>)}</td>
            <td>{namespace.state === 'enabled' ? 'enabled' : <Badge tone="warning">disabled</Badge>}</td>
            <td><div className="actions">
              <button type="button" className="button" aria-label={`Change mode of ${namespace.dev}`} onClick={() => onStart('namespace-reconfigure', namespace.dev)}>Change mode…</button>
              <button type="button" className="button button--danger" aria-label={`Destroy ${namespace.dev}`} onClick={() => onStart('namespace-destroy', namespace.dev)}>Destroy…</button>
            </div></td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DaxDeviceChangeTable({ inventory, onStart }: { inventory: Inventory; onStart: Start }) {
  const devices = listDaxDevices(inventory);
  if (devices.length === 0) return <p className="muted">No dax devices on this host.</p>;
  return (
    <table className="table table--compact" aria-label="Dax devices">
      <thead>
        <tr>
          <th scope="col">Device</th><th scope="col">Namespace</th><th scope="col">Mode</th><th scope="col">Size</th><th scope="col">Memory</th>
          <th scope="col">Align</th><th scope="col">State</th><th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {devices.map(({ device, namespace }) => {
          const systemRam = device.mode === 'system-ram';
          const allOnline = device.online_memblocks !== undefined && device.online_memblocks === device.total_memblocks;
          return (
            <tr key={device.chardev}>
              <th scope="row"><code>{device.chardev}</code></th>
              <td>{namespace ?? absent}</td>
              <td><ModeBadge mode={device.mode} /></td>
              <td><Bytes value={device.size} /></td>
              <td>{systemRam
                ? `${device.online_memblocks ?? '?'}/${device.total_memblocks ?? '?'} blocks online${device.movable === undefined ? '' : device.movable ? ', movable' : ', not movable'}`
                : 'n/a'}</td>
              <td>{device.align === undefined ? absent : <Bytes value={device.align} />}</td>
              <td>{device.state ?? absent}</td>
              <td><div className="actions">
                {systemRam
                  ? (
                    <>
                      <button type="button" className="button" aria-label={`Change ${device.chardev} to devdax`} onClick={() => onStart('daxdev-reconfigure', device.chardev)}>To devdax…</button>
                      <button type="button" className="button" aria-label={`Online memory of ${device.chardev}`} disabled={allOnline} onClick={() => onStart('daxdev-online', device.chardev)}>Online memory…</button>
                      <button type="button" className="button" aria-label={`Offline memory of ${device.chardev}`} disabled={device.online_memblocks === 0} onClick={() => onStart('daxdev-offline', device.chardev)}>Offline memory…</button>
                    </>
                  )
                  : <button type="button" className="button" aria-label={`Change ${device.chardev} to system-ram`} onClick={() => onStart('daxdev-reconfigure', device.chardev)}>To system-ram…</button>}
              </div></td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
