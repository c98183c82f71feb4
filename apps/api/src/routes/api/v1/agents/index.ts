import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  AgentCredentialListSchema, AgentCredentialSchema, AgentReportAckSchema, AgentReportSchema, CreateJoinTokenBodySchema,
  CreatedJoinTokenSchema, EnrollBodySchema, EnrollResponseSchema, HostIdParamsSchema, JoinTokenIdParamsSchema,
  JoinTokenListSchema, RotatedAgentCredentialSchema,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { ApiError } from '../../../../errors.js';
import { callerOf } from '../../../../plugins/app/auth.js';
import { closed, errorResponses } from '../../../../schemas.js';
import {
  listAgentCredentials, revokeAgentCredential, rotateAgentCredential,
} from '../../../../services/agent-credentials.js';
import { ingest } from '../../../../services/ingest.js';
import {
  consumeJoinToken, createJoinToken, deleteJoinToken, DEFAULT_JOIN_TOKEN_HOURS, listJoinTokens,
} from '../../../../services/join-tokens.js';

/** A POST whose body fields are all optional may come without a body: it counts as {}. */
async function noBodyIsEmpty(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** An inventory of a few hundred namespaces is well under this; a runaway body is refused with 413. */
const REPORT_BODY_LIMIT = 16 * 1024 * 1024;
const SMALL_BODY_LIMIT = 16 * 1024;

/**
 * Agents: enrollment (an admin's one-time join token traded for the agent's own credential), the reports agents
 * send with that credential, rotation, and the admin's view and revocation of credentials.
 */
const agentRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  fastify.post('/report', {
    bodyLimit: REPORT_BODY_LIMIT,
    // every few seconds from every host: not audited (the credential's last_used_at and the host's last_seen tell)
    config: { auth: 'agent', audit: false },
    schema: {
      tags: ['agents'],
      summary: 'Ingest an agent report (inventory scan)',
      description: 'Agent credential only (Authorization: Bearer dxf_agent_…); host_id must be the credential\'s ' +
        'host. Stores a new inventory version when the canonical content changed, else refreshes last_seen (a ' +
        'report with nothing new is acknowledged at once, its last_seen written within 100 ms together with other ' +
        'hosts\'); remembers agent_url for signed commands. In the report\'s transaction: the events (by their ' +
        'stable ids: an id already stored is skipped), their effect on the bad-block ledger, the health samples and the webhook ' +
        'deliveries. acked_events lists every event id of the report the hub now has (stored now or before): the ' +
        'agent drops those from its outbox and re-sends the others.',
      body: closed(AgentReportSchema),
      response: { 200: AgentReportAckSchema, ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request) => {
    const principal = request.principal;
    const report = request.body;
    if (principal?.kind !== 'agent' || principal.host_id !== report.host_id) {
      throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', `this agent credential belongs to host ` +
        `"${principal?.kind === 'agent' ? principal.host_id : '?'}" and cannot report as "${report.host_id}": ` +
        'report with the host id it enrolled as (its data folder), or enroll this host with its own join token');
    }
    const receivedAt = new Date();
    // the steady state: nothing new (or health samples only), acknowledged from memory, last_seen written by the
    // next group commit
    const unchanged = fastify.ingestFastPath.tryUnchanged(report, receivedAt);
    if (unchanged) {
      // health samples stored (committed before this answer): tell the streams, as below
      if (unchanged.samples > 0) {
        fastify.mediaBus.emit('ingested', {
          host_id: report.host_id, inventory_changed: false, inventory_version: unchanged.ack.inventory_version,
          events: [], deliveries: 0,
        });
      }
      return unchanged.ack;
    }
    const outcome = await ingest(fastify.prisma, report, receivedAt, fastify.ingestFastPath);
    const { ack } = outcome;
    // committed: tell the SSE streams and the webhook dispatcher (not for the steady-state unchanged report)
    // (range_files: the files under the host's bad ranges were replaced, the ledger's `files` changed)
    if (ack.changed || outcome.stored.length > 0 || outcome.samples > 0 || outcome.deliveries > 0 || outcome.rangeFiles) {
      fastify.mediaBus.emit('ingested', {
        host_id: ack.host_id, inventory_changed: ack.changed, inventory_version: ack.inventory_version,
        events: outcome.stored, deliveries: outcome.deliveries,
      });
    }
    return ack;
  });

  fastify.post('/enroll', {
    bodyLimit: SMALL_BODY_LIMIT,
    config: { auth: 'public', audit: 'agent.enroll' },
    schema: {
      tags: ['agents'],
      summary: 'Enroll an agent with a one-time join token',
      description: 'The join token in the body is the credential: it works once, before it expires. Issues (or ' +
        'replaces) the host\'s agent credential and command key; the agent keeps both in its data folder.',
      body: EnrollBodySchema,
      response: { 200: EnrollResponseSchema, ...errorResponses(400, 401, 413, 415, 500) },
    },
  }, async (request) => {
    // the enrolling host is both who (anonymous, claiming to be it) and the target
    request.auditActor = request.body.host_id;
    request.auditTarget = request.body.host_id;
    const issued = await consumeJoinToken(fastify.prisma, request.body.join_token, request.body.host_id);
    request.log.info({ hostId: issued.host_id }, 'agent enrolled');
    return issued;
  });

  fastify.get('/join-tokens', {
    config: { auth: 'admin' },
    schema: {
      tags: ['agents'],
      summary: 'List join tokens (used or not; never the secret)',
      response: { 200: JoinTokenListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ join_tokens: await listJoinTokens(fastify.prisma) }));

  fastify.post('/join-tokens', {
    bodyLimit: SMALL_BODY_LIMIT,
    config: { auth: 'admin', audit: 'agent.join_token.create' },
    // every field is optional: no body at all means the defaults
    preValidation: noBodyIsEmpty,
    schema: {
      tags: ['agents'],
      summary: 'Make a one-time join token for an agent (shown once)',
      description: `Valid for expires_in_hours (default ${DEFAULT_JOIN_TOKEN_HOURS}); pass it to ` +
        '`daxfleet serve --role agent --join-token` (or DAXFLEET_JOIN_TOKEN).',
      body: CreateJoinTokenBodySchema,
      response: { 201: CreatedJoinTokenSchema, ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request, reply) => {
    const created = await createJoinToken(fastify.prisma, callerOf(request).name,
      request.body.expires_in_hours ?? DEFAULT_JOIN_TOKEN_HOURS);
    request.auditTarget = created.id;
    return reply.code(201).send(created);
  });

  fastify.delete('/join-tokens/:joinTokenId', {
    config: { auth: 'admin', audit: 'agent.join_token.delete' },
    schema: {
      tags: ['agents'],
      summary: 'Delete a join token (an unused one can then not enroll anything)',
      params: JoinTokenIdParamsSchema,
      response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request, reply) => {
    request.auditTarget = request.params.joinTokenId;
    await deleteJoinToken(fastify.prisma, request.params.joinTokenId);
    return reply.code(204).send(null);
  });

  fastify.get('', {
    config: { auth: 'admin' },
    schema: {
      tags: ['agents'],
      summary: 'Enrolled agents: their credentials (never the secret), revoked or not',
      response: { 200: AgentCredentialListSchema, ...errorResponses(401, 403, 500) },
    },
  }, async () => ({ agents: await listAgentCredentials(fastify.prisma) }));

  fastify.post('/:hostId/revoke', {
    config: { auth: 'admin', audit: 'agent.revoke' },
    schema: {
      tags: ['agents'],
      summary: 'Revoke a host\'s agent credential',
      description: 'Its reports are refused (401 DAXFLEET_ERR_AUTH_REVOKED, the agent exits) until it enrolls ' +
        'again with a new join token. Idempotent.',
      params: HostIdParamsSchema,
      response: { 200: AgentCredentialSchema, ...errorResponses(400, 401, 403, 404, 500) },
    },
  }, async (request) => {
    request.auditTarget = request.params.hostId;
    return revokeAgentCredential(fastify.prisma, request.params.hostId);
  });

  fastify.post('/credential/rotate', {
    bodyLimit: SMALL_BODY_LIMIT,
    config: { auth: 'agent', audit: 'agent.rotate' },
    preValidation: noBodyIsEmpty,
    schema: {
      tags: ['agents'],
      summary: 'Replace the calling agent\'s credential (the old one stops working at once)',
      description: '`daxfleet agent rotate-credential` calls this with the current credential and stores the new one.',
      body: closed(Type.Object({})),
      response: { 200: RotatedAgentCredentialSchema, ...errorResponses(400, 401, 403, 413, 415, 500) },
    },
  }, async (request) => {
    const principal = request.principal;
    if (principal?.kind !== 'agent') throw new ApiError('DAXFLEET_ERR_AUTH_FORBIDDEN', 'only an agent credential can rotate itself');
    request.auditTarget = principal.host_id;
    return rotateAgentCredential(fastify.prisma, principal.host_id);
  });
};

export default agentRoutes;
