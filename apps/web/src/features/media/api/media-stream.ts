/**
 * The app's one EventSource to GET /media/stream (the session cookie authenticates it). The hub sends
 * `ingested` after a report's transaction committed and `delivery` when a webhook delivery changed state; the UI
 * does not patch caches from them but invalidates the queries they touch (ledger, events, hosts; webhooks), so
 * what shows is always the hub's answer. After the stream was down, everything it covers is refetched once, since
 * notices sent meanwhile are lost (the rows are not). `recovery` says a recovery plan was created or moved on
 * (a step, progress, its verdict): the plan and the plan lists are refetched.
 */
import type { RecoveryPlan, RecoveryPlanList, StoredEvent } from '@daxfleet/shared';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { env } from '@/config/env';
import { hostsQueryKey } from '@/features/hosts/api/get-hosts';
import { recoveryPlanQueryKey, recoveryQueryKey } from '@/features/recovery/api/recovery-plans';
import { webhooksQueryKey } from '@/features/webhooks/api/webhooks';
import { mediaQueryKey } from './ledger';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'unsupported';

export type IngestedMessage = { host_id: string; inventory_changed: boolean; events: StoredEvent[] };
export type DeliveryMessage = { id: string; subscription_id: string; status: string };
export type RecoveryMessage = { id: string; host_id: string; status: string; seq: number };

export const MEDIA_STREAM_PATH = '/media/stream';

/** Waits before reopening a stream the hub closed (refused or restarted): 1 s, doubling up to 30 s. */
export function reconnectDelayMs(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, failures - 1));
}

function parse<T>(event: MessageEvent): T | undefined {
  try {
    return JSON.parse(String(event.data)) as T;
  } catch {
    return undefined;
  }
}

// a notice refreshes what is shown, but never restarts a fetch already in flight: at fleet scale notices come faster
// than a slow query answers, and restarting it each time would keep it from ever settling
const KEEP_IN_FLIGHT = { cancelRefetch: false } as const;

export function applyIngested(queryClient: QueryClient, message: IngestedMessage | undefined): void {
  void queryClient.invalidateQueries({ queryKey: mediaQueryKey }, KEEP_IN_FLIGHT);
  if (message === undefined || message.inventory_changed || message.events.length > 0) {
    void queryClient.invalidateQueries({ queryKey: hostsQueryKey }, KEEP_IN_FLIGHT);
  }
}

/** At most one refresh per interval for `ingested` notices. */
export const INGESTED_COALESCE_MS = 1000;

/**
 * Folds a burst of `ingested` notices into few refreshes: the first applies at once, the ones that follow within
 * `intervalMs` are merged into one at its end (hosts refreshed if any of them changed an inventory or brought
 * events). 500 hosts reporting health samples make several notices a second; each open tab then refreshes once a
 * second, not on every notice.
 */
export function coalesceIngested(apply: (message: IngestedMessage | undefined) => void, intervalMs = INGESTED_COALESCE_MS): {
  push(message: IngestedMessage | undefined): void;
  cancel(): void;
} {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let held: { message: IngestedMessage | undefined } | undefined;
  const merge = (a: IngestedMessage | undefined, b: IngestedMessage | undefined): IngestedMessage | undefined => {
    if (a === undefined || b === undefined) return undefined; // unknown: refresh everything
    return { host_id: b.host_id, inventory_changed: a.inventory_changed || b.inventory_changed, events: [...a.events, ...b.events] };
  };
  const tick = (): void => {
    if (held === undefined) {
      timer = undefined;
      return;
    }
    apply(held.message);
    held = undefined;
    timer = setTimeout(tick, intervalMs);
  };
  return {
    push(message) {
      if (timer === undefined) {
        apply(message);
        timer = setTimeout(tick, intervalMs);
        return;
      }
      held = held === undefined ? { message } : { message: merge(held.message, message) };
    },
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      held = undefined;
    },
  };
}

export function applyDelivery(queryClient: QueryClient, message: DeliveryMessage | undefined): void {
  void queryClient.invalidateQueries({ queryKey: message === undefined ? webhooksQueryKey : [...webhooksQueryKey, message.subscription_id] });
  // the list's pending count and last status
  void queryClient.invalidateQueries({ queryKey: webhooksQueryKey, exact: true });
}

/**
 * The status this page last fetched for a plan: its own query, else any cached list that shows it; undefined when
 * no query holds it (a new plan, or one never shown).
 */
function cachedPlanStatus(queryClient: QueryClient, planId: string): string | undefined {
  const plan = queryClient.getQueryData<RecoveryPlan>(recoveryPlanQueryKey(planId));
  if (plan !== undefined) return plan.status;
  for (const [, list] of queryClient.getQueriesData<RecoveryPlanList>({ queryKey: [...recoveryQueryKey, 'list'] })) {
    const listed = list?.plans.find((p) => p.id === planId);
    if (listed !== undefined) return listed.status;
  }
  return undefined;
}

/**
 * A plan moved on: refetch it; refetch the lists only when its status changed from the one cached (or none is),
 * since an executing plan sends a notice at every progress tick and the lists show only the status. Unknown (after
 * an outage): every recovery query.
 */
export function applyRecovery(queryClient: QueryClient, message: RecoveryMessage | undefined): void {
  if (message === undefined) {
    void queryClient.invalidateQueries({ queryKey: recoveryQueryKey });
    return;
  }
  const known = cachedPlanStatus(queryClient, message.id);
  void queryClient.invalidateQueries({ queryKey: recoveryPlanQueryKey(message.id) }, KEEP_IN_FLIGHT);
  if (known === undefined || known !== message.status) {
    void queryClient.invalidateQueries({ queryKey: [...recoveryQueryKey, 'list'] }, KEEP_IN_FLIGHT);
  }
}

/*
 * The stream's state, for pages that fall back to polling while it is down (a recovery in progress). The one
 * EventSource is owned by useMediaStream (mounted once); others read its state here without opening another.
 */
let currentStreamState: StreamState = 'connecting';
const streamStateListeners = new Set<() => void>();
function publishStreamState(state: StreamState): void {
  currentStreamState = state;
  for (const listener of streamStateListeners) listener();
}

/** The live stream's state as the mounted useMediaStream last saw it (no stream mounted: 'connecting'). */
export function useMediaStreamState(): StreamState {
  return useSyncExternalStore(
    (listener) => {
      streamStateListeners.add(listener);
      return () => streamStateListeners.delete(listener);
    },
    () => currentStreamState,
  );
}

/**
 * Opens the stream while mounted (mount it once, in the layout of logged-in pages) and returns its state.
 * EventSource reconnects by itself after a dropped connection; when the hub refuses or closes it for good
 * (readyState CLOSED), this reopens it with a growing delay.
 */
export function useMediaStream(): StreamState {
  const queryClient = useQueryClient();
  const supported = typeof EventSource !== 'undefined';
  const [state, setState] = useState<StreamState>(supported ? 'connecting' : 'unsupported');
  useEffect(() => publishStreamState(state), [state]);
  useEffect(() => {
    if (!supported) return undefined;
    let source: EventSource | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let wasLive = false;
    let stopped = false;
    const ingested = coalesceIngested((message) => applyIngested(queryClient, message));
    const open = () => {
      source = new EventSource(`${env.apiBaseUrl}${MEDIA_STREAM_PATH}`, { withCredentials: true });
      source.onopen = () => {
        failures = 0;
        setState('live');
        // notices sent while the stream was down are lost: refetch what they would have refreshed
        if (wasLive) {
          ingested.push(undefined);
          applyDelivery(queryClient, undefined);
          applyRecovery(queryClient, undefined);
        }
        wasLive = true;
      };
      source.addEventListener('ingested', (event) => ingested.push(parse<IngestedMessage>(event as MessageEvent)));
      source.addEventListener('delivery', (event) => applyDelivery(queryClient, parse<DeliveryMessage>(event as MessageEvent)));
      source.addEventListener('recovery', (event) => applyRecovery(queryClient, parse<RecoveryMessage>(event as MessageEvent)));
      source.onerror = () => {
        if (stopped || source === undefined) return;
        setState(wasLive ? 'reconnecting' : 'connecting');
        if (source.readyState === EventSource.CLOSED) {
          failures += 1;
          source = undefined;
          timer = setTimeout(open, reconnectDelayMs(failures));
        }
      };
    };
    open();
    return () => {
      stopped = true;
      publishStreamState('connecting');
      ingested.cancel();
      if (timer !== undefined) clearTimeout(timer);
      source?.close();
    };
  }, [queryClient, supported]);
  return state;
}
