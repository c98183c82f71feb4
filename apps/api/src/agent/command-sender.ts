/**
 * Hub side of hub -> agent commands: signs the command with the host's command key and sends it to the URL
 * the agent reported (agent_url). In role all the local agent is reached by injecting the same signed request
 * into this process, so it goes through the same verification as a remote agent.
 */
import { randomUUID } from 'node:crypto';
import type { AgentCommand } from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors.js';
import { commandKeyOf } from '../services/agent-credentials.js';
import { COMMANDS_PATH, commandHeaders } from './command-signing.js';
import { refusalOf } from './senders.js';

const COMMAND_TIMEOUT_MS = 60_000;
/** fetch's socket errors once a connection was made: the command may have been delivered (unlike ECONNREFUSED) */
const ANSWER_LOST_CODES: ReadonlySet<string> = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/**
 * Commands that answer only once their work is done take longer: dax-change-execute runs the change, then a fresh
 * scan to verify it, before answering (the agent keeps within this); a policy plan and an inspection walk a subtree
 * of up to 100 000 entries (flags, statx, the holders of files in one pass over /proc).
 */
const COMMAND_TIMEOUTS_MS: Partial<Record<AgentCommand['type'], number>> = {
  'dax-change-execute': 120_000, 'dax-change-plan': 120_000, 'fs-dax-inspect': 120_000,
};

/** How long the hub waits for the agent's answer to a command of this type. */
export function commandTimeoutMs(type: AgentCommand['type']): number {
  return COMMAND_TIMEOUTS_MS[type] ?? COMMAND_TIMEOUT_MS;
}

/**
 * The command reached the agent (or may have) but no answer came in time: unlike a refused connection, the agent
 * may have acted on it, so a caller must not assume it did nothing.
 */
export class AgentCommandTimeoutError extends ApiError {
  constructor(message: string) {
    super('DAXFLEET_ERR_AGENT_UNREACHABLE', message);
    this.name = 'AgentCommandTimeoutError';
  }
}

/**
 * The connection broke once made (reset, or closed before the answer): the command may have been delivered and run.
 * The same 502 as an unreachable agent; a caller that must never run a command twice treats it like a timeout.
 */
export class AgentAnswerLostError extends ApiError {
  constructor(message: string) {
    super('DAXFLEET_ERR_AGENT_UNREACHABLE', message);
    this.name = 'AgentAnswerLostError';
  }
}

export interface CommandDestination {
  hostId: string;
  /** the agent's reported listen URL (or --advertise-url) */
  agentUrl: string;
  commandKey: string;
  /** role all, local host: the hub's own instance, to inject into */
  local?: FastifyInstance;
}

/** A command without parameters (rescan); the others are built by their callers with newCommandId(). */
export function newCommand(type: 'rescan'): AgentCommand {
  return { type, id: randomUUID() };
}

export function newCommandId(): string {
  return randomUUID();
}

/**
 * Sends a signed command; resolves with the agent's answer (parsed JSON) once the agent ran it, throws
 * AGENT_UNREACHABLE (AgentCommandTimeoutError when no answer came within the command's timeout, AgentAnswerLostError
 * when the connection broke once made) or AGENT_REFUSED.
 */
export async function sendAgentCommand(
  dest: CommandDestination, command: AgentCommand, opts: { timeoutMs?: number } = {},
): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? commandTimeoutMs(command.type);
  const rawBody = JSON.stringify(command);
  const headers = { 'content-type': 'application/json', ...commandHeaders(dest.commandKey, rawBody) };
  let status: number;
  let text: string;
  if (dest.local) {
    const res = await dest.local.inject({ method: 'POST', url: COMMANDS_PATH, headers, payload: rawBody });
    status = res.statusCode;
    text = res.body;
  } else {
    const url = new URL(COMMANDS_PATH, dest.agentUrl).toString();
    try {
      // no redirects: a signed command goes to the URL the agent reported and nowhere else
      const res = await fetch(url, {
        method: 'POST', headers, body: rawBody, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') {
        throw new AgentCommandTimeoutError(`the agent of host ${dest.hostId} at ${dest.agentUrl} did not answer within ` +
          `${timeoutMs / 1000} s: it may still be running the command`);
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      const message = `the agent of host ${dest.hostId} at ${dest.agentUrl} cannot be reached (${why}): check that ` +
        'it runs and that the hub can reach that address (--advertise-url)';
      if (cause?.code !== undefined && ANSWER_LOST_CODES.has(cause.code)) throw new AgentAnswerLostError(message);
      throw new ApiError('DAXFLEET_ERR_AGENT_UNREACHABLE', message);
    }
  }
  if (status !== 202) {
    throw new ApiError('DAXFLEET_ERR_AGENT_REFUSED', `the agent of host ${dest.hostId} at ${dest.agentUrl} refused ` +
      `the command (${refusalOf(status, text).message}); if it was re-enrolled or rotated its credential, ` +
      'wait for its next report');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Where the hub sends a host's signed commands (rescan, scrub): its agent's reported URL and command key, or the
 * in-process agent of role all. Refuses an unknown host, one without an enrolled agent, or without a reachable URL.
 */
export async function commandDestination(fastify: FastifyInstance, hostId: string): Promise<CommandDestination> {
  const host = await fastify.prisma.host.findUnique({ where: { id: hostId }, select: { agentUrl: true } });
  if (!host) throw new ApiError('DAXFLEET_ERR_HOST_NOT_FOUND', `no host ${hostId}: GET /api/v1/hosts lists the hosts`);
  const commandKey = await commandKeyOf(fastify.prisma, hostId);
  if (commandKey === undefined) {
    throw new ApiError('DAXFLEET_ERR_AGENT_NOT_ENROLLED', `host ${hostId} has no enrolled agent (never enrolled, or ` +
      'revoked): enroll its agent with a new join token first');
  }
  const local = fastify.config.role === 'all' && fastify.config.localHostId === hostId;
  if (!host.agentUrl && !local) {
    throw new ApiError('DAXFLEET_ERR_HOST_NO_AGENT_URL', `the agent of host ${hostId} has not reported a URL the ` +
      'hub can reach: upgrade it, or start it with --advertise-url URL, and wait for its next report');
  }
  return { hostId, agentUrl: host.agentUrl ?? 'in-process', commandKey, ...(local ? { local: fastify } : {}) };
}
