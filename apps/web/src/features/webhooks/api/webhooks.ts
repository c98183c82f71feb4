/**
 * Webhook subscriptions (admin): GET/POST /webhooks, PATCH/DELETE /webhooks/:id, POST /webhooks/:id/test, and each
 * subscription's delivery log (GET /webhooks/:id/deliveries, POST …/deliveries/:deliveryId/redeliver). The create
 * answer carries the signing secret the hub generated: the only time it is shown. Rotating sends a new secret in a
 * PATCH; the browser generates it (Web Crypto) and shows it once the hub took it.
 */
import type { MediaEventType, WebhookDelivery, WebhookFormat, WebhookSubscription } from '@daxfleet/shared';
import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { apiGet, apiSend } from '@/lib/api-client';

/** CreateWebhookBodySchema / UpdateWebhookBodySchema of @daxfleet/shared */
export type CreateWebhookBody = {
  name: string; url: string; format: WebhookFormat; event_types: MediaEventType[]; host_ids: string[];
  max_age_seconds?: number; secret?: string;
};
export type UpdateWebhookBody = Partial<CreateWebhookBody> & { enabled?: boolean };
/** the subscription, with the signing secret this once */
export type WebhookWithSecret = WebhookSubscription & { secret?: string };
export type DeliveryPage = { deliveries: WebhookDelivery[]; next_cursor?: string };

/** A new signing secret: 32 random bytes, base64url (43 characters; the hub takes 16 to 256). */
export function generateWebhookSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export const webhooksQueryKey = ['webhooks'] as const;
export const DELIVERIES_PAGE_SIZE = 50;

export function webhookPath(id: string): string {
  return `/webhooks/${encodeURIComponent(id)}`;
}

export function getWebhooksQueryOptions() {
  return queryOptions({
    queryKey: webhooksQueryKey,
    queryFn: ({ signal }) => apiGet<{ webhooks: WebhookSubscription[] }>('/webhooks', { signal }),
  });
}

/** GET /webhooks: every subscription, with its secret's prefix only. */
export function useWebhooks() {
  return useQuery(getWebhooksQueryOptions());
}

export function getDeliveriesQueryOptions(subscriptionId: string) {
  return infiniteQueryOptions({
    queryKey: [...webhooksQueryKey, subscriptionId, 'deliveries'] as const,
    queryFn: ({ pageParam, signal }) => apiGet<DeliveryPage>(`${webhookPath(subscriptionId)}/deliveries`, {
      query: { limit: DELIVERIES_PAGE_SIZE, cursor: pageParam }, signal,
    }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });
}

/** The delivery log of one subscription, newest first; `delivery` notices on the live stream refresh it. */
export function useDeliveries(subscriptionId: string) {
  return useInfiniteQuery(getDeliveriesQueryOptions(subscriptionId));
}

export function useCreateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateWebhookBody) => apiSend<WebhookWithSecret>('POST', '/webhooks', body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }),
  });
}

export function useUpdateWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: UpdateWebhookBody }) => apiSend<WebhookWithSecret>('PATCH', webhookPath(id), body),
    onSettled: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }),
  });
}

export function useDeleteWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend('DELETE', webhookPath(id)),
    onSettled: () => queryClient.invalidateQueries({ queryKey: webhooksQueryKey }),
  });
}

/** POST /webhooks/:id/test: the hub queues a signed test delivery; it shows in the log like any other. */
export function useTestWebhook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => apiSend<WebhookDelivery | undefined>('POST', `${webhookPath(id)}/test`),
    onSettled: (_data, _error, id) => queryClient.invalidateQueries({ queryKey: [...webhooksQueryKey, id] }),
  });
}

/** POST …/deliveries/:deliveryId/redeliver: the same delivery (same idempotency key) is tried again. */
export function useRedeliver(subscriptionId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) => apiSend<WebhookDelivery | undefined>(
      'POST', `${webhookPath(subscriptionId)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`,
    ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: [...webhooksQueryKey, subscriptionId] }),
  });
}
