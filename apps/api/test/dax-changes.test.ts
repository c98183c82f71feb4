/**
 * DAX changes on the hub (services/dax-changes.ts and its routes) around the agent: request validation, roles,
 * unknown hosts and changes, agents that cannot be reached or do not answer, listing and paging, expiry, and the
 * execute refusals the hub decides itself. A real hub (role hub) on a real SQLite file; its hosts reported real
 * inventories (the recorded four-dimm-mixed tree) with agent URLs that are a closed port (host-b) or a listener
 * here that takes the command and never answers (host-c). Changes the agent would have planned are stored rows
 * (their plans are the agent's answer format, DaxChangeAgentPlan); dax-changes-agent.test.ts has a real agent.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type {
  ApiError, AuditEntry, DaxChange, DaxChangeAgentPlan, DaxChangeList, DaxChangeRequest, Inventory,
} from '@daxfleet/shared';
import { DaxChangeAgentPlanSchema } from '@daxfleet/shared';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import {
  EXECUTING_STALE_MS, executeDaxChange, interruptStaleChanges, newChangeId,
} from '../src/services/dax-changes.js';
import { authed, fixtureInventory, reportOf, startTestHub, withEnv, type TestHub } from './helpers.js';
import { eventually } from './processes.js';

/** its agent's URL is a closed port: commands cannot be delivered */
const CLOSED = 'host-b';
/** its agent's URL is a listener that accepts the command and never answers */
const SILENT = 'host-c';
/** enrolled, reported, but without an agent URL */
const NO_URL = 'host-d';
/** its agent's URL is a listener that reads the command and closes the connection without answering */
const HANGS_UP = 'host-e';

let hub: TestHub;
let inventory: Inventory;
let silent: Server;
const silentSockets = new Set<Socket>();
let hangUp: Server;
let viewer = '';
let operator = '';

async function api<T = unknown>(method: 'GET' | 'POST', url: string, token: string, payload?: unknown): Promise<{ status: number; json: T }> {
  const res = await hub.server.inject({ method, url, headers: authed(token), ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, json: res.json<T>() };
}

async function audit(action: string): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?action=${action}&limit=500`, hub.adminToken);
  expect(res.status).toBe(200);
  return res.json.entries;
}

const POLICY: DaxChangeRequest = { kind: 'fs-dax-policy', path: '/mnt/ext4-dax/db', dax: true, existing: 'all' };

/** A plan as an agent answers dax-change-plan (the schema is checked, so a stored row is one the hub could have). */
function agentPlan(request: DaxChangeRequest, executable = true): DaxChangeAgentPlan {
  const parts = {
    kind: request.kind, request, steps: [{ n: 1, op: 'FS_IOC_FSSETXATTR', description: 'set FS_XFLAG_DAX' }],
    data_loss: [], changes: [],
  };
  const plan: DaxChangeAgentPlan = {
    ...parts,
    checks: [{ id: 'path-exists', ok: executable, detail: executable ? 'exists' : '/mnt/ext4-dax/db does not exist' }],
    executable,
    ...(executable ? {} : { refusal: '/mnt/ext4-dax/db does not exist' }),
    digest: createHash('sha256').update(JSON.stringify(parts)).digest('hex'),
    planned_at: new Date().toISOString(),
  };
  expect(Value.Errors(DaxChangeAgentPlanSchema, plan)).toEqual([]);
  return plan;
}

let clock = Date.parse('2026-11-27T10:00:00.000Z');
/** Stores a change as createDaxChange would have; created_at steps by a second so the order is known. */
async function storeChange(over: {
  hostId?: string; status?: string; request?: DaxChangeRequest; expiresInMs?: number; createdAt?: Date;
} = {}): Promise<DaxChange> {
  const request = over.request ?? POLICY;
  const status = over.status ?? 'planned';
  const createdAt = over.createdAt ?? new Date((clock += 1000));
  const plan = agentPlan(request, status !== 'refused');
  await hub.server.prisma.daxChange.create({
    data: {
      id: newChangeId(), hostId: over.hostId ?? CLOSED, kind: request.kind, status, createdAt, createdBy: 'token:test',
      expiresAt: new Date(Date.now() + (over.expiresInMs ?? 600_000)), plan: JSON.stringify(plan), updatedAt: createdAt,
    },
  });
  const row = await hub.server.prisma.daxChange.findFirstOrThrow({ where: { createdAt }, orderBy: { id: 'desc' } });
  const res = await api<DaxChange>('GET', `/api/v1/dax/changes/${row.id}`, viewer);
  expect(res.status).toBe(200);
  return res.json;
}

beforeAll(async () => {
  // holds every connection open and answers nothing
  silent = createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const silentPort = (silent.address() as { port: number }).port;
  hangUp = createServer((socket) => { socket.once('data', () => socket.destroy()); });
  await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
  const hangUpPort = (hangUp.address() as { port: number }).port;
  hub = await withEnv({ DAXFLEET_DAX_SWEEP_MS: '100' }, () => startTestHub());
  viewer = await hub.tokenFor('viewer');
  operator = await hub.tokenFor('operator');
  inventory = await fixtureInventory('four-dimm-mixed');
  const urls: Array<[string, string | undefined]> = [
    [CLOSED, 'http://127.0.0.1:9'], [SILENT, `http://127.0.0.1:${silentPort}`], [NO_URL, undefined],
    [HANGS_UP, `http://127.0.0.1:${hangUpPort}`],
  ];
  for (const [hostId, url] of urls) {
    const { agent_credential } = await issueAgentCredential(hub.server.prisma, hostId);
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report', headers: authed(agent_credential),
      payload: reportOf(inventory, { host_id: hostId, hostname: `pmem-${hostId}`, ...(url !== undefined ? { agent_url: url } : {}) }),
    });
    expect(res.statusCode, res.body).toBe(200);
  }
});

afterAll(async () => {
  await hub?.close();
  for (const socket of silentSockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await new Promise((resolve) => hangUp?.close(resolve));
});

describe('change ids', () => {
  it('are "dc_" + 22 base64url characters, never starting with "-", all different', () => {
    const ids = Array.from({ length: 2000 }, () => newChangeId());
    for (const id of ids) expect(id).toMatch(/^dc_[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('planning', () => {
  it('refuses a malformed body with 400 naming the field, before asking the agent, storing nothing', async () => {
    const before = await hub.server.prisma.daxChange.count();
    const bodies: Array<[unknown, RegExp]> = [
      [{}, /request/],
      [{ request: { kind: 'namespace-format', namespace: 'namespace0.0' } }, /request/],
      [{ request: { kind: 'namespace-create', mode: 'fsdax' } }, /request/],
      [{ request: { kind: 'namespace-destroy', namespace: 'pmem0' } }, /request/],
      [{ request: { kind: 'fs-dax-policy', path: 'relative/dir', dax: true } }, /request/],
      [{ request: POLICY, ttl_seconds: 5 }, /ttl_seconds/],
      [{ request: POLICY, colour: 'blue' }, /colour/],
    ];
    for (const [body, field] of bodies) {
      const res = await api<ApiError>('POST', `/api/v1/hosts/${CLOSED}/dax/changes`, operator, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('DAXFLEET_ERR_REQUEST_VALIDATION');
      expect(res.json.message).toMatch(field);
    }
    expect(await hub.server.prisma.daxChange.count()).toBe(before);
  });

  it('needs an operator (a viewer gets 403), and says which host is unknown (404)', async () => {
    const byViewer = await api<ApiError>('POST', `/api/v1/hosts/${CLOSED}/dax/changes`, viewer, { request: POLICY });
    expect(byViewer.status).toBe(403);
    const unknown = await api<ApiError>('POST', '/api/v1/hosts/no-such-host/dax/changes', operator, { request: POLICY });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
  });

  it('answers 502 with what to do when the agent cannot be reached, 409 when it has no URL; stores nothing, audits dax.plan', async () => {
    const before = await hub.server.prisma.daxChange.count();
    const closed = await api<ApiError>('POST', `/api/v1/hosts/${CLOSED}/dax/changes`, operator, { request: POLICY });
    expect(closed.status).toBe(502);
    expect(closed.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
    expect(closed.json.message).toMatch(/at http:\/\/127\.0\.0\.1:9 cannot be reached \(.+\): check that it runs/);
    const noUrl = await api<ApiError>('POST', `/api/v1/hosts/${NO_URL}/dax/changes`, operator, { request: POLICY });
    expect(noUrl.status).toBe(409);
    expect(noUrl.json.code).toBe('DAXFLEET_ERR_HOST_NO_AGENT_URL');
    expect(await hub.server.prisma.daxChange.count()).toBe(before);
    const entries = await audit('dax.plan');
    expect(entries.find((e) => e.status_code === 502)).toMatchObject({
      actor: 'test-operator', result: 'failure', detail: 'DAXFLEET_ERR_AGENT_UNREACHABLE', target: CLOSED,
    });
  });
});

describe('fs-dax inspection', () => {
  it('needs an operator, a known host and an absolute path; an unreachable agent is a 502', async () => {
    const q = 'path=/mnt/ext4-dax&recursive=true&limit=10';
    expect((await api('GET', `/api/v1/hosts/${CLOSED}/fs-dax?${q}`, viewer)).status).toBe(403);
    const unknown = await api<ApiError>('GET', `/api/v1/hosts/no-such-host/fs-dax?${q}`, operator);
    expect(unknown.status).toBe(404);
    const relative = await api<ApiError>('GET', `/api/v1/hosts/${CLOSED}/fs-dax?path=mnt`, operator);
    expect(relative.status).toBe(400);
    expect(relative.json.message).toMatch(/path/);
    const tooMany = await api<ApiError>('GET', `/api/v1/hosts/${CLOSED}/fs-dax?path=/mnt&limit=10001`, operator);
    expect(tooMany.status).toBe(400);
    const unreachable = await api<ApiError>('GET', `/api/v1/hosts/${CLOSED}/fs-dax?${q}`, operator);
    expect(unreachable.status).toBe(502);
    expect(unreachable.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
  });
});

describe('reading', () => {
  it('one change (viewer); an unknown id is 404 naming the list route', async () => {
    const stored = await storeChange();
    expect(stored).toMatchObject({ host_id: CLOSED, kind: 'fs-dax-policy', status: 'planned', created_by: 'token:test' });
    expect(stored.id).toMatch(/^dc_/);
    const missing = await api<ApiError>('GET', '/api/v1/dax/changes/dc_AAAAAAAAAAAAAAAAAAAAAA', viewer);
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND');
    expect(missing.json.message).toContain('GET /api/v1/dax/changes');
  });

  it('lists newest first with host, kind and status filters, and pages with next_before to the end', async () => {
    const other = 'host-list';
    await hub.server.prisma.host.create({
      data: {
        id: other, hostname: 'pmem-list', agentVersion: 't', sysfsRoot: '/sys', intervalMs: 10_000,
        firstSeen: new Date(), lastSeen: new Date(),
      },
    });
    const made: DaxChange[] = [];
    const destroy: DaxChangeRequest = { kind: 'namespace-destroy', namespace: 'namespace1.0' };
    for (let i = 0; i < 7; i++) {
      made.push(await storeChange({ hostId: other, request: i % 2 === 0 ? POLICY : destroy, status: i === 3 ? 'verified' : 'planned' }));
    }
    const ids = made.map((c) => c.id).reverse();
    const all: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const res = await api<DaxChangeList>('GET', `/api/v1/hosts/${other}/dax/changes?limit=3${before ? `&before=${before}` : ''}`, viewer);
      expect(res.status).toBe(200);
      all.push(...res.json.changes.map((c) => c.id));
      before = res.json.next_before;
      if (before === undefined) break;
    }
    expect(all).toEqual(ids);
    const kind = await api<DaxChangeList>('GET', `/api/v1/dax/changes?host=${other}&kind=namespace-destroy`, viewer);
    expect(kind.json.changes.map((c) => c.id)).toEqual(made.filter((_, i) => i % 2 === 1).map((c) => c.id).reverse());
    const verified = await api<DaxChangeList>('GET', `/api/v1/dax/changes?host=${other}&status=verified`, viewer);
    expect(verified.json.changes.map((c) => c.id)).toEqual([made[3]!.id]);
    expect((await api('GET', `/api/v1/dax/changes?kind=format`, viewer)).status).toBe(400);
    const badCursor = await api<ApiError>('GET', '/api/v1/dax/changes?before=not-a-cursor', viewer);
    expect(badCursor.status).toBe(400);
    expect(badCursor.json.message).toMatch(/next_before/);
    expect((await api<ApiError>('GET', '/api/v1/hosts/no-such-host/dax/changes', viewer)).status).toBe(404);
  });
});

describe('expiry', () => {
  it('a planned change past expires_at reads as expired at once and the sweep writes it into the row (dax notice)', async () => {
    const notices: string[] = [];
    const onDax = (n: { id: string; status: string }): void => { notices.push(`${n.id}:${n.status}`); };
    hub.server.mediaBus.on('dax', onDax);
    try {
      const change = await storeChange({ hostId: CLOSED, expiresInMs: 300 });
      await new Promise((r) => setTimeout(r, 400));
      const listed = await api<DaxChangeList>('GET', `/api/v1/dax/changes?host=${CLOSED}&status=expired`, viewer);
      expect(listed.json.changes.map((c) => c.id)).toContain(change.id);
      const planned = await api<DaxChangeList>('GET', `/api/v1/dax/changes?host=${CLOSED}&status=planned`, viewer);
      expect(planned.json.changes.map((c) => c.id)).not.toContain(change.id);
      await eventually(async () => {
        const row = await hub.server.prisma.daxChange.findUniqueOrThrow({ where: { id: change.id } });
        return row.status === 'expired' ? true : undefined;
      }, 'the sweep to expire the change', 30_000);
      expect(notices).toContain(`${change.id}:expired`);
    } finally {
      hub.server.mediaBus.off('dax', onDax);
    }
  });
});

describe('execute: what the hub decides before sending', () => {
  async function execute(id: string, digest: string, token = operator): Promise<{ status: number; json: DaxChange & ApiError }> {
    return api<DaxChange & ApiError>('POST', `/api/v1/dax/changes/${id}/execute`, token, { digest });
  }

  it('needs an operator and a digest of 64 hex characters', async () => {
    const change = await storeChange();
    expect((await execute(change.id, change.plan.digest, viewer)).status).toBe(403);
    const bad = await execute(change.id, 'abc');
    expect(bad.status).toBe(400);
    expect(bad.json.message).toMatch(/digest/);
    expect((await execute('dc_AAAAAAAAAAAAAAAAAAAAAA', change.plan.digest)).json.code).toBe('DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND');
  });

  it('refuses a digest that is not the plan\'s (the change stays planned), an expired, a refused and a finished change', async () => {
    const change = await storeChange();
    const wrong = await execute(change.id, 'f'.repeat(64));
    expect(wrong.status).toBe(409);
    expect(wrong.json.code).toBe('DAXFLEET_ERR_DAX_DIGEST_MISMATCH');
    expect(wrong.json.message).toContain(`GET /api/v1/dax/changes/${change.id}`);
    expect((await api<DaxChange>('GET', `/api/v1/dax/changes/${change.id}`, viewer)).json.status).toBe('planned');

    const expiring = await storeChange({ expiresInMs: 50 });
    await new Promise((r) => setTimeout(r, 100));
    const expired = await execute(expiring.id, expiring.plan.digest);
    expect(expired.json.code).toBe('DAXFLEET_ERR_DAX_CHANGE_EXPIRED');
    expect(expired.json.message).toContain(`POST /api/v1/hosts/${CLOSED}/dax/changes`);
    expect((await hub.server.prisma.daxChange.findUniqueOrThrow({ where: { id: expiring.id } })).status).toBe('expired');

    const refused = await storeChange({ status: 'refused' });
    const notExecutable = await execute(refused.id, refused.plan.digest);
    expect(notExecutable.status).toBe(409);
    expect(notExecutable.json.code).toBe('DAXFLEET_ERR_DAX_NOT_EXECUTABLE');
    expect(notExecutable.json.message).toContain('/mnt/ext4-dax/db does not exist');

    const done = await storeChange({ status: 'verified' });
    const again = await execute(done.id, done.plan.digest);
    expect(again.json.code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');

    const entries = (await audit('dax.execute')).filter((e) => e.target === `change:${change.id}`);
    expect(entries).toEqual([expect.objectContaining({ result: 'failure', status_code: 409, detail: 'DAXFLEET_ERR_DAX_DIGEST_MISMATCH' })]);
  });

  it('an agent that cannot be reached leaves the change planned (502): it can be executed again', async () => {
    const change = await storeChange({ hostId: CLOSED });
    const res = await execute(change.id, change.plan.digest);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
    const row = await hub.server.prisma.daxChange.findUniqueOrThrow({ where: { id: change.id } });
    expect(row).toMatchObject({ status: 'planned', executedBy: null, executedAt: null, result: null });
  });

  it('an agent that takes the command and never answers: of two concurrent executes one runs, the other is 409; no answer in time leaves it interrupted', async () => {
    const change = await storeChange({ hostId: SILENT });
    const input = { changeId: change.id, digest: change.plan.digest, caller: { kind: 'token' as const, name: 'op' }, sourceIp: '127.0.0.1', timeoutMs: 500 };
    const outcomes = await Promise.allSettled([executeDaxChange(hub.server, input), executeDaxChange(hub.server, input)]);
    const won = outcomes.filter((o): o is PromiseFulfilledResult<DaxChange> => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as { code: string }).code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');
    const interrupted = won[0]!.value;
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.executed_at).toBeDefined();
    expect(interrupted.result).toMatchObject({ outcome: 'failed', executed_by: 'token:op', steps: [] });
    expect(interrupted.result?.error).toMatch(/did not answer within 0.5 s: it may still be running the command\. The host's next inventory/);
    expect(interrupted.result?.error).toContain(`GET /api/v1/hosts/${SILENT}/inventory`);
    // never planned again: it cannot run twice
    const again = await execute(change.id, change.plan.digest);
    expect(again.json.code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');
    const results = (await audit('dax.result')).filter((e) => e.target === `change:${change.id}`);
    expect(results).toEqual([expect.objectContaining({ actor: 'op', result: 'failure' })]);
    expect(results[0]!.detail).toMatch(/^interrupted: the agent of host host-c at http:\/\/127\.0\.0\.1:\d+ did not answer within 0.5 s/);
  });

  it('an agent that closes the connection before answering may have run it: interrupted, never planned again', async () => {
    const change = await storeChange({ hostId: HANGS_UP });
    const res = await execute(change.id, change.plan.digest);
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('interrupted');
    expect(res.json.result?.error).toMatch(/the connection to the agent broke before its answer \(.+cannot be reached \((UND_ERR_SOCKET|ECONNRESET)\).+\): it may have made the change/);
    expect((await execute(change.id, change.plan.digest)).json.code).toBe('DAXFLEET_ERR_DAX_ALREADY_EXECUTED');
  });

  it('the sweep ends a change a stopped hub left executing (interrupted, audited)', async () => {
    const change = await storeChange({ hostId: CLOSED });
    const long = new Date(Date.now() - EXECUTING_STALE_MS - 1000);
    await hub.server.prisma.daxChange.update({
      where: { id: change.id }, data: { status: 'executing', executedAt: long, executedBy: 'user:alice', updatedAt: long },
    });
    expect(await interruptStaleChanges(hub.server)).toBeGreaterThanOrEqual(1);
    const after = (await api<DaxChange>('GET', `/api/v1/dax/changes/${change.id}`, viewer)).json;
    expect(after.status).toBe('interrupted');
    expect(after.result).toMatchObject({ outcome: 'failed', executed_by: 'user:alice', started_at: long.toISOString() });
    expect(after.result?.error).toMatch(/the hub stopped while the command ran/);
    const results = (await audit('dax.result')).filter((e) => e.target === `change:${change.id}`);
    expect(results).toEqual([expect.objectContaining({ actor_kind: 'system', result: 'failure' })]);
  });
});
