import '@/features/media/media.css';
import { useMediaStream, type StreamState } from '../api/media-stream';

const LABELS: Record<StreamState, { text: string; title: string }> = {
  live: { text: 'live', title: 'Receiving updates from the hub as agents report' },
  connecting: { text: 'connecting…', title: 'Opening the live update stream to the hub' },
  reconnecting: { text: 'reconnecting…', title: 'The live update stream dropped; pages refresh by polling until it is back' },
  unsupported: { text: 'not live', title: 'This browser has no EventSource: pages refresh by polling' },
};

/**
 * Holds the app's one live stream (mounted once in the layout of logged-in pages) and says whether it is up:
 * a green dot for "live", amber while (re)connecting.
 */
export function LiveIndicator() {
  const state = useMediaStream();
  const label = LABELS[state];
  return (
    <span className={`live-indicator live-indicator--${state}`} role="status" aria-label={`Live updates: ${label.text}`} title={label.title}>
      <span className="live-indicator__dot" aria-hidden="true" />
      {label.text}
    </span>
  );
}
