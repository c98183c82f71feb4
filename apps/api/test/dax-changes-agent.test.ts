/**
 * DAX changes through the hub with real agents: a hub in role all whose in-process agent runs the real DAX change
 * service (agent/dax: dispatcher, device planners over the recorded two-dimm-all-modes tree; agent/fsdax: the
 * fs-dax-policy kind and inspection on this machine's filesystem), a second agent of its own (role agent) the hub
 * reaches over HTTP, and a third started without the service (as over a recorded tree). The hub's signed commands
 * go through the same command route a remote agent serves.
 *
 * Only the fs-dax-policy kind executes, on a temp directory of this machine (its own files' FS_XFLAG_DAX, read back
 * with FS_IOC_FSGETXATTR); the device kinds are planned over the recorded tree and never executed (their native
 * calls reject). This machine's root is ext4 on a disk without DAX: the flags are kept, files stay pending
 * (device-no-dax), as on any host whose filesystem is not on an fsdax namespace.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FS_XFLAG_DAX, getFsxattr } from '@daxfleet/dax-native';
import type {
  ApiError, AuditEntry, DaxChange, DaxChangeRequest, FsDaxInspectResult, Inventory,
} from '@daxfleet/shared';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { createDaxChangeService, type DaxChangeService } from '../src/agent/dax/index.js';
import type { DeviceNative } from '../src/agent/dax/native.js';
import { fsDaxPolicyHandler, inspectFsDax } from '../src/agent/fsdax/index.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { recordedDeviceHost, type RecordedDeviceHost } from './dax-device-fixtures.js';
import { authed, fixtureInventory, reportOf, startTestHub, tempDir, type TestHub } from './helpers.js';
import { eventually } from './processes.js';

/** the hub's own host (role all): its agent runs in the hub's process */
const HOST = 'host-a';
/** an agent the hub reaches over HTTP */
const REMOTE = 'host-http';
/** an agent started without the DAX change service */
const BARE = 'host-bare';

const tmp = tempDir('daxfleet-dax-hub-');
const neverCalled = (): Promise<never> => Promise.reject(new Error('no device of this machine may change'));
const native: DeviceNative = {
  createNamespace: neverCalled, reconfigureNamespace: neverCalled, destroyNamespace: neverCalled,
  reconfigureDaxDevice: neverCalled, onlineDaxMemory: neverCalled, offlineDaxMemory: neverCalled,
};

let hub: TestHub;
let recorded: RecordedDeviceHost;
let service: DaxChangeService;
let inventory: Inventory;
const agents: FastifyInstance[] = [];
let operator = '';
let viewer = '';
let rescans = 0;
/** while set, the agent's report after a change waits for it: the change stays running on the host */
let holdReport: Promise<void> | undefined;

async function api<T = unknown>(method: 'GET' | 'POST', url: string, token: string, payload?: unknown): Promise<{ status: number; json: T }> {
  const res = await hub.server.inject({ method, url, headers: authed(token), ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, json: res.json<T>() };
}

async function plan(request: DaxChangeRequest, hostId = HOST): Promise<DaxChange> {
  const res = await api<DaxChange>('POST', `/api/v1/hosts/${hostId}/dax/changes`, operator, { request });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function execute(change: DaxChange, digest = change.plan.digest): Promise<{ status: number; json: DaxChange & ApiError }> {
  return api<DaxChange & ApiError>('POST', `/api/v1/dax/changes/${change.id}/execute`, operator, { digest });
}

async function audit(action: string, target: string): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?action=${action}&target=${target}&limit=50`, hub.adminToken);
  expect(res.status).toBe(200);
  return res.json.entries;
}

async function hasDaxFlag(p: string): Promise<boolean> {
  return ((await getFsxattr(p)).xflags & FS_XFLAG_DAX) !== 0;
}

/** a directory with a subdirectory and a file in each, under the test's temp dir */
function tree(name: string): { root: string; paths: string[] } {
  const root = path.join(tmp.dir, name);
  mkdirSync(path.join(root, 'sub'), { recursive: true });
  writeFileSync(path.join(root, 'a.dat'), 'a');
  writeFileSync(path.join(root, 'sub', 'b.dat'), 'b');
  return { root, paths: [root, path.join(root, 'a.dat'), path.join(root, 'sub'), path.join(root, 'sub', 'b.dat')] };
}

async function agentWith(target: AgentCommandTarget, name: string): Promise<string> {
  const agent = await buildServer({
    config: {
      role: 'agent', version: '0.0.0-test', databaseFile: path.join(tmp.dir, `${name}.db`),
      migrationsDir: DEFAULT_MIGRATIONS_DIR, webDist: path.join(tmp.dir, 'no-web'),
    },
    agentCommands: target,
  });
  agents.push(agent);
  return agent.listen({ host: '127.0.0.1', port: 0 });
}

async function report(hostId: string, credential: string, agentUrl?: string): Promise<void> {
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report', headers: authed(credential),
    payload: reportOf(inventory, { host_id: hostId, hostname: `pmem-${hostId}`, ...(agentUrl !== undefined ? { agent_url: agentUrl } : {}) }),
  });
  expect(res.statusCode, res.body).toBe(200);
}

beforeAll(async () => {
  recorded = recordedDeviceHost('two-dimm-all-modes');
  inventory = await fixtureInventory('two-dimm-all-modes');
  let agentDirs = 0;
  const daxService = (): DaxChangeService => createDaxChangeService({
    device: { host: recorded.host, native },
    dataDir: path.join(tmp.dir, `agent-${++agentDirs}`),
    fsdax: { policy: fsDaxPolicyHandler, inspect: inspectFsDax },
    rescan: async () => { rescans++; await holdReport; },
  });
  service = daxService();
  let commandKey: string | undefined;
  hub = await startTestHub({ role: 'all', localHostId: HOST }, {
    agentCommands: { commandKey: () => commandKey, run: async () => {}, daxChanges: service },
  });
  operator = await hub.tokenFor('operator');
  viewer = await hub.tokenFor('viewer');
  const local = await issueAgentCredential(hub.server.prisma, HOST);
  commandKey = local.command_key;
  await report(HOST, local.agent_credential);

  const remote = await issueAgentCredential(hub.server.prisma, REMOTE);
  const remoteUrl = await agentWith({ commandKey: () => remote.command_key, run: async () => {}, daxChanges: daxService() }, 'remote');
  await report(REMOTE, remote.agent_credential, remoteUrl);

  const bare = await issueAgentCredential(hub.server.prisma, BARE);
  const bareUrl = await agentWith({ commandKey: () => bare.command_key, run: async () => {} }, 'bare');
  await report(BARE, bare.agent_credential, bareUrl);
});

afterAll(async () => {
  for (const agent of agents) await agent.close();
  await hub?.close();
  recorded?.remove();
  tmp.remove();
});

describe('fs-dax-policy through the hub', () => {
  it('plans (a dry run: nothing changes), shows the same plan, inspects, executes (verified, flags set), audits each step', async () => {
    const { root, paths } = tree('policy');
    const change = await plan({ kind: 'fs-dax-policy', path: root, dax: true, existing: 'all' });
    expect(change).toMatchObject({ host_id: HOST, kind: 'fs-dax-policy', status: 'planned', created_by: 'token:test-operator' });
    expect(change.id).toMatch(/^dc_[A-Za-z0-9_-]{22}$/);
    expect(change.plan.executable).toBe(true);
    expect(change.plan.changes?.map((c) => c.path).sort()).toEqual([...paths].sort());
    expect(Date.parse(change.expires_at) - Date.parse(change.created_at)).toBe(600_000);
    for (const p of paths) expect(await hasDaxFlag(p), p).toBe(false);
    expect((await api<DaxChange>('GET', `/api/v1/dax/changes/${change.id}`, viewer)).json).toEqual(change);
    expect(await audit('dax.plan', `change:${change.id}`)).toEqual([
      expect.objectContaining({ actor: 'test-operator', result: 'success', status_code: 201 }),
    ]);

    const before = await api<FsDaxInspectResult>('GET', `/api/v1/hosts/${HOST}/fs-dax?path=${encodeURIComponent(root)}&recursive=true`, operator);
    expect(before.status, JSON.stringify(before.json)).toBe(200);
    expect(before.json.entries.map((e) => e.path).sort()).toEqual([...paths].sort());
    expect(before.json.entries.every((e) => !e.flag)).toBe(true);
    expect(before.json.filesystem?.fstype).toBeDefined();

    const reportsBefore = rescans;
    const done = await execute(change);
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json.status).toBe('verified');
    expect(done.json.executed_at).toBeDefined();
    expect(done.json.result).toMatchObject({ outcome: 'verified', executed_by: 'token:test-operator', changed: 4 });
    expect(done.json.result?.verification.every((c) => c.ok)).toBe(true);
    for (const p of paths) expect(await hasDaxFlag(p), p).toBe(true);
    // the agent reported the host at once after the change
    expect(rescans).toBe(reportsBefore + 1);

    // the files' flags now ask for DAX the disk cannot give: the audit of mismatches lists them, with why
    const pending = await api<FsDaxInspectResult>('GET', `/api/v1/hosts/${HOST}/fs-dax?path=${encodeURIComponent(root)}&mismatches_only=true`, operator);
    expect(pending.status).toBe(200);
    for (const entry of pending.json.entries) expect(entry.state).toBe('pending');
    expect(pending.json.counts.pending).toBe(pending.json.entries.length);

    expect(await audit('dax.execute', `change:${change.id}`)).toEqual([
      expect.objectContaining({ actor: 'test-operator', result: 'success', status_code: 200 }),
    ]);
    const result = await audit('dax.result', `change:${change.id}`);
    expect(result).toEqual([expect.objectContaining({ actor: 'test-operator', result: 'success' })]);
    expect(result[0]!.detail).toMatch(/^verified; verification: \d+ checks ok; 4 flags changed/);

    const again = await execute(change);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');
    const listed = await api<{ changes: DaxChange[] }>('GET', `/api/v1/hosts/${HOST}/dax/changes?status=verified&kind=fs-dax-policy`, viewer);
    expect(listed.json.changes.map((c) => c.id)).toContain(change.id);
  });

  it('a host that changed since the plan: 409 HOST_CHANGED, the change is refused with the agent\'s fresh plan, nothing done', async () => {
    const { root } = tree('changed');
    const change = await plan({ kind: 'fs-dax-policy', path: root, dax: true, existing: 'all' });
    expect(change.plan.changes).toHaveLength(4);
    writeFileSync(path.join(root, 'sub', 'new.dat'), 'n');
    const res = await execute(change);
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DAXFLEET_ERR_DAX_HOST_CHANGED');
    expect(res.json.message).toMatch(/the host changed since this plan was made/);
    expect(res.json.message).toContain(`POST /api/v1/hosts/${HOST}/dax/changes`);
    const stored = (await api<DaxChange>('GET', `/api/v1/dax/changes/${change.id}`, viewer)).json;
    expect(stored.status).toBe('refused');
    expect(stored.plan.changes).toHaveLength(5);
    expect(stored.plan.digest).not.toBe(change.plan.digest);
    expect(stored.plan.refusal).toMatch(/host changed/);
    expect(stored.result).toBeUndefined();
    expect(await hasDaxFlag(root)).toBe(false);
    expect((await execute(change, stored.plan.digest)).json.code).toBe('DAXFLEET_ERR_DAX_NOT_EXECUTABLE');
  });

  it('an execute the agent already ran (the hub lost its answer and put it back to planned): 409 ALREADY_EXECUTED, the agent\'s result stored, nothing run twice', async () => {
    const { root } = tree('replayed');
    const change = await plan({ kind: 'fs-dax-policy', path: root, dax: true });
    expect((await execute(change)).json.status).toBe('verified');
    // as a hub whose answer was lost (a generic send error puts the change back to planned)
    await hub.server.prisma.daxChange.update({ where: { id: change.id }, data: { status: 'planned', executedBy: null, executedAt: null, result: null } });
    const reportsBefore = rescans;
    const again = await execute(change);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');
    expect(again.json.message).toMatch(/this change was already executed on .*\(verified\): it is not run twice.*Its result \(verified\) is stored/);
    expect(rescans).toBe(reportsBefore);
    const stored = (await api<DaxChange>('GET', `/api/v1/dax/changes/${change.id}`, viewer)).json;
    expect(stored.status).toBe('verified');
    expect(stored.result).toMatchObject({ outcome: 'verified', changed: 1 });
  });

  it('a plan the agent refuses is stored refused (201) with the failed check, and cannot be executed', async () => {
    const change = await plan({ kind: 'fs-dax-policy', path: path.join(tmp.dir, 'no-such-dir'), dax: true });
    expect(change.status).toBe('refused');
    expect(change.plan.executable).toBe(false);
    expect(change.plan.refusal).toMatch(/does not exist/);
    const res = await execute(change);
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DAXFLEET_ERR_DAX_NOT_EXECUTABLE');
    expect(res.json.message).toMatch(/does not exist/);
  });

  it('while one change runs on the host another is 409 BUSY and stays planned; it runs once the first finished', async () => {
    // `existing` left out: the stored request carries its default, so executing it matches the agent's digest
    const busy1 = tree('busy-1').root;
    const first = await plan({ kind: 'fs-dax-policy', path: busy1, dax: true });
    const second = await plan({ kind: 'fs-dax-policy', path: tree('busy-2').root, dax: true });
    expect([first.status, second.status], first.plan.refusal).toEqual(['planned', 'planned']);
    expect(first.plan.request).toEqual({ kind: 'fs-dax-policy', path: busy1, dax: true, existing: 'none' });
    let release: () => void = () => {};
    holdReport = new Promise<void>((resolve) => { release = resolve; });
    const running = execute(first);
    try {
      await eventually(async () => (service.busyWith === first.id ? true : undefined), 'the first change to run on the agent', 20_000)
        .catch(async (err: unknown) => { throw new Error(`${String(err)}; the first execute: ${JSON.stringify((await running).json)}`); });
      const busy = await execute(second);
      expect(busy.status).toBe(409);
      expect(busy.json.code).toBe('DAXFLEET_ERR_DAX_BUSY');
      expect(busy.json.message).toContain(first.id);
      expect((await api<DaxChange>('GET', `/api/v1/dax/changes/${second.id}`, viewer)).json.status).toBe('planned');
      expect((await api<DaxChange>('GET', `/api/v1/dax/changes/${first.id}`, viewer)).json.status).toBe('executing');
    } finally {
      release();
      holdReport = undefined;
    }
    expect((await running).json.status).toBe('verified');
    expect((await execute(second)).json.status).toBe('verified');
  });
});

describe('the media stream', () => {
  it('sends a `dax` event when a change is planned and each time its status changes', async () => {
    const url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/api/v1/media/stream`, { headers: { accept: 'text/event-stream', ...authed(viewer) } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended before ${String(pattern)}: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      await until(/: connected/);
      const change = await plan({ kind: 'fs-dax-policy', path: tree('stream').root, dax: true });
      const frame = (status: string): RegExp =>
        new RegExp(`event: dax\ndata: \{"id":"${change.id}","host_id":"${HOST}","kind":"fs-dax-policy","status":"${status}"\}\n\n`);
      await until(frame('planned'));
      expect((await execute(change)).json.status).toBe('verified');
      await until(frame('executing'));
      await until(frame('verified'));
    } finally {
      await reader.cancel();
    }
  });
});

describe('other agents and kinds', () => {
  it('plans and executes over HTTP with an agent of its own', async () => {
    const { root } = tree('remote');
    const change = await plan({ kind: 'fs-dax-policy', path: root, dax: true, existing: 'directories' }, REMOTE);
    expect(change.plan.changes?.map((c) => c.path).sort()).toEqual([root, path.join(root, 'sub')]);
    const done = await execute(change);
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(done.json).toMatchObject({ host_id: REMOTE, status: 'verified', result: { changed: 2 } });
    expect(await hasDaxFlag(path.join(root, 'sub'))).toBe(true);
    expect(await hasDaxFlag(path.join(root, 'a.dat'))).toBe(false);
  });

  it('an agent without the DAX change service refuses the commands: 502 with its message, nothing stored', async () => {
    const before = await hub.server.prisma.daxChange.count();
    const res = await api<ApiError>('POST', `/api/v1/hosts/${BARE}/dax/changes`, operator, { request: { kind: 'fs-dax-policy', path: tmp.dir, dax: true } });
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('DAXFLEET_ERR_AGENT_REFUSED');
    expect(res.json.message).toMatch(/cannot make DAX changes/);
    const inspect = await api<ApiError>('GET', `/api/v1/hosts/${BARE}/fs-dax?path=${encodeURIComponent(tmp.dir)}`, operator);
    expect(inspect.status).toBe(502);
    expect(inspect.json.message).toMatch(/cannot make DAX changes or inspect filesystem DAX/);
    expect(await hub.server.prisma.daxChange.count()).toBe(before);
  });

  it('stores a device change as the agent planned it over its (recorded) kernel: steps, data lost, checks', async () => {
    const change = await plan({ kind: 'namespace-destroy', namespace: 'namespace0.3' });
    expect(change.kind).toBe('namespace-destroy');
    expect(change.status).toBe(change.plan.executable ? 'planned' : 'refused');
    expect(change.plan.request).toEqual({ kind: 'namespace-destroy', namespace: 'namespace0.3' });
    expect(change.plan.steps.length).toBeGreaterThan(0);
    expect(change.plan.data_loss.map((d) => d.description).join(' ')).toContain('namespace0.3');
    const missing = await plan({ kind: 'namespace-destroy', namespace: 'namespace9.9' });
    expect(missing.status).toBe('refused');
    expect(missing.plan.refusal).toMatch(/namespace9\.9/);
    const listed = await api<{ changes: DaxChange[] }>('GET', `/api/v1/dax/changes?host=${HOST}&kind=namespace-destroy`, viewer);
    expect(listed.json.changes.map((c) => c.id)).toEqual([missing.id, change.id]);
  });
});
