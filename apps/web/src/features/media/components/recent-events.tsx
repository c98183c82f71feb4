import { Link } from 'react-router';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { RelativeTime } from '@/components/ui/relative-time';
import { paths } from '@/config/paths';
import { useMediaEvents, type EventFilter } from '../api/events';

function tone(type: string): BadgeTone {
  if (type === 'badblock-new' || type === 'dimm-health-state' || type === 'dimm-unclean-shutdown') return 'danger';
  if (type === 'badblock-cleared' || type === 'scrub-completed') return 'good';
  if (type.startsWith('scrub')) return 'info';
  return 'warning';
}

/** What the agents raised, newest first: the event's type, host, one-line summary, how and when it was found. */
export function RecentEvents({ filter }: { filter: EventFilter }) {
  const events = useMediaEvents(filter);
  const list = events.data?.pages.flatMap((page) => page.events) ?? [];
  return (
    <section aria-labelledby="media-events-heading" className="panel">
      <h2 id="media-events-heading">Recent events</h2>
      {events.isPending && <Loading label="Loading events" />}
      {events.isError && <ErrorMessage title="Could not load the events" error={events.error} onRetry={() => void events.refetch()} />}
      {events.isSuccess && list.length === 0 && <p className="muted">No media events recorded{filter.host === undefined ? '' : ' for this host'}.</p>}
      {list.length > 0 && (
        <ul className="media-events" aria-label="Media events">
          {list.map((event) => (
            <li key={`${event.host_id}:${event.id}`} className="media-events__item">
              <Badge tone={tone(event.type)}>{event.type}</Badge>{' '}
              <Link to={paths.host.getHref(event.host_id)}>{event.hostname}</Link>{' '}
              <span>{event.summary}</span>{' '}
              <span className="muted">({event.detected_by}, <RelativeTime iso={event.detected_at} />)</span>
            </li>
          ))}
        </ul>
      )}
      {events.hasNextPage && (
        <button type="button" className="button" disabled={events.isFetchingNextPage} onClick={() => void events.fetchNextPage()}>
          {events.isFetchingNextPage ? 'Loading older events…' : 'Show older events'}
        </button>
      )}
    </section>
  );
}
