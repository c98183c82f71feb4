import { useEffect, useState } from 'react';

/** Seconds until `iso`, updated every second (0 once past). */
export function useSecondsLeft(iso: string): number {
  const deadline = new Date(iso).getTime();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.ceil((deadline - now) / 1000));
}

/** 599 -> "9:59" */
export function formatCountdown(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

/** "Executable for 9:59 more" as a timer; the screen reader announces it only when asked (aria-live off). */
export function ExpiryCountdown({ seconds }: { seconds: number }) {
  return (
    <p className="recovery-expiry">
      Executable for{' '}
      <span role="timer" aria-label="Time left to execute" aria-live="off">{formatCountdown(seconds)}</span>{' '}
      more; after that it must be planned again.
    </p>
  );
}
