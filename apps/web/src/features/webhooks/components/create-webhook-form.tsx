import { MEDIA_EVENT_TYPES, type MediaEventType, type WebhookFormat } from '@daxfleet/shared';
import { useState, type FormEvent } from 'react';
import { ErrorMessage } from '@/components/ui/error-message';
import { SecretDialog } from '@/components/ui/secret-dialog';
import { useHosts } from '@/features/hosts/api/get-hosts';
import { useCreateWebhook, type CreateWebhookBody, type WebhookWithSecret } from '../api/webhooks';

export const FORMAT_LABELS: Record<WebhookFormat, string> = {
  daxfleet: 'daxfleet JSON',
  alertmanager: 'Alertmanager webhook (v4)',
  cloudevents: 'CloudEvents 1.0 (structured JSON)',
};

function selected(select: HTMLSelectElement): string[] {
  return [...select.selectedOptions].map((option) => option.value);
}

/**
 * A new subscription: where to POST, in which format, which event types and hosts (none chosen: all), how long
 * to keep retrying. The hub generates the signing secret unless one is given, and shows it once.
 */
export function CreateWebhookForm() {
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [format, setFormat] = useState<WebhookFormat>('daxfleet');
  const [eventTypes, setEventTypes] = useState<MediaEventType[]>([]);
  const [hostIds, setHostIds] = useState<string[]>([]);
  const [maxAgeHours, setMaxAgeHours] = useState('');
  const [created, setCreated] = useState<WebhookWithSecret | undefined>();
  const hosts = useHosts();
  const create = useCreateWebhook();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body: CreateWebhookBody = { name: name.trim(), url: url.trim(), format, event_types: eventTypes, host_ids: hostIds };
    if (maxAgeHours.trim() !== '') body.max_age_seconds = Math.round(Number(maxAgeHours) * 3600);
    create.mutate(body, {
      onSuccess: (subscription) => {
        setCreated(subscription);
        setName('');
        setUrl('');
        setEventTypes([]);
        setHostIds([]);
        setMaxAgeHours('');
      },
    });
  };
  return (
    <section aria-labelledby="create-webhook-heading" className="panel">
      <h2 id="create-webhook-heading">Add a webhook</h2>
      <form className="form form--inline webhook-form" onSubmit={submit} aria-label="Add a webhook">
        <label className="form__field">
          <span>Name</span>
          <input required maxLength={100} value={name} placeholder="e.g. pager" onChange={(event) => setName(event.target.value)} />
        </label>
        <label className="form__field webhook-form__url">
          <span>URL</span>
          <input required type="url" value={url} placeholder="https://alerts.example/daxfleet" onChange={(event) => setUrl(event.target.value)} />
        </label>
        <label className="form__field">
          <span>Format</span>
          <select value={format} onChange={(event) => setFormat(event.target.value as WebhookFormat)}>
            {(Object.keys(FORMAT_LABELS) as WebhookFormat[]).map((value) => <option key={value} value={value}>{FORMAT_LABELS[value]}</option>)}
          </select>
        </label>
        <label className="form__field">
          <span>Event types (none selected: all)</span>
          <select multiple size={6} value={eventTypes} onChange={(event) => setEventTypes(selected(event.target) as MediaEventType[])}>
            {MEDIA_EVENT_TYPES.map((type) => <option key={type} value={type}>{type}</option>)}
          </select>
        </label>
        <label className="form__field">
          <span>Hosts (none selected: all)</span>
          <select multiple size={6} value={hostIds} onChange={(event) => setHostIds(selected(event.target))}>
            {(hosts.data?.hosts ?? []).map((host) => <option key={host.id} value={host.id}>{host.hostname}</option>)}
          </select>
        </label>
        <label className="form__field">
          <span>Retry for (hours, empty = hub default)</span>
          <input type="number" min={0.02} step="any" max={720} value={maxAgeHours} onChange={(event) => setMaxAgeHours(event.target.value)} />
        </label>
        <button type="submit" className="button button--primary" disabled={create.isPending}>
          {create.isPending ? 'Adding…' : 'Add webhook'}
        </button>
      </form>
      {create.isError && <ErrorMessage title="The webhook was not added" error={create.error} />}
      {created !== undefined && created.secret !== undefined && (
        <SecretDialog title={`Signing secret of webhook "${created.name}"`} secret={created.secret} onClose={() => setCreated(undefined)}>
          <p>Every delivery carries an HMAC-SHA256 signature of its timestamp and body made with this secret: verify it in the receiver.</p>
        </SecretDialog>
      )}
    </section>
  );
}
