import { useHost } from '@/features/hosts/api/get-host';
import { useHosts } from '@/features/hosts/api/get-hosts';
import { isoToLocalInput, localInputToIso, type MediaFilter } from '../utils/filters';

/**
 * Host, state, DIMM and first-seen time range of the ledger. Every change applies at once (the caller keeps the
 * filter in the URL). DIMM names (nmemN) are per host, so the DIMM list is the chosen host's.
 */
export function MediaFilterBar({ filter, onChange }: { filter: MediaFilter; onChange: (next: MediaFilter) => void }) {
  const hosts = useHosts();
  const host = useHost(filter.host);
  const dimms = host.data?.inventory.buses.flatMap((bus) => bus.dimms.map((dimm) => dimm.dev)) ?? [];
  if (filter.dimm !== undefined && !dimms.includes(filter.dimm)) dimms.push(filter.dimm);
  const knownHosts = hosts.data?.hosts ?? [];
  const hostListed = filter.host === undefined || knownHosts.some((candidate) => candidate.id === filter.host);
  const set = (patch: Partial<MediaFilter>) => onChange({ ...filter, ...patch });
  return (
    <form className="form form--inline media-filter" aria-label="Filter media errors" onSubmit={(event) => event.preventDefault()}>
      <label className="form__field">
        <span>Host</span>
        <select value={filter.host ?? ''} onChange={(event) => set({ host: event.target.value === '' ? undefined : event.target.value, dimm: undefined })}>
          <option value="">every host</option>
          {knownHosts.map((candidate) => <option key={candidate.id} value={candidate.id}>{candidate.hostname}</option>)}
          {!hostListed && filter.host !== undefined && <option value={filter.host}>{filter.host}</option>}
        </select>
      </label>
      <label className="form__field">
        <span>State</span>
        <select value={filter.state ?? ''} onChange={(event) => set({ state: event.target.value === 'open' || event.target.value === 'cleared' ? event.target.value : undefined })}>
          <option value="">open and cleared</option>
          <option value="open">open</option>
          <option value="cleared">cleared</option>
        </select>
      </label>
      <label className="form__field">
        <span>DIMM</span>
        <select value={filter.dimm ?? ''} disabled={filter.host === undefined && filter.dimm === undefined} title={filter.host === undefined ? 'choose a host first: DIMM names are per host' : undefined}
          onChange={(event) => set({ dimm: event.target.value === '' ? undefined : event.target.value })}>
          <option value="">{filter.host === undefined ? 'choose a host first' : 'every DIMM'}</option>
          {dimms.map((dimm) => <option key={dimm} value={dimm}>{dimm}</option>)}
        </select>
      </label>
      <label className="form__field">
        <span>First seen from</span>
        <input type="datetime-local" value={isoToLocalInput(filter.since)} onChange={(event) => set({ since: localInputToIso(event.target.value) })} />
      </label>
      <label className="form__field">
        <span>First seen before</span>
        <input type="datetime-local" value={isoToLocalInput(filter.until)} onChange={(event) => set({ until: localInputToIso(event.target.value) })} />
      </label>
      {(filter.host ?? filter.state ?? filter.dimm ?? filter.since ?? filter.until) !== undefined && (
        <button type="button" className="button" onClick={() => onChange({})}>Clear filters</button>
      )}
    </form>
  );
}
