/**
 * /api/v1/webhooks (admin): alert webhook subscriptions, their delivery log, test sends and redeliveries. The
 * signing secret is write-only: in the create answer once, a prefix in every other answer, replaced by PATCH.
 * Deliveries are sent by the dispatcher (services/webhooks/dispatcher.ts); these routes only write rows and wake it.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateWebhookBodySchema, CreatedWebhookSchema, UpdateWebhookBodySchema, WebhookDeliveryPageSchema,
  WebhookDeliveryParamsSchema, WebhookDeliveryQuerySchema, WebhookDeliverySchema, WebhookIdParamsSchema,
  WebhookListSchema, WebhookSubscriptionSchema,
} from '@daxfleet/shared';
import { callerOf } from '../../../../plugins/app/auth.js';
import { errorResponses } from '../../../../schemas.js';
import {
  createWebhook, deleteWebhook, enqueueTestDelivery, getWebhook, listDeliveries, listWebhooks, redeliver, updateWebhook,
} from '../../../../services/webhooks/subscriptions.js';

const SMALL_BODY_LIMIT = 64 * 1024;

const webhookRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'admin' },
    schema: {
      tags: ['webhooks'],
      summary: 'List webhook subscriptions (secrets show as a prefix only)',
      response: { 200: WebhookListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ webhooks: await listWebhooks(fastify.prisma) }));

  fastify.post('', {
    config: { auth: 'admin', audit: 'webhook.create' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'Create a webhook subscription: the answer\'s `secret` (generated unless given) is the only time it is shown',
      body: CreateWebhookBodySchema,
      response: { 201: CreatedWebhookSchema, ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request, reply) => {
    request.auditTarget = request.body.name;
    const created = await createWebhook(fastify.prisma, request.body, callerOf(request).name);
    return reply.code(201).send(created);
  });

  fastify.get('/:webhookId', {
    config: { auth: 'admin' },
    schema: {
      tags: ['webhooks'],
      summary: 'One webhook subscription',
      params: WebhookIdParamsSchema,
      response: { 200: WebhookSubscriptionSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getWebhook(fastify.prisma, request.params.webhookId));

  fastify.patch('/:webhookId', {
    config: { auth: 'admin', audit: 'webhook.update' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'Change a subscription; `secret` rotates the signing key (attempts from now on are signed with it)',
      params: WebhookIdParamsSchema,
      body: UpdateWebhookBodySchema,
      response: { 200: WebhookSubscriptionSchema, ...errorResponses(400, 401, 403, 404, 413, 415, 500) },
    },
  }, async (request) => {
    const updated = await updateWebhook(fastify.prisma, request.params.webhookId, request.body);
    request.auditTarget = updated.name;
    // enabled again, or a new URL: pending deliveries may be due
    fastify.webhookDispatcher.wake();
    return updated;
  });

  fastify.delete('/:webhookId', {
    config: { auth: 'admin', audit: 'webhook.delete' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'Delete a subscription with its deliveries and their attempt log',
      params: WebhookIdParamsSchema,
      response: { 200: WebhookSubscriptionSchema, ...errorResponses(400, 401, 403, 404, 413, 500) },
    },
  }, async (request) => {
    const deleted = await deleteWebhook(fastify.prisma, request.params.webhookId);
    request.auditTarget = deleted.name;
    return deleted;
  });

  fastify.get('/:webhookId/deliveries', {
    config: { auth: 'admin' },
    schema: {
      tags: ['webhooks'],
      summary: 'The delivery log: deliveries newest first, each with its attempts (time, status code or error, latency)',
      params: WebhookIdParamsSchema,
      querystring: WebhookDeliveryQuerySchema,
      response: { 200: WebhookDeliveryPageSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => listDeliveries(fastify.prisma, request.params.webhookId, request.query));

  fastify.post('/:webhookId/test', {
    config: { auth: 'admin', audit: 'webhook.test' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'Send a signed test delivery (event type "test") through the outbox; answers with the pending delivery',
      params: WebhookIdParamsSchema,
      response: { 202: WebhookDeliverySchema, ...errorResponses(400, 401, 403, 404, 413, 500) },
    },
  }, async (request, reply) => {
    const delivery = await enqueueTestDelivery(fastify.prisma, request.params.webhookId, callerOf(request).name);
    fastify.mediaBus.emit('delivery', { id: delivery.id, subscription_id: delivery.subscription_id, status: delivery.status });
    fastify.webhookDispatcher.wake();
    return reply.code(202).send(delivery);
  });

  fastify.post('/:webhookId/deliveries/:deliveryId/redeliver', {
    config: { auth: 'admin', audit: 'webhook.redeliver' },
    bodyLimit: SMALL_BODY_LIMIT,
    schema: {
      tags: ['webhooks'],
      summary: 'Send a delivery again: pending now, same idempotency key and body, its attempt log kept',
      params: WebhookDeliveryParamsSchema,
      response: { 202: WebhookDeliverySchema, ...errorResponses(400, 401, 403, 404, 413, 500) },
    },
  }, async (request, reply) => {
    const delivery = await redeliver(fastify.prisma, request.params.webhookId, request.params.deliveryId);
    fastify.mediaBus.emit('delivery', { id: delivery.id, subscription_id: delivery.subscription_id, status: delivery.status });
    fastify.webhookDispatcher.wake();
    reply.code(202);
    return delivery;
  });
};

export default webhookRoutes;
