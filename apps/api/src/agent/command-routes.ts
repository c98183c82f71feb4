/**
 * POST /api/v1/agent/commands on the agent's listener (role agent, and the in-process agent of role all):
 * runs a command only when the hub signed it with this agent's command key (command-signing.ts). Anything
 * else is a 401 and runs nothing. Registered without fastify-plugin: its raw-body JSON parser stays here.
 * recovery-plan answers the agent's dry run; recovery-execute answers as soon as the run started (or why it did
 * not), the run reports its progress to the hub on its own (agent/recovery/). dax-change-plan answers the dry run,
 * dax-change-execute the result (device and policy changes take seconds), fs-dax-inspect the inspection
 * (agent/dax/).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AgentCommandAckSchema, AgentCommandSchema, DaxChangeExecuteCommandAckSchema, DaxChangePlanCommandAckSchema,
  FsDaxInspectCommandAckSchema, RecoveryExecuteCommandAckSchema, RecoveryPlanCommandAckSchema, ScrubCommandAckSchema,
  type AgentCommand, type ScrubBusResult,
} from '@daxfleet/shared';
import { Type } from 'typebox';
import { ApiError } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { allowSlowAnswer } from '../slow-answer.js';
import { DaxChangeUnsupportedError, type DaxChangeService } from './dax/dispatcher.js';
import type { RecoveryExecutor } from './recovery/execute.js';
import { startScrub } from './scrub.js';
import {
  NONCE_HEADER, NonceCache, REFUSAL_MESSAGES, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCommand,
} from './command-signing.js';

/** What the listener needs from the agent: its current command key and what a command does. */
export interface AgentCommandTarget {
  /** read per command, so a rotated key counts at once; undefined while the agent has none */
  commandKey(): string | undefined;
  /** the agent's sysfs root: scrub commands write its nd buses' nfit/scrub (agent/scrub.ts) */
  sysfsRoot?: string;
  /** rescan: scan and report; scrub: runs after the scrub was started here, to report the new state at once */
  run(command: AgentCommand): Promise<void>;
  /** plans and runs recovery actions; without it the recovery commands are refused (read per command) */
  recovery?: RecoveryExecutor;
  /** plans and executes DAX changes and inspects filesystem DAX; without it those commands are refused (read per command) */
  daxChanges?: DaxChangeService;
}

/** the socket of a DAX command may stay idle this long (the hub waits 120 s for the answer) */
const SLOW_COMMAND_SOCKET_MS = 130_000;

/** a recovery-execute / dax-change-execute carries a whole request and a digest: more than the 4 KiB the others need */
export const COMMAND_BODY_LIMIT = 16 * 1024;

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
      summary: 'Run a command signed by the hub (rescan, scrub, recovery-plan, recovery-execute, dax-change-plan, dax-change-execute, fs-dax-inspect)',
      description: `Headers ${TIMESTAMP_HEADER} (unix ms), ${NONCE_HEADER}, ${SIGNATURE_HEADER} = hex ` +
        'HMAC-SHA256(command_key, `${timestamp}.${nonce}.${rawBody}`). Answers after the command ran; a scrub ' +
        'is answered per bus (started or why not) after the write to nfit/scrub and a report of the new state. ' +
        'recovery-plan is answered with the dry run (nothing changed); recovery-execute as soon as the run started ' +
        '(started: false with the refusal and, when the host changed, the fresh plan). An agent that cannot run ' +
        'recovery answers 400 "this agent cannot run recovery (...)". dax-change-plan is answered with the dry run, ' +
        'dax-change-execute with the verified / failed result (executed: false with the refusal and the fresh plan when ' +
        'the host changed or the plan is not executable, or busy while another change runs), fs-dax-inspect with the ' +
        'inspection; an agent that cannot make DAX changes (a recorded sysfs tree) answers 400.',
      body: AgentCommandSchema,
      // the most specific answer first: the serializer takes the first schema the value fits, and drops what that
      // schema does not name (an execute ack that carries a fresh plan also fits the plan ack: it must come after)
      response: {
        202: Type.Union([
          RecoveryExecuteCommandAckSchema, DaxChangeExecuteCommandAckSchema, ScrubCommandAckSchema, RecoveryPlanCommandAckSchema,
          DaxChangePlanCommandAckSchema, FsDaxInspectCommandAckSchema, AgentCommandAckSchema,
        ]),
        ...errorResponses(400, 401, 413, 415, 500),
      },
    },
  }, async (request, reply) => {
    const command = request.body;
    request.log.info({ command: command.type, id: command.id }, 'running signed command from the hub');
    // a DAX change is answered once it ran and was verified, within the hub's 120 s: past the 60 s idle timeout
    if (command.type.startsWith('dax-') || command.type === 'fs-dax-inspect') allowSlowAnswer(request, SLOW_COMMAND_SOCKET_MS);
    if (command.type === 'recovery-plan' || command.type === 'recovery-execute') {
      const recovery = opts.target.recovery;
      if (recovery === undefined) {
        // a plain 400 (errors.ts has no recovery code for the agent side): the message says what is missing
        throw new ApiError('DAXFLEET_ERR_REQUEST_INVALID',
          'this agent cannot run recovery (it was started without the recovery executor: a recorded sysfs tree, or an older agent)');
      }
      if (command.type === 'recovery-plan') {
        const plan = await recovery.plan(command.request);
        request.log.info({ id: command.id, action: plan.action, executable: plan.executable, digest: plan.digest }, 'recovery planned');
        return reply.code(202).send({ accepted: true as const, id: command.id, plan });
      }
      const ack = await recovery.execute(command);
      request.log.info({ id: command.id, planId: command.plan_id, started: ack.started, refusal: ack.refusal }, 'recovery execute');
      return reply.code(202).send(ack);
    }
    if (command.type === 'dax-change-plan' || command.type === 'dax-change-execute' || command.type === 'fs-dax-inspect') {
      const dax = opts.target.daxChanges;
      if (dax === undefined) {
        throw new ApiError('DAXFLEET_ERR_REQUEST_INVALID',
          'this agent cannot make DAX changes or inspect filesystem DAX (it was started on a recorded sysfs tree, not /sys, or is an older agent)');
      }
      try {
        if (command.type === 'dax-change-plan') {
          const plan = await dax.plan(command.request);
          request.log.info({ id: command.id, kind: plan.kind, executable: plan.executable, digest: plan.digest }, 'DAX change planned');
          return reply.code(202).send({ accepted: true as const, id: command.id, dax_plan: plan });
        }
        if (command.type === 'dax-change-execute') {
          const ack = await dax.execute(command);
          request.log.info({ id: command.id, changeId: command.change_id, executed: ack.executed, outcome: ack.result?.outcome,
            refusedBecause: ack.refused_because }, 'DAX change execute');
          return reply.code(202).send(ack);
        }
        const inspection = await dax.inspect(command.request);
        return reply.code(202).send({ accepted: true as const, id: command.id, inspection });
      } catch (err) {
        if (err instanceof DaxChangeUnsupportedError) throw new ApiError('DAXFLEET_ERR_REQUEST_INVALID', err.message);
        throw err;
      }
    }
    if (command.type === 'scrub') {
      if (opts.target.sysfsRoot === undefined) throw new Error('scrub command on an agent without a sysfs root');
      const buses: ScrubBusResult[] = await startScrub(opts.target.sysfsRoot, command.bus);
      request.log.info({ id: command.id, buses }, 'address range scrub requested');
      // the report after the write shows the bus active (the kernel sets the "+" before the write returns)
      if (buses.some((b) => b.started)) await opts.target.run(command);
      return reply.code(202).send({ accepted: true as const, id: command.id, buses });
    }
    await opts.target.run(command);
    return reply.code(202).send({ accepted: true as const, id: command.id });
  });
};

export default agentCommandRoutes;
