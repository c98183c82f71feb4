/**
 * POST /api/v1/agent/commands on the agent's listener (role agent, and the in-process agent of role all):
 * runs a command only when the hub signed it with this agent's command key (command-signing.ts). Anything
 * else is a 401 and runs nothing. Registered without fastify-plugin: its raw-body JSON parser stays here.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AgentCommandAckSchema, AgentCommandSchema, type AgentCommand } from '@daxfleet/shared';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';
import {
  NONCE_HEADER, NonceCache, REFUSAL_MESSAGES, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCommand,
} from './command-signing.js';

/** What the listener needs from the agent: its current command key and what a command does. */
export interface AgentCommandTarget {
  /** read per command, so a rotated key counts at once; undefined while the agent has none */
  commandKey(): string | undefined;
  run(command: AgentCommand): Promise<void>;
}

const COMMAND_BODY_LIMIT = 4096;

declare module 'fastify' {
  interface FastifyRequest {
    /** the body exactly as received: the signature covers these bytes */
    commandRawBody?: string;
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const agentCommandRoutes: FastifyPluginAsyncTypebox<{ target: AgentCommandTarget }> = async (fastify, opts) => {
  const nonces = new NonceCache();

  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: COMMAND_BODY_LIMIT },
    (request, body, done) => {
      const raw = body as string;
      request.commandRawBody = raw;
      try {
        done(null, JSON.parse(raw));
      } catch (err) {
        done(err as Error, undefined);
      }
    });

  // unsigned requests are refused before their body is read
  fastify.addHook('onRequest', async (request) => {
    const h = request.headers;
    if (header(h[TIMESTAMP_HEADER]) === undefined || header(h[NONCE_HEADER]) === undefined
      || header(h[SIGNATURE_HEADER]) === undefined) {
      throw new ApiError('DAXFLEET_ERR_AGENT_COMMAND_UNAUTHENTICATED', REFUSAL_MESSAGES.missing);
    }
  });

  // the signature is checked on the raw bytes before schema validation and before anything runs
  fastify.addHook('preValidation', async (request) => {
    const key = opts.target.commandKey();
    const refusal = key === undefined ? 'signature' : verifyCommand(key, {
      timestamp: header(request.headers[TIMESTAMP_HEADER]),
      nonce: header(request.headers[NONCE_HEADER]),
      signature: header(request.headers[SIGNATURE_HEADER]),
    }, request.commandRawBody ?? '', nonces);
    if (refusal !== undefined) {
      request.log.warn({ refusal }, 'agent command refused');
      throw new ApiError('DAXFLEET_ERR_AGENT_COMMAND_UNAUTHENTICATED', REFUSAL_MESSAGES[refusal]);
    }
  });

  fastify.post('', {
    bodyLimit: COMMAND_BODY_LIMIT,
    config: { auth: 'signed', audit: false },
    schema: {
      tags: ['agent'],
      summary: 'Run a command signed by the hub (rescan: scan and report now)',
      description: `Headers ${TIMESTAMP_HEADER} (unix ms), ${NONCE_HEADER}, ${SIGNATURE_HEADER} = hex ` +
        'HMAC-SHA256(command_key, `${timestamp}.${nonce}.${rawBody}`). Answers after the command ran.',
      body: AgentCommandSchema,
      response: { 202: AgentCommandAckSchema, ...errorResponses(400, 401, 413, 415, 500) },
    },
  }, async (request, reply) => {
    request.log.info({ command: request.body.type, id: request.body.id }, 'running signed command from the hub');
    await opts.target.run(request.body);
    return reply.code(202).send({ accepted: true as const, id: request.body.id });
  });
};

export default agentCommandRoutes;
