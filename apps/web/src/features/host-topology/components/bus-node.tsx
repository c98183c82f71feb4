import type { Bus } from '@daxfleet/shared';
import { useId } from 'react';
import { Badge } from '@/components/ui/badge';
import { DescriptionList } from '@/components/ui/description-list';
import { DimmTable } from './dimm-table';
import { RegionNode } from './region-node';
import { WarningList } from './warning-list';

export function BusNode({ bus }: { bus: Bus }) {
  const headingId = useId();
  return (
    <section className="tree-node tree-node--bus" aria-labelledby={headingId}>
      <div className="tree-node__head">
        <h3 id={headingId} className="tree-node__name">{bus.dev}</h3>
        <span className="muted">{bus.provider}</span>
        {bus.scrub_state === 'active' && <Badge tone="info">scrub running</Badge>}
      </div>
      <DescriptionList
        items={[
          bus.scrub_state !== undefined && { term: 'scrub', value: bus.scrub_state },
          bus.scrub_count !== undefined && { term: 'scrubs completed', value: bus.scrub_count },
        ]}
      />
      <WarningList warnings={bus.warnings} />
      <DimmTable dimms={bus.dimms} busDev={bus.dev} />
      {bus.regions.length === 0 ? (
        <p className="muted">No regions on {bus.dev}.</p>
      ) : (
        <ul className="tree" aria-label={`Regions on ${bus.dev}`}>
          {bus.regions.map((region) => <li key={region.dev}><RegionNode region={region} /></li>)}
        </ul>
      )}
    </section>
  );
}
