import { FLEET_VIEW_LABELS, FLEET_VIEWS, parseFleetView, type FleetFilter } from '../utils/filter-hosts';

/** Narrow the fleet by name and by trouble; the choice lives in the URL so it can be shared. */
export function FleetFilterBar({ filter, onChange, shown, total }: {
  filter: FleetFilter; onChange: (filter: FleetFilter) => void; shown: number; total: number;
}) {
  return (
    <form className="fleet-filter" role="search" aria-label="Filter hosts" onSubmit={(event) => event.preventDefault()}>
      <input
        type="search"
        className="fleet-filter__query"
        aria-label="Host name or id"
        placeholder="Filter by host name or id"
        value={filter.query}
        onChange={(event) => onChange({ ...filter, query: event.target.value })}
      />
      <select
        aria-label="Show"
        value={filter.view}
        onChange={(event) => onChange({ ...filter, view: parseFleetView(event.target.value) })}
      >
        {FLEET_VIEWS.map((view) => <option key={view} value={view}>{FLEET_VIEW_LABELS[view]}</option>)}
      </select>
      <span className="muted" role="status">{shown === total ? `${total} ${total === 1 ? 'host' : 'hosts'}` : `${shown} of ${total} hosts`}</span>
    </form>
  );
}
