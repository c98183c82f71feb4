import { regionCapacity, type Region } from '@daxfleet/shared';
import { useId } from 'react';
import { CapacityBar } from '@/components/pmem/capacity-bar';
import { Badge } from '@/components/ui/badge';
import { Bytes } from '@/components/ui/bytes';
import { DescriptionList } from '@/components/ui/description-list';
import { formatInteger } from '@/lib/format';
import { BadBlockTable } from './badblock-table';
import { NamespaceNode } from './namespace-node';
import { WarningList } from './warning-list';

function Interleave({ region }: { region: Region }) {
  if (region.mappings.length === 0) return undefined;
  const ordered = [...region.mappings].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  return (
    <span>
      {ordered.length}-way:{' '}
      {ordered.map((mapping, index) => (
        <span key={`${mapping.dimm}@${mapping.offset}`} title={`offset ${formatInteger(mapping.offset)}, length ${formatInteger(mapping.length)} bytes`}>
          {index > 0 && ', '}
          {mapping.dimm}
        </span>
      ))}
    </span>
  );
}

export function RegionNode({ region }: { region: Region }) {
  const headingId = useId();
  return (
    <section className="tree-node tree-node--region" aria-labelledby={headingId}>
      <div className="tree-node__head">
        <h4 id={headingId} className="tree-node__name">{region.dev}</h4>
        <Badge tone="info">{region.type}</Badge>
        <Bytes value={region.size} />
        {region.state === 'disabled' && <Badge tone="warning">disabled</Badge>}
        {region.badblock_count > 0 && <Badge tone="danger">{region.badblock_count} bad blocks</Badge>}
      </div>
      <div className="region-capacity"><CapacityBar capacity={regionCapacity(region)} compact /></div>
      <DescriptionList
        items={[
          { term: 'interleave', value: <Interleave region={region} /> },
          region.available_size !== undefined && { term: 'available', value: <Bytes value={region.available_size} /> },
          region.max_available_extent !== undefined && { term: 'max extent', value: <Bytes value={region.max_available_extent} /> },
          region.align !== undefined && { term: 'align', value: <Bytes value={region.align} /> },
          region.persistence_domain !== undefined && { term: 'persistence domain', value: region.persistence_domain },
          region.numa_node !== undefined && { term: 'numa node', value: region.numa_node },
          region.target_node !== undefined && { term: 'target node', value: region.target_node },
          region.iset_id !== undefined && { term: 'iset id', value: <code>{region.iset_id}</code> },
          region.resource !== undefined && { term: 'resource', value: <code>{region.resource}</code> },
        ]}
      />
      <BadBlockTable ranges={region.badblocks} caption={`Bad blocks in ${region.dev} (region-relative sectors)`} />
      <WarningList warnings={region.warnings} />
      {region.namespaces.length === 0 ? (
        <p className="muted">No namespaces in {region.dev}.</p>
      ) : (
        <ul className="tree" aria-label={`Namespaces in ${region.dev}`}>
          {region.namespaces.map((namespace) => (
            <li key={namespace.dev}><NamespaceNode namespace={namespace} /></li>
          ))}
        </ul>
      )}
    </section>
  );
}
