import type { DaxDevice } from '@daxfleet/shared';
import { useContext } from 'react';
import { ModeBadge } from '@/components/pmem/mode-badge';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { ChangeHrefContext, ChangeModeLink } from './change-links';
import { Missing } from './missing';

function MemoryBlocks({ device }: { device: DaxDevice }) {
  if (device.mode !== 'system-ram') return <span className="muted" title="devdax devices are not onlined as memory">n/a</span>;
  if (device.online_memblocks === undefined || device.total_memblocks === undefined) return <Missing />;
  const partial = device.online_memblocks !== device.total_memblocks;
  return (
    <span className={partial ? 'text-warning' : undefined}>
      {device.online_memblocks}/{device.total_memblocks} online
      {device.movable !== undefined && <span className="muted"> ({device.movable ? 'ZONE_MOVABLE' : 'ZONE_NORMAL'})</span>}
    </span>
  );
}

/** Device-DAX character devices: /dev/daxX.Y, as devdax or onlined as system-ram. */
export function DaxDeviceTable({ devices, caption }: { devices: readonly DaxDevice[]; caption: string }) {
  const changeHref = useContext(ChangeHrefContext);
  if (devices.length === 0) return <p className="muted">{caption}: none.</p>;
  return (
    <table className="table table--compact dax-device-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Character device</th>
          <th scope="col">Mode</th>
          <th scope="col">Size</th>
          <th scope="col">Memory blocks</th>
          <th scope="col">Target node</th>
          <th scope="col">Align</th>
          <th scope="col">State</th>
          {changeHref !== undefined && <th scope="col">Actions</th>}
        </tr>
      </thead>
      <tbody>
        {devices.map((device) => (
          <tr key={device.chardev}>
            <th scope="row"><code>/dev/{device.chardev}</code></th>
            <td><ModeBadge mode={device.mode} /></td>
            <td><Bytes value={device.size} /></td>
            <td><MemoryBlocks device={device} /></td>
            <td>{device.target_node ?? <Missing />}</td>
            <td>{device.align === undefined ? <Missing /> : <Bytes value={device.align} />}</td>
            <td>{device.state === undefined ? <Missing /> : device.state === 'enabled' ? 'enabled' : <Badge tone="warning">disabled</Badge>}</td>
            {changeHref !== undefined && <td><ChangeModeLink kind="daxdev-reconfigure" target={device.chardev} /></td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
