import { useEffect, useState } from 'react';
import { formatRelativeTime, formatTimestamp } from '@/lib/format';

function useNow(intervalMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "3 min ago", with the full timestamp on hover; re-renders every few seconds to stay current. */
export function RelativeTime({ iso }: { iso: string }) {
  const now = useNow(5000);
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={date.toISOString()} title={formatTimestamp(date)}>
      {formatRelativeTime(date, now)}
    </time>
  );
}
