import type { HostSummary } from '@daxfleet/shared';

export const FLEET_VIEWS = ['all', 'offline', 'badblocks', 'unhealthy'] as const;
export type FleetView = (typeof FLEET_VIEWS)[number];

export const FLEET_VIEW_LABELS: Record<FleetView, string> = {
  all: 'All hosts',
  offline: 'Offline',
  badblocks: 'With bad blocks',
  unhealthy: 'With unhealthy DIMMs',
};

export type FleetFilter = { query: string; view: FleetView };

export function parseFleetView(value: string | null): FleetView {
  return FLEET_VIEWS.find((view) => view === value) ?? 'all';
}

function matchesView(host: HostSummary, view: FleetView): boolean {
  const { health, badblock_count: badblocks } = host.summary;
  switch (view) {
    case 'all': return true;
    case 'offline': return !host.online;
    case 'badblocks': return badblocks > 0;
    case 'unhealthy': return health['non-critical'] + health.critical + health.fatal > 0;
  }
}

/** Hosts whose hostname or id contains the query (case-insensitive) and that belong to the chosen view. */
export function filterHosts(hosts: readonly HostSummary[], filter: FleetFilter): HostSummary[] {
  const query = filter.query.trim().toLowerCase();
  return hosts.filter((host) => matchesView(host, filter.view)
    && (query === '' || host.hostname.toLowerCase().includes(query) || host.id.toLowerCase().includes(query)));
}
