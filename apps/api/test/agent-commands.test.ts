/**
 * Hub -> agent commands: the agent's listener runs a command only when the hub signed it with this agent's
 * command key, within the clock window, with a nonce it has not seen. Everything else is a 401 and runs nothing.
 * The recovery commands answer the agent's dry run (recovery-plan) and the start or refusal of a run
 * (recovery-execute), here on a recorded QEMU tree (nothing on this machine is changed).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearErrorsOnBus, punchHole, writeZeros } from '@daxfleet/dax-native';
import {
  RecoveryExecuteCommandAckSchema, RecoveryPlanCommandAckSchema, type AgentCommand, type RecoveryExecuteCommandAck,
  type RecoveryPlanCommandAck, type RecoveryRequest,
} from '@daxfleet/shared';
import { Value } from 'typebox/value';
import {
  COMMANDS_PATH, commandHeaders, NONCE_HEADER, NonceCache, SIGNATURE_HEADER, signCommand, TIMESTAMP_HEADER,
  verifyCommand,
} from '../src/agent/command-signing.js';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { RecoveryExecutor } from '../src/agent/recovery/execute.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { tempDir } from './helpers.js';
import { recordedHost } from './recovery-fixtures.js';

const KEY = randomBytes(32).toString('base64url');
const tmp = tempDir('daxfleet-agent-commands-');
let agent: FastifyInstance;
const ran: AgentCommand[] = [];
const target: AgentCommandTarget = { commandKey: () => KEY, run: async (command) => void ran.push(command) };

beforeAll(async () => {
  agent = await buildServer({
    config: {
      role: 'agent', version: '0.0.0-test', databaseFile: path.join(tmp.dir, 'unused.db'),
      migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: path.join(tmp.dir, 'no-web'),
    },
    agentCommands: target,
  });
});
afterAll(async () => {
  await agent.close();
  tmp.remove();
});
beforeEach(() => {
  ran.length = 0;
});

function send(body: string, headers: Record<string, string>) {
  return agent.inject({ method: 'POST', url: COMMANDS_PATH, payload: body, headers: { 'content-type': 'application/json', ...headers } });
}

function command(): { body: string; cmd: AgentCommand } {
  const cmd: AgentCommand = { type: 'rescan', id: randomBytes(8).toString('hex') };
  return { cmd, body: JSON.stringify(cmd) };
}

async function expectRefused(res: Awaited<ReturnType<typeof send>>, fragment: string): Promise<void> {
  expect(res.statusCode).toBe(401);
  const err = res.json<{ code: string; message: string }>();
  expect(err.code).toBe('DAXFLEET_ERR_AGENT_COMMAND_UNAUTHENTICATED');
  expect(err.message).toContain(fragment);
  expect(ran).toEqual([]);
}

describe('the agent command endpoint', () => {
  it('runs a command the hub signed with this agent\'s key, once', async () => {
    const { body, cmd } = command();
    const headers = commandHeaders(KEY, body);
    const res = await send(body, headers);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: true, id: cmd.id });
    expect(ran).toEqual([cmd]);

    ran.length = 0;
    await expectRefused(await send(body, headers), 'nonce was already used');
  });

  it('refuses a command signed with another key', async () => {
    const { body } = command();
    await expectRefused(await send(body, commandHeaders(randomBytes(32).toString('base64url'), body)), 'does not match');
  });

  it('refuses a stale or future timestamp (more than 300 s off), even when correctly signed', async () => {
    const { body } = command();
    await expectRefused(await send(body, commandHeaders(KEY, body, Date.now() - 301_000)), 'more than 300 s');
    await expectRefused(await send(body, commandHeaders(KEY, body, Date.now() + 301_000)), 'more than 300 s');
  });

  it('refuses a body changed after signing', async () => {
    const { body } = command();
    const headers = commandHeaders(KEY, body);
    const tampered = JSON.stringify({ ...JSON.parse(body) as object, id: 'other-id' });
    await expectRefused(await send(tampered, headers), 'does not match');
  });

  it('refuses a signature made over another timestamp or nonce', async () => {
    const { body } = command();
    const headers = commandHeaders(KEY, body);
    await expectRefused(await send(body, { ...headers, [TIMESTAMP_HEADER]: String(Number(headers[TIMESTAMP_HEADER]) + 1) }), 'does not match');
    await expectRefused(await send(body, { ...headers, [NONCE_HEADER]: 'another-nonce-123' }), 'does not match');
  });

  it.each([TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER])('refuses a command without %s', async (missing) => {
    const { body } = command();
    const headers = commandHeaders(KEY, body);
    delete headers[missing];
    await expectRefused(await send(body, headers), 'unsigned command');
  });

  it('refuses malformed signature headers', async () => {
    const { body } = command();
    const headers = commandHeaders(KEY, body);
    await expectRefused(await send(body, { ...headers, [SIGNATURE_HEADER]: 'zz' }), 'malformed');
    await expectRefused(await send(body, { ...headers, [TIMESTAMP_HEADER]: 'yesterday' }), 'malformed');
  });

  it('a genuine command with an unknown type is a 400 and runs nothing', async () => {
    const body = JSON.stringify({ type: 'format-disk', id: 'x1' });
    const res = await send(body, commandHeaders(KEY, body));
    expect(res.statusCode).toBe(400);
    expect(ran).toEqual([]);
  });

  it('the agent listener serves no hub route', async () => {
    const res = await agent.inject({ method: 'GET', url: '/api/v1/hosts' });
    expect(res.statusCode).toBe(404);
  });
});

describe('verifyCommand', () => {
  it('remembers a nonce only for a genuine command (forged requests cannot fill the cache)', () => {
    const nonces = new NonceCache();
    const now = 1_700_000_000_000;
    const ts = String(now);
    expect(verifyCommand(KEY, { timestamp: ts, nonce: 'nonce-aaaa', signature: '0'.repeat(64) }, '{}', nonces, now)).toBe('signature');
    expect(nonces.size).toBe(0);
    const signature = signCommand(KEY, ts, 'nonce-aaaa', '{}');
    expect(verifyCommand(KEY, { timestamp: ts, nonce: 'nonce-aaaa', signature }, '{}', nonces, now)).toBeUndefined();
    expect(verifyCommand(KEY, { timestamp: ts, nonce: 'nonce-aaaa', signature }, '{}', nonces, now + 1000)).toBe('replayed');
  });

  it('forgets nonces after 10 minutes (by then their timestamps are refused anyway)', () => {
    const nonces = new NonceCache();
    expect(nonces.remember('n1', 0)).toBe(true);
    expect(nonces.remember('n1', 599_999)).toBe(false);
    expect(nonces.remember('n2', 600_000)).toBe(true);
    expect(nonces.size).toBe(1);
  });
});

describe('the recovery commands', () => {
  const RAW: RecoveryRequest = { action: 'clear-errors', range: { region: 'region2', region_offset: 131072, length: 8 } };
  const recorded = recordedHost('four-dimm-mixed');
  const posted: unknown[] = [];
  afterAll(async () => {
    await target.recovery?.close();
    delete target.recovery;
    recorded.remove();
  });

  function signed(cmd: object, pad = 0) {
    const body = JSON.stringify(cmd) + ' '.repeat(pad);
    return send(body, commandHeaders(KEY, body));
  }

  it('an agent without the recovery executor answers 400 and runs nothing', async () => {
    const res = await signed({ type: 'recovery-plan', id: 'r1', request: RAW });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toContain('this agent cannot run recovery');
    expect(ran).toEqual([]);
  });

  it('recovery-plan answers the dry run whole; recovery-execute with another digest answers the refusal and the fresh plan', async () => {
    target.recovery = new RecoveryExecutor({
      hostId: 'h1', host: recorded.host(), native: { punchHole, writeZeros, clearErrorsOnBus },
      dataDir: path.join(tmp.dir, 'agent-data'), send: async (r) => { posted.push(r); return { plan_id: r.plan_id, seq: r.seq }; },
      rescan: async () => undefined, log: agent.log,
    });
    const res = await signed({ type: 'recovery-plan', id: 'r2', request: RAW });
    expect(res.statusCode).toBe(202);
    const ack = res.json<RecoveryPlanCommandAck>();
    expect(Value.Errors(RecoveryPlanCommandAckSchema, ack)).toEqual([]);
    expect(ack.plan).toMatchObject({
      action: 'clear-errors', executable: true,
      target: { namespace: 'namespace2.0', mode: 'raw', blockdev: 'pmem2', sector: 131072, sectors: 8 },
    });
    expect(ack.plan.steps.map((s) => s.op)).toEqual(['write-zeros', 'reread-badblocks']);

    const exec = await signed({
      type: 'recovery-execute', id: 'r3', plan_id: 'plan-1', request: RAW, digest: '0'.repeat(64), executed_by: 'alice',
    });
    expect(exec.statusCode).toBe(202);
    const answer = exec.json<RecoveryExecuteCommandAck>();
    expect(Value.Errors(RecoveryExecuteCommandAckSchema, answer)).toEqual([]);
    expect(answer).toMatchObject({ accepted: true, id: 'r3', started: false });
    expect(answer.refusal).toContain('host changed');
    expect(answer.plan?.digest).toBe(ack.plan.digest);
    expect(posted).toEqual([]);
    expect(ran).toEqual([]);
  });

  it('takes bodies up to 16 KiB (a recovery command is larger than the 4 KiB of the others), not beyond', async () => {
    const fits = await signed({ type: 'recovery-plan', id: 'r4', request: RAW }, 12 * 1024);
    expect(fits.statusCode).toBe(202);
    const tooLarge = await signed({ type: 'recovery-plan', id: 'r5', request: RAW }, 17 * 1024);
    expect(tooLarge.statusCode).toBe(413);
  });
});
