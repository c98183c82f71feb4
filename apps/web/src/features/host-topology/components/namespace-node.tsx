import type { Namespace } from '@daxfleet/shared';
import { useId } from 'react';
import { ModeBadge } from '@/components/pmem/mode-badge';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { DescriptionList } from '@/components/ui/description-list';
import { BadBlockTable } from './badblock-table';
import { ChangeModeLink } from './change-links';
import { DaxDeviceTable } from './dax-device-table';
import { WarningList } from './warning-list';

/** The device node a namespace ends in: a block device (raw, sector, fsdax) or a character device (devdax). */
function DeviceNode({ namespace }: { namespace: Namespace }) {
  if (namespace.blockdev !== undefined) {
    return (
      <p className="device-node">
        <span className="device-node__kind">block device</span> <code>/dev/{namespace.blockdev}</code>
      </p>
    );
  }
  // devdax: ndctl names the character devices in the namespace's dax region, not on the namespace itself
  const chardevs = namespace.chardev !== undefined
    ? [namespace.chardev]
    : (namespace.daxregion?.devices ?? []).map((device) => device.chardev);
  if (chardevs.length > 0) {
    return (
      <p className="device-node">
        <span className="device-node__kind">character {chardevs.length === 1 ? 'device' : 'devices'}</span>{' '}
        {chardevs.map((chardev, index) => (
          <span key={chardev}>{index > 0 && ', '}<code>/dev/{chardev}</code></span>
        ))}
      </p>
    );
  }
  return <p className="device-node muted">no device node{namespace.state === 'disabled' ? ' (namespace disabled)' : ''}</p>;
}

export function NamespaceNode({ namespace }: { namespace: Namespace }) {
  const headingId = useId();
  const daxDevices = namespace.daxregion?.devices ?? [];
  return (
    <section className="tree-node tree-node--namespace" aria-labelledby={headingId}>
      <div className="tree-node__head">
        <h5 id={headingId} className="tree-node__name">{namespace.dev}</h5>
        <ModeBadge mode={namespace.mode} />
        <Bytes value={namespace.size} />
        {namespace.state === 'disabled' && <Badge tone="warning">disabled</Badge>}
        {namespace.badblock_count > 0 && <Badge tone="danger">{namespace.badblock_count} bad blocks</Badge>}
        {namespace.size > 0 && <ChangeModeLink kind="namespace-reconfigure" target={namespace.dev} />}
      </div>
      <DeviceNode namespace={namespace} />
      <DescriptionList
        items={[
          namespace.map !== undefined && { term: 'map', value: namespace.map },
          namespace.state === 'disabled' && namespace.holder_class !== undefined && namespace.holder_class !== ''
            && { term: 'configured for', value: namespace.holder_class },
          namespace.raw_size !== undefined && { term: 'raw size', value: <Bytes value={namespace.raw_size} /> },
          namespace.data_offset !== undefined && { term: 'data offset', value: <Bytes value={namespace.data_offset} /> },
          namespace.align !== undefined && { term: 'align', value: <Bytes value={namespace.align} /> },
          namespace.sector_size !== undefined && { term: 'sector size', value: `${namespace.sector_size} B` },
          namespace.name !== undefined && namespace.name !== '' && { term: 'name', value: namespace.name },
          namespace.uuid !== undefined && { term: 'uuid', value: <code>{namespace.uuid}</code> },
          namespace.numa_node !== undefined && { term: 'numa node', value: namespace.numa_node },
          namespace.target_node !== undefined && { term: 'target node', value: namespace.target_node },
          namespace.resource !== undefined && { term: 'resource', value: <code>{namespace.resource}</code> },
        ]}
      />
      {namespace.daxregion !== undefined && (
        <DaxDeviceTable devices={daxDevices} caption={`Dax devices in dax region ${namespace.daxregion.id} of ${namespace.dev}`} />
      )}
      <BadBlockTable ranges={namespace.badblocks} caption={`Bad blocks in ${namespace.dev} (sectors, as ndctl -M lists them)`} />
      {namespace.blockdev !== undefined && (
        <BadBlockTable
          ranges={namespace.blockdev_badblocks ?? []}
          caption={`Bad blocks in /dev/${namespace.blockdev} (block-device-relative sectors)`}
        />
      )}
      <WarningList warnings={namespace.warnings} />
    </section>
  );
}
