/**
 * Hub -> agent commands: the agent's listener runs a command only when the hub signed it with this agent's
 * command key, within the clock window, with a nonce it has not seen. Everything else is a 401 and runs nothing.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentCommand } from '@daxfleet/shared';
import {
  COMMANDS_PATH, commandHeaders, NONCE_HEADER, NonceCache, SIGNATURE_HEADER, signCommand, TIMESTAMP_HEADER,
  verifyCommand,
} from '../src/agent/command-signing.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { tempDir } from './helpers.js';

const KEY = randomBytes(32).toString('base64url');
const tmp = tempDir('daxfleet-agent-commands-');
let agent: FastifyInstance;
const ran: AgentCommand[] = [];

beforeAll(async () => {
  agent = await buildServer({
    config: {
      role: 'agent', version: '0.0.0-test', databaseFile: path.join(tmp.dir, 'unused.db'),
      migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: path.join(tmp.dir, 'no-web'),
    },
    agentCommands: { commandKey: () => KEY, run: async (command) => void ran.push(command) },
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
