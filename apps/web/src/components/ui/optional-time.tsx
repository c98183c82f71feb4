import { formatTimestamp } from '@/lib/format';
import { RelativeTime } from './relative-time';

/**
 * A timestamp that may be absent ("never", "no expiry"). Past times read "3 min ago"; future ones (an expiry)
 * show the date, since a relative clock reads "just now" for anything ahead.
 */
export function OptionalTime({ iso, absent }: { iso: string | undefined; absent: string }) {
  if (iso === undefined) return <span className="muted">{absent}</span>;
  const date = new Date(iso);
  if (!Number.isNaN(date.getTime()) && date.getTime() > Date.now()) {
    const short = date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    return <time dateTime={date.toISOString()} title={formatTimestamp(date)}>{short}</time>;
  }
  return <RelativeTime iso={iso} />;
}
