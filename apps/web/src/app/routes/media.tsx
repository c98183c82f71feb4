import { useSearchParams } from 'react-router';
import { LedgerSection } from '@/features/media/components/ledger-section';
import { MediaFilterBar } from '@/features/media/components/media-filter';
import { RecentEvents } from '@/features/media/components/recent-events';
import { TimelineSection } from '@/features/media/components/timeline-section';
import { mediaFilterToParams, parseMediaFilter, type MediaFilter } from '@/features/media/utils/filters';
import { FleetScrubPanel } from '@/features/scrub/components/fleet-scrub-panel';

/** Media errors across the fleet: the bad-block ledger under the URL's filters, its timeline, health, events, scrubs. */
export function MediaRoute() {
  const [searchParams, setSearchParams] = useSearchParams();
  const filter = parseMediaFilter(searchParams);
  const setFilter = (next: MediaFilter) => setSearchParams(mediaFilterToParams(next), { replace: true });
  return (
    <>
      <title>Media errors · daxfleet</title>
      <div className="page-title"><h1>Media errors</h1></div>
      <MediaFilterBar filter={filter} onChange={setFilter} />
      <LedgerSection filter={filter} />
      <TimelineSection filter={filter} />
      <RecentEvents filter={{ host: filter.host, since: filter.since }} />
      <FleetScrubPanel />
    </>
  );
}
