import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  HostDetailSchema, HostIdParamsSchema, HostInventorySchema, HostListSchema, InventoryHistoryQuerySchema,
  InventoryHistorySchema,
} from '@daxfleet/shared';
import { closed, errorResponses } from '../../../../schemas.js';
import {
  getHostDetail, getHostInventory, getInventoryHistory, listHosts,
} from '../../../../services/hosts.js';

const DEFAULT_HISTORY_LIMIT = 50;

/** Hosts that reported to this hub, their current inventory and its history. */
const hostRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.get('', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts'],
      summary: 'List hosts with their inventory summary',
      description: 'Capacity by mode, DIMM health counts, open bad-block count, last seen; online = seen within ' +
        '3 scan intervals of the host\'s agent.',
      response: { 200: HostListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ hosts: await listHosts(fastify.prisma) }));

  fastify.get('/:hostId', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts'],
      summary: 'One host: summary and current inventory',
      params: HostIdParamsSchema,
      response: { 200: HostDetailSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getHostDetail(fastify.prisma, request.params.hostId));

  fastify.get('/:hostId/inventory', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts'],
      summary: 'The current inventory version of a host',
      params: HostIdParamsSchema,
      response: { 200: HostInventorySchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getHostInventory(fastify.prisma, request.params.hostId));

  fastify.get('/:hostId/inventory/history', {
    config: { auth: 'viewer' },
    schema: {
      tags: ['hosts'],
      summary: 'Inventory versions of a host, newest first, with the changes of each',
      params: HostIdParamsSchema,
      querystring: closed(InventoryHistoryQuerySchema),
      response: { 200: InventoryHistorySchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => getInventoryHistory(
    fastify.prisma, request.params.hostId, request.query.limit ?? DEFAULT_HISTORY_LIMIT, request.query.before,
  ));
};

export default hostRoutes;
