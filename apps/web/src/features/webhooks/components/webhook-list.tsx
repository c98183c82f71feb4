import '@/features/media/media.css';
import type { WebhookSubscription } from '@daxfleet/shared';
import { useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { ConfirmButton } from '@/components/ui/confirm-button';
import { ErrorMessage } from '@/components/ui/error-message';
import { OptionalTime } from '@/components/ui/optional-time';
import { SecretDialog } from '@/components/ui/secret-dialog';
import { generateWebhookSecret, useDeleteWebhook, useTestWebhook, useUpdateWebhook } from '../api/webhooks';
import { DeliveryLog } from './delivery-log';
import { FORMAT_LABELS } from './create-webhook-form';

/** "24 h", "90 min", "45 s": how long retries go on. */
function formatAge(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60) return `${Math.round(seconds / 60)} min`;
  return `${seconds} s`;
}

function WebhookItem({ webhook }: { webhook: WebhookSubscription }) {
  const [showLog, setShowLog] = useState(false);
  const [rotated, setRotated] = useState<string | undefined>();
  const update = useUpdateWebhook();
  const remove = useDeleteWebhook();
  const test = useTestWebhook();
  return (
    <li className="webhook panel" aria-label={`Webhook ${webhook.name}`}>
      <div className="webhook__head">
        <h3>{webhook.name}</h3>
        <Badge tone={webhook.enabled ? 'good' : 'muted'}>{webhook.enabled ? 'enabled' : 'disabled'}</Badge>
        {webhook.pending_count > 0 && <Badge tone="warning">{`${webhook.pending_count} pending`}</Badge>}
      </div>
      <dl className="description-list">
        <div className="description-list__item"><dt>URL</dt><dd><code>{webhook.url}</code></dd></div>
        <div className="description-list__item"><dt>format</dt><dd>{FORMAT_LABELS[webhook.format]}</dd></div>
        <div className="description-list__item"><dt>events</dt><dd>{webhook.event_types.length === 0 ? 'all' : webhook.event_types.join(', ')}</dd></div>
        <div className="description-list__item"><dt>hosts</dt><dd>{webhook.host_ids.length === 0 ? 'all' : webhook.host_ids.join(', ')}</dd></div>
        <div className="description-list__item"><dt>secret</dt><dd><code>{webhook.secret_prefix.startsWith('sha256:') ? webhook.secret_prefix : `${webhook.secret_prefix}…`}</code>{webhook.secret_prefix.startsWith('sha256:') ? ' (fingerprint of the secret you set)' : ''}</dd></div>
        <div className="description-list__item"><dt>retries for</dt><dd>{formatAge(webhook.max_age_seconds)}</dd></div>
        <div className="description-list__item"><dt>last delivery</dt><dd><OptionalTime iso={webhook.last_delivery_at} absent="never" />{webhook.last_status !== undefined && ` (${webhook.last_status})`}</dd></div>
      </dl>
      <div className="actions">
        <button type="button" className="button" disabled={test.isPending} onClick={() => test.mutate(webhook.id, { onSuccess: () => setShowLog(true) })}>
          {test.isPending ? 'Sending…' : 'Send test'}
        </button>
        <button type="button" className="button" disabled={update.isPending} onClick={() => update.mutate({ id: webhook.id, body: { enabled: !webhook.enabled } })}>
          {webhook.enabled ? 'Disable' : 'Enable'}
        </button>
        <ConfirmButton label="Rotate secret" confirmLabel="Yes, rotate" question="Rotate the secret? Receivers must switch to the new one."
          disabled={update.isPending} onConfirm={() => {
            const secret = generateWebhookSecret();
            update.mutate({ id: webhook.id, body: { secret } }, { onSuccess: () => setRotated(secret) });
          }} />
        <ConfirmButton label="Delete" confirmLabel="Yes, delete" question={`Delete ${webhook.name}? Its pending deliveries are dropped.`}
          disabled={remove.isPending} onConfirm={() => remove.mutate(webhook.id)} />
        <button type="button" className="button" aria-expanded={showLog} onClick={() => setShowLog(!showLog)}>
          {showLog ? 'Hide deliveries' : 'Show deliveries'}
        </button>
        <span role="status" className="host-actions__status">{test.isSuccess && 'Test queued: it shows in the delivery log.'}</span>
      </div>
      {test.isError && <ErrorMessage title="The test was not sent" error={test.error} />}
      {update.isError && <ErrorMessage title="The webhook was not changed" error={update.error} />}
      {remove.isError && <ErrorMessage title="The webhook was not deleted" error={remove.error} />}
      {showLog && <DeliveryLog subscriptionId={webhook.id} name={webhook.name} />}
      {rotated !== undefined && (
        <SecretDialog title={`New signing secret of webhook "${webhook.name}"`} secret={rotated} onClose={() => setRotated(undefined)}>
          <p>Deliveries are signed with it from now on, retries of older ones included: give it to the receiver.</p>
        </SecretDialog>
      )}
    </li>
  );
}

/** Every subscription with its actions (test, enable/disable, rotate secret, delete) and its delivery log. */
export function WebhookList({ webhooks }: { webhooks: readonly WebhookSubscription[] }) {
  if (webhooks.length === 0) return <p className="muted">No webhooks yet: add one to be told of new bad blocks and DIMM health changes.</p>;
  return <ul className="webhook-list" aria-label="Webhooks">{webhooks.map((webhook) => <WebhookItem key={webhook.id} webhook={webhook} />)}</ul>;
}
