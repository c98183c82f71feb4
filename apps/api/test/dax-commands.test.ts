/**
 * The three DAX commands through the agent's signed command route: dax-change-plan answers the dry run,
 * dax-change-execute the result or the refusal with the fresh plan (the 202 union keeps every field: the execute ack
 * comes before the plan ack it also fits), fs-dax-inspect the inspection. An agent without the service (a recorded
 * tree) answers 400 saying why. The device kinds plan over a recorded tree; execution goes through the fs-dax-policy
 * kind on a temp directory of this machine's ext4 (its own flag only), since no device here may change.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getFsxattr, FS_XFLAG_DAX } from '@daxfleet/dax-native';
import {
  DaxChangeExecuteCommandAckSchema, DaxChangePlanCommandAckSchema, FsDaxInspectCommandAckSchema, type AgentCommand,
  type DaxChangeExecuteCommandAck, type DaxChangePlanCommandAck, type FsDaxInspectCommandAck,
} from '@daxfleet/shared';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { COMMANDS_PATH, commandHeaders } from '../src/agent/command-signing.js';
import { createDaxChangeService } from '../src/agent/dax/index.js';
import type { DeviceNative } from '../src/agent/dax/native.js';
import { fsDaxPolicyHandler, inspectFsDax } from '../src/agent/fsdax/index.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { tempDir } from './helpers.js';
import { recordedDeviceHost, type RecordedDeviceHost } from './dax-device-fixtures.js';

const KEY = randomBytes(32).toString('base64url');
const tmp = tempDir('daxfleet-dax-commands-');
const neverCalled = (): Promise<never> => Promise.reject(new Error('no device of this machine may change'));
const native: DeviceNative = {
  createNamespace: neverCalled, reconfigureNamespace: neverCalled, destroyNamespace: neverCalled,
  reconfigureDaxDevice: neverCalled, onlineDaxMemory: neverCalled, offlineDaxMemory: neverCalled,
};

let recorded: RecordedDeviceHost;
let agent: FastifyInstance;
let bare: FastifyInstance;
let reports = 0;

async function agentWith(target: AgentCommandTarget, name: string): Promise<FastifyInstance> {
  return buildServer({
    config: {
      role: 'agent', version: '0.0.0-test', databaseFile: path.join(tmp.dir, `${name}.db`),
      migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: path.join(tmp.dir, 'no-web'),
    },
    agentCommands: target,
  });
}

beforeAll(async () => {
  recorded = recordedDeviceHost('two-dimm-all-modes');
  const daxChanges = createDaxChangeService({
    device: { host: recorded.host, native },
    fsdax: { policy: fsDaxPolicyHandler, inspect: inspectFsDax },
    rescan: async () => { reports++; },
  });
  agent = await agentWith({ commandKey: () => KEY, run: async () => {}, daxChanges }, 'agent');
  bare = await agentWith({ commandKey: () => KEY, run: async () => {} }, 'bare');
});
afterAll(async () => {
  await agent.close();
  await bare.close();
  recorded.remove();
  tmp.remove();
});

let seq = 0;
async function send<T>(server: FastifyInstance, command: Record<string, unknown>): Promise<{ status: number; body: T }> {
  const body = JSON.stringify({ id: `c${++seq}`, ...command } as AgentCommand);
  const res = await server.inject({
    method: 'POST', url: COMMANDS_PATH, payload: body,
    headers: { 'content-type': 'application/json', ...commandHeaders(KEY, body) },
  });
  return { status: res.statusCode, body: res.json<T>() };
}

function schemaErrors(schema: TSchema, value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((e) => `${e.instancePath} ${e.message}`);
}

describe('dax-change-plan', () => {
  it('answers the dry run in full (the serializer keeps before, expected, checks and data_loss)', async () => {
    const { status, body } = await send<DaxChangePlanCommandAck>(agent, {
      type: 'dax-change-plan', request: { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'devdax' },
    });
    expect(status).toBe(202);
    expect(schemaErrors(DaxChangePlanCommandAckSchema, body)).toEqual([]);
    const plan = body.dax_plan;
    expect(plan.executable).toBe(false);
    expect(plan.refusal).toContain('/mnt/fsdax-dev');
    expect(plan.before).toMatchObject({ dev: 'namespace0.0', blockdev: 'pmem0' });
    expect(plan.expected).toMatchObject({ mode: 'devdax', align: 2097152 });
    expect(plan.data_loss[0]?.description).toMatch(/all data on namespace0\.0/);
    expect(plan.checks.map((c) => c.id)).toContain('namespace-not-mounted');
  });

  it('a malformed request is a 400 (schema), nothing is planned', async () => {
    const { status } = await send(agent, { type: 'dax-change-plan', request: { kind: 'namespace-destroy', namespace: 'pmem0' } });
    expect(status).toBe(400);
  });
});

describe('dax-change-execute', () => {
  it('a changed host: executed false with the fresh plan in the answer (not cut down to a plan ack)', async () => {
    const { status, body } = await send<DaxChangeExecuteCommandAck>(agent, {
      type: 'dax-change-execute', change_id: 'dc_stale', executed_by: 'user:bob', digest: '0'.repeat(64),
      request: { kind: 'namespace-create', region: 'region0', mode: 'raw', size: 64 * 1024 * 1024 },
    });
    expect(status).toBe(202);
    expect(schemaErrors(DaxChangeExecuteCommandAckSchema, body)).toEqual([]);
    expect(body).toMatchObject({ accepted: true, executed: false, refused_because: 'host-changed' });
    expect(body.dax_plan?.executable).toBe(true);
    expect(body.dax_plan?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(body.refusal).toMatch(/host changed/);
  });

  it('an fs-dax-policy change runs, is verified by re-reading the flag, and the agent reports after it', async () => {
    const dir = path.join(tmp.dir, 'policy');
    mkdirSync(dir);
    const request = { kind: 'fs-dax-policy', path: dir, dax: true } as const;
    const planned = await send<DaxChangePlanCommandAck>(agent, { type: 'dax-change-plan', request });
    expect(planned.body.dax_plan.executable, planned.body.dax_plan.refusal).toBe(true);
    const before = reports;
    const { status, body } = await send<DaxChangeExecuteCommandAck>(agent, {
      type: 'dax-change-execute', change_id: 'dc_policy', executed_by: 'user:bob', digest: planned.body.dax_plan.digest, request,
    });
    expect(status).toBe(202);
    expect(schemaErrors(DaxChangeExecuteCommandAckSchema, body)).toEqual([]);
    expect(body.executed).toBe(true);
    expect(body.result?.outcome, body.result?.error).toBe('verified');
    expect(body.result?.executed_by).toBe('user:bob');
    expect(body.result?.verification.map((c) => c.id)).toContain('flags-set');
    expect(((await getFsxattr(dir)).xflags & FS_XFLAG_DAX) !== 0).toBe(true);
    expect(reports).toBe(before + 1);
  });
});

describe('fs-dax-inspect', () => {
  it('answers the inspection of a path', async () => {
    const dir = path.join(tmp.dir, 'inspect');
    mkdirSync(dir);
    const { status, body } = await send<FsDaxInspectCommandAck>(agent, { type: 'fs-dax-inspect', request: { path: dir } });
    expect(status).toBe(202);
    expect(schemaErrors(FsDaxInspectCommandAckSchema, body)).toEqual([]);
    expect(body.inspection.entries[0]).toMatchObject({ path: dir, kind: 'dir' });
  });
});

describe('an agent without the DAX change service (a recorded sysfs tree)', () => {
  it.each([
    { type: 'dax-change-plan', request: { kind: 'namespace-destroy', namespace: 'namespace0.0' } },
    { type: 'dax-change-execute', change_id: 'dc_x', executed_by: 'u', digest: '0'.repeat(64), request: { kind: 'daxdev-offline', device: 'dax0.0' } },
    { type: 'fs-dax-inspect', request: { path: '/' } },
  ])('refuses $type with a 400 saying why', async (command) => {
    const { status, body } = await send<{ code: string; message: string }>(bare, command);
    expect(status).toBe(400);
    expect(body.code).toBe('DAXFLEET_ERR_REQUEST_INVALID');
    expect(body.message).toMatch(/cannot make DAX changes.*recorded sysfs tree/);
  });
});
