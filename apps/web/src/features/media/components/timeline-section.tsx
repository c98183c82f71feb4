import { useQuery } from '@tanstack/react-query';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { mediaQueryKey, getLedger } from '../api/ledger';
import { useHealthHistory } from '../api/health';
import type { MediaFilter } from '../utils/filters';
import { BadBlockTimeline } from './badblock-timeline';
import { HealthChart } from './health-chart';

/** The most rows the hub returns in one page: the timeline is computed from one such page. */
export const TIMELINE_ROWS = 500;

/**
 * Bad blocks over time for the filter (open and cleared rows alike, whatever the state filter: a timeline needs
 * both), and, once a host is chosen, its DIMMs' health over time (one DIMM when the DIMM filter is set).
 */
export function TimelineSection({ filter }: { filter: MediaFilter }) {
  const timelineFilter: MediaFilter = { ...filter, state: undefined };
  const rows = useQuery({
    queryKey: [...mediaQueryKey, 'timeline', timelineFilter] as const,
    queryFn: ({ signal }) => getLedger({ filter: timelineFilter, limit: TIMELINE_ROWS, signal }),
  });
  const health = useHealthHistory(filter.host === undefined ? undefined : {
    host: filter.host, dimm: filter.dimm, since: filter.since, until: filter.until,
  });
  return (
    <section aria-labelledby="timeline-heading" className="panel">
      <h2 id="timeline-heading">Over time</h2>
      <h3>Bad blocks</h3>
      {rows.isPending && <Loading label="Loading the timeline" />}
      {rows.isError && <ErrorMessage title="Could not load the timeline" error={rows.error} onRetry={() => void rows.refetch()} />}
      {rows.data !== undefined && <BadBlockTimeline entries={rows.data.entries} truncated={rows.data.next_cursor !== undefined} />}
      <h3>DIMM health{filter.dimm === undefined ? '' : ` (${filter.dimm})`}</h3>
      {filter.host === undefined && <p className="muted">Choose a host (and a DIMM) to see its health over time.</p>}
      {health.isPending && filter.host !== undefined && <Loading label="Loading health samples" />}
      {health.isError && <ErrorMessage title="Could not load the health history" error={health.error} onRetry={() => void health.refetch()} />}
      {health.data !== undefined && health.data.samples.length === 0 && <p className="muted">No health samples recorded for this {filter.dimm === undefined ? 'host' : 'DIMM'} in this time range.</p>}
      {health.data !== undefined && health.data.samples.length > 0 && (
        <>
          <HealthChart samples={health.data.samples} metric="temperature_celsius" />
          <HealthChart samples={health.data.samples} metric="spares_percentage" />
          {health.data.truncated === true && <p className="muted">Only the newest samples of this time range are drawn: narrow the range to see older ones.</p>}
        </>
      )}
    </section>
  );
}
