import type { HostSummary } from '@daxfleet/shared';
import { BadBlockCount } from '@/components/pmem/badblock-count';
import { CapacityBar } from '@/components/pmem/capacity-bar';
import { HealthSummary } from '@/components/pmem/health-summary';
import { OnlineBadge } from '@/components/pmem/online-badge';
import { Bytes } from '@/components/ui/bytes';
import { DescriptionList } from '@/components/ui/description-list';
import { RelativeTime } from '@/components/ui/relative-time';

/** The host page's title block: who the host is, when it reported, and its summary. */
export function HostHeader({ host }: { host: HostSummary }) {
  const { summary } = host;
  return (
    <header className="host-header">
      <div className="host-header__title">
        <h1>{host.hostname}</h1>
        <OnlineBadge online={host.online} />
      </div>
      <DescriptionList
        className="host-header__meta"
        items={[
          { term: 'Host id', value: <code>{host.id}</code> },
          { term: 'sysfs root', value: <code>{host.sysfs_root}</code> },
          { term: 'Agent', value: host.agent_version },
          { term: 'Last seen', value: <RelativeTime iso={host.last_seen} /> },
          { term: 'First seen', value: <RelativeTime iso={host.first_seen} /> },
          { term: 'Inventory version', value: host.inventory_version },
        ]}
      />
      <div className="host-header__summary">
        <div className="host-header__capacity">
          <h2 className="host-header__label">Capacity <Bytes value={summary.total_capacity} /></h2>
          <CapacityBar capacity={summary.capacity_by_mode} />
        </div>
        <DescriptionList
          items={[
            { term: 'DIMMs', value: summary.dimm_count },
            { term: 'Regions', value: summary.region_count },
            { term: 'Namespaces', value: summary.namespace_count },
            { term: 'DIMM health', value: <HealthSummary health={summary.health} dimmCount={summary.dimm_count} /> },
            { term: 'Open bad blocks', value: <BadBlockCount count={summary.badblock_count} /> },
            { term: 'Scan warnings', value: summary.warning_count },
          ]}
        />
      </div>
    </header>
  );
}
