import { ErrorMessage } from '@/components/ui/error-message';
import { Loading } from '@/components/ui/loading';
import { useWebhooks } from '@/features/webhooks/api/webhooks';
import { CreateWebhookForm } from '@/features/webhooks/components/create-webhook-form';
import { WebhookList } from '@/features/webhooks/components/webhook-list';

export function AdminWebhooksRoute() {
  const webhooks = useWebhooks();
  return (
    <>
      <title>Webhooks · daxfleet</title>
      <h2>Webhooks</h2>
      <p className="muted">
        The hub POSTs media events (new and cleared bad blocks, DIMM health, scrubs) to these URLs, signed with each
        subscription's secret, and retries until delivered or too old.
      </p>
      <CreateWebhookForm />
      {webhooks.isPending && <Loading label="Loading webhooks" />}
      {webhooks.isError && <ErrorMessage title="Could not load the webhooks" error={webhooks.error} onRetry={() => void webhooks.refetch()} />}
      {webhooks.data !== undefined && <WebhookList webhooks={webhooks.data.webhooks} />}
    </>
  );
}
