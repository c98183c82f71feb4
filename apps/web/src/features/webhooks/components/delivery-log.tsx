import type { WebhookDelivery } from '@daxfleet/shared';
import { Badge } from '@/components/ui/badge';
import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { OptionalTime } from '@/components/ui/optional-time';
import { RelativeTime } from '@/components/ui/relative-time';
import { useDeliveries, useRedeliver } from '../api/webhooks';

function statusTone(status: WebhookDelivery['status']) {
  return status === 'delivered' ? 'good' : status === 'failed' ? 'danger' : 'warning';
}

function lastLatency(delivery: WebhookDelivery): string {
  const last = delivery.attempt_log.at(-1);
  return last === undefined ? '-' : `${Math.round(last.latency_ms)} ms`;
}

/**
 * One subscription's deliveries, newest first: status, attempts with each one's HTTP status or error and latency,
 * the next retry, and Redeliver (the same delivery id, so a receiver that saw it drops the duplicate). Live
 * `delivery` notices refresh it.
 */
export function DeliveryLog({ subscriptionId, name }: { subscriptionId: string; name: string }) {
  const deliveries = useDeliveries(subscriptionId);
  const redeliver = useRedeliver(subscriptionId);
  const list = deliveries.data?.pages.flatMap((page) => page.deliveries) ?? [];
  return (
    <section aria-label={`Deliveries of ${name}`} className="delivery-log">
      {deliveries.isPending && <Loading label="Loading deliveries" />}
      {deliveries.isError && <ErrorMessage title="Could not load the deliveries" error={deliveries.error} onRetry={() => void deliveries.refetch()} />}
      {redeliver.isError && <ErrorMessage title="The delivery was not queued again" error={redeliver.error} />}
      {deliveries.isSuccess && list.length === 0 && <p className="muted">No deliveries yet. "Send test" sends one now.</p>}
      {list.length > 0 && (
        <div className="table-wrap">
          <table className="table table--compact" aria-label={`Delivery log of ${name}`}>
            <thead>
              <tr><th scope="col">Created</th><th scope="col">Event</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Status codes</th><th scope="col">Latency (last)</th><th scope="col">Next attempt</th><th scope="col"><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {list.map((delivery) => (
                <tr key={delivery.id}>
                  <td><RelativeTime iso={delivery.created_at} /></td>
                  <td>
                    <code>{delivery.event_type}</code>
                    {delivery.host_id !== undefined && <span className="muted"> {delivery.host_id}</span>}
                    <div className="muted delivery-log__id" title="idempotency key: the same on every attempt">{delivery.id}</div>
                  </td>
                  <td>
                    <Badge tone={statusTone(delivery.status)}>{delivery.status}</Badge>
                    {delivery.delivered_at !== undefined && <> <RelativeTime iso={delivery.delivered_at} /></>}
                  </td>
                  <td>{delivery.attempts}</td>
                  <td>
                    {delivery.attempt_log.length === 0 ? <span className="muted">-</span> : delivery.attempt_log.map((attempt, index) => (
                      <span key={`${attempt.at}-${index}`} className="delivery-log__attempt" title={`${attempt.at}${attempt.error === undefined ? '' : `: ${attempt.error}`} (${Math.round(attempt.latency_ms)} ms)`}>
                        {attempt.status_code ?? attempt.error ?? 'error'}
                      </span>
                    ))}
                  </td>
                  <td>{lastLatency(delivery)}</td>
                  <td>{delivery.status === 'pending' ? <OptionalTime iso={delivery.next_attempt_at} absent="now" /> : <span className="muted">-</span>}</td>
                  <td>
                    {delivery.status !== 'pending' && (
                      <button type="button" className="button" disabled={redeliver.isPending} onClick={() => redeliver.mutate(delivery.id)}>Redeliver</button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {deliveries.hasNextPage && (
        <button type="button" className="button" disabled={deliveries.isFetchingNextPage} onClick={() => void deliveries.fetchNextPage()}>
          {deliveries.isFetchingNextPage ? 'Loading older deliveries…' : 'Show older deliveries'}
        </button>
      )}
    </section>
  );
}
