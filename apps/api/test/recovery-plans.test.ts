/**
 * Recovery plans on the hub (services/recovery-plans.ts and its routes) with a real agent: a hub in role all whose
 * in-process agent runs the real recovery executor (agent/recovery/) over a copy of a recorded kernel
 * (lab/fixtures/four-dimm-mixed), on a real SQLite file. The hub sends its signed recovery-plan and
 * recovery-execute commands to that agent through the same command route a remote agent serves, and the agent
 * posts its progress to POST /api/v1/agents/recovery with its enrolled credential.
 *
 * What can really execute on a recorded tree: only scrub-recheck, once the copy's bus has an nfit/scrub attribute
 * that this test plays the kernel's part on (as scrub.test.ts does: QEMU's emulated NFIT has none). Every other
 * action touches a device or a file this machine does not have (/dev/pmem2, the recorded mount /mnt/ext4-dax), so
 * the agent refuses it at plan time; the hub's part of those is tested with what the agent answered, and progress
 * ingestion with reports posted through the agent route.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { clearErrorsOnBus, deviceInUse, punchHole, scanInventory, writeZeros } from '@daxfleet/dax-native';
import type {
  ApiError, AuditEntry, Inventory, RecoveryAgentPlan, RecoveryPlan, RecoveryPlanList, RecoveryProgressAck,
  RecoveryProgressReport, RecoveryRequest,
} from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { deriveEvents } from '../src/agent/media/derive.js';
import { RecoveryExecutor } from '../src/agent/recovery/execute.js';
import { recoveryProgressSender } from '../src/agent/recovery/progress.js';
import { hubPoster } from '../src/agent/senders.js';
import { DEFAULT_MIGRATIONS_DIR } from '../src/config.js';
import { buildServer } from '../src/server.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { createApiToken } from '../src/services/api-tokens.js';
import { executeRecoveryPlan, newPlanId } from '../src/services/recovery-plans.js';
import { authed, reportOf, startTestHub, tempDir, withEnv, type TestHub } from './helpers.js';
import { eventually } from './processes.js';
import { EmulatedScrub, recordedHost, setAttribute, type RecordedHost } from './recovery-fixtures.js';

const HOST = 'host-a';
/** a second host whose agent listens nowhere (its reported URL is a closed port) */
const REMOTE = 'host-b';

const RAW_RANGE = { region: 'region2', region_offset: 131072, length: 8 };
const FSDAX_RANGE = { region: 'region0', region_offset: 8192, length: 8 };
const SCRUB: RecoveryRequest = { action: 'scrub-recheck', range: RAW_RANGE };

const tmp = tempDir('daxfleet-recovery-hub-');
let recorded: RecordedHost;
let hub: TestHub;
let executor: RecoveryExecutor;
let inventory: Inventory;
let credential = '';
let remoteCredential = '';
let viewer = '';
let operator = '';
let scrubFile = '';

let kernel: EmulatedScrub;

async function api<T = unknown>(method: 'GET' | 'POST', url: string, token: string, payload?: unknown): Promise<{ status: number; json: T }> {
  const res = await hub.server.inject({ method, url, headers: authed(token), ...(payload !== undefined ? { payload: payload as object } : {}) });
  return { status: res.statusCode, json: res.json<T>() };
}

async function plan(request: RecoveryRequest, token = operator, hostId = HOST): Promise<RecoveryPlan> {
  const res = await api<RecoveryPlan>('POST', `/api/v1/hosts/${hostId}/recovery/plans`, token, request);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

async function getPlan(id: string): Promise<RecoveryPlan> {
  const res = await api<RecoveryPlan>('GET', `/api/v1/recovery/plans/${id}`, viewer);
  expect(res.status).toBe(200);
  return res.json;
}

async function execute(id: string, digest: string, token = operator): Promise<{ status: number; json: RecoveryPlan & ApiError }> {
  return api<RecoveryPlan & ApiError>('POST', `/api/v1/recovery/plans/${id}/execute`, token, { digest });
}

async function audit(action: string): Promise<AuditEntry[]> {
  const res = await api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?action=${action}&limit=500`, hub.adminToken);
  expect(res.status).toBe(200);
  return res.json.entries;
}

async function finished(id: string): Promise<RecoveryPlan> {
  return eventually(async () => {
    const p = await getPlan(id);
    return p.status === 'executing' ? undefined : p;
  }, `plan ${id} to finish`, 20_000);
}

/** Runs a scrub-recheck execution the test started to its end: the kernel completes the scrub the agent started. */
async function completeScrub(id: string): Promise<RecoveryPlan> {
  await eventually(async () => (kernel.running ? true : undefined), 'the agent to start the scrub', 30_000);
  kernel.complete();
  return finished(id);
}

beforeAll(async () => {
  recorded = recordedHost('four-dimm-mixed');
  scrubFile = path.join(recorded.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub');
  setAttribute(recorded.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub', '3\n');
  kernel = new EmulatedScrub(scrubFile);
  inventory = await scanInventory({ sysfsRoot: recorded.sysfsRoot, health: false });

  let commandKey: string | undefined;
  const target: AgentCommandTarget = { commandKey: () => commandKey, sysfsRoot: recorded.sysfsRoot, run: async () => {} };
  hub = await withEnv({ DAXFLEET_RECOVERY_SWEEP_MS: '100' }, () => startTestHub({ role: 'all', localHostId: HOST }, { agentCommands: target }));
  const issued = await issueAgentCredential(hub.server.prisma, HOST);
  commandKey = issued.command_key;
  credential = issued.agent_credential;
  remoteCredential = (await issueAgentCredential(hub.server.prisma, REMOTE)).agent_credential;
  viewer = await hub.tokenFor('viewer');
  operator = await hub.tokenFor('operator');

  executor = new RecoveryExecutor({
    hostId: HOST,
    // the real dax-native calls; the recorded tree and its recorded mount table stand for the kernel's /sys and /proc
    host: recorded.host({ deviceInUse, now: () => new Date() }),
    native: { punchHole, writeZeros, clearErrorsOnBus },
    dataDir: path.join(tmp.dir, 'agent'),
    send: recoveryProgressSender(hubPoster({ hub: hub.server }, () => credential)),
    rescan: async () => {},
    log: hub.server.log,
    // no device nodes here: a device step could only fail with ENOENT, never reach a real device
    devRoot: path.join(tmp.dir, 'dev'),
    scrubPollMs: 20,
    progressIntervalMs: 20,
    retryFirstMs: 50,
  });
  target.recovery = executor;

  // the agent's first report: the recorded tree's bad ranges open the host's ledger
  for (const [hostId, cred, url] of [[HOST, credential, undefined], [REMOTE, remoteCredential, 'http://127.0.0.1:9']] as const) {
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report', headers: authed(cred),
      payload: reportOf(inventory, {
        host_id: hostId, hostname: `pmem-${hostId}`, events: deriveEvents(undefined, inventory, { detectedBy: 'scan' }).events,
        ...(url !== undefined ? { agent_url: url } : {}),
      }),
    });
    expect(res.statusCode, res.body).toBe(200);
  }
});

afterAll(async () => {
  kernel?.stop();
  await executor?.close();
  await hub?.close();
  recorded?.remove();
  tmp.remove();
});

describe('plan ids', () => {
  it('never start with "-" (a command line would read one as an option): url-safe, prefixed rp_', () => {
    const ids = Array.from({ length: 2000 }, () => newPlanId());
    for (const id of ids) expect(id).toMatch(/^rp_[A-Za-z0-9_-]{22}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('planning', () => {
  it('refuses requests without what their action needs, naming the field, before asking the agent', async () => {
    const rowsBefore = await hub.server.prisma.recoveryPlan.count();
    const cases: Array<[RecoveryRequest, RegExp]> = [
      [{ action: 'punch-hole', range: FSDAX_RANGE }, /body\/path is required for punch-hole/],
      [{ action: 'delete-restore', range: FSDAX_RANGE, path: '/mnt/ext4-dax/a' }, /body\/backup_path is required for delete-restore/],
      [{ action: 'clear-errors', range: RAW_RANGE, size: 4096 }, /body\/size is only for truncate/],
      [{ action: 'clear-errors', range: RAW_RANGE, path: '/mnt/x' }, /body\/path is not used by clear-errors/],
      [{ action: 'truncate', range: FSDAX_RANGE, path: '/mnt/x', backup_path: '/b' }, /body\/backup_path is only for delete-restore/],
    ];
    for (const [request, message] of cases) {
      const res = await api<ApiError>('POST', `/api/v1/hosts/${HOST}/recovery/plans`, operator, request);
      expect(res.status, request.action).toBe(400);
      expect(res.json.code).toBe('DAXFLEET_ERR_REQUEST_VALIDATION');
      expect(res.json.message).toMatch(message);
    }
    const unknownAction = await api<ApiError>('POST', `/api/v1/hosts/${HOST}/recovery/plans`, operator, { action: 'format', range: RAW_RANGE });
    expect(unknownAction.status).toBe(400);
    // nothing was stored for any of them
    expect(await hub.server.prisma.recoveryPlan.count()).toBe(rowsBefore);
  });

  it('refuses a range that is not open in the host\'s ledger (404 naming the ledger) and an unknown host', async () => {
    const res = await api<ApiError>('POST', `/api/v1/hosts/${HOST}/recovery/plans`, operator,
      { action: 'clear-errors', range: { region: 'region2', region_offset: 1000, length: 8 } });
    expect(res.status).toBe(404);
    expect(res.json.code).toBe('DAXFLEET_ERR_RECOVERY_RANGE_NOT_FOUND');
    expect(res.json.message).toContain(`GET /api/v1/hosts/${HOST}/ledger`);
    const host = await api<ApiError>('POST', '/api/v1/hosts/no-such-host/recovery/plans', operator, SCRUB);
    expect(host.status).toBe(404);
    expect(host.json.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
  });

  it('an operator plans (a viewer may not: the agent reads file metadata); a file action on the recorded mount is refused with the check that says why', async () => {
    const byViewer = await api<ApiError>('POST', `/api/v1/hosts/${HOST}/recovery/plans`, viewer,
      { action: 'punch-hole', range: FSDAX_RANGE, path: '/etc/shadow' });
    expect(byViewer.status).toBe(403);
    const stored = await plan({ action: 'punch-hole', range: FSDAX_RANGE, path: '/mnt/ext4-dax/orders.tbl' }, operator);
    expect(stored).toMatchObject({ host_id: HOST, action: 'punch-hole', status: 'refused', created_by: 'token:test-operator' });
    expect(stored.plan.executable).toBe(false);
    const failed = stored.plan.checks.find((c) => !c.ok);
    expect(failed?.id).toBe('file-on-namespace');
    // the recorded mount point is not on this machine: the agent cannot stat the file
    expect(stored.plan.refusal).toBe(failed?.detail);
    expect(stored.plan.refusal).toContain('/mnt/ext4-dax/orders.tbl');
    expect(stored.plan.refusal).toContain('ENOENT');
    const entries = await audit('recovery.plan');
    expect(entries[0]).toMatchObject({ actor: 'test-operator', result: 'success', status_code: 201, target: `plan:${stored.id}` });
  });

  it('stores what the agent answered verbatim (clear-errors on the recorded raw namespace pmem2)', async () => {
    const request: RecoveryRequest = { action: 'clear-errors', range: RAW_RANGE };
    const stored = await plan(request);
    const direct = await executor.plan(request);
    expect({ ...stored.plan, planned_at: 'x' }).toEqual({ ...direct, planned_at: 'x' });
    expect(stored.status).toBe(direct.executable ? 'planned' : 'refused');
    // on this machine there is no /dev/pmem2 to open exclusively
    if (!direct.executable) expect(stored.plan.refusal).toContain('/dev/pmem2');
    const ttl = Date.parse(stored.expires_at) - Date.parse(stored.created_at);
    expect(ttl).toBe(600_000);
    expect(await getPlan(stored.id)).toEqual(stored);
  });

  it('the ttl sets the expiry; a plan the agent can run is planned', async () => {
    const stored = await plan({ ...SCRUB, ttl_seconds: 120 });
    expect(stored.status).toBe('planned');
    expect(stored.plan.executable).toBe(true);
    expect(stored.plan.steps.map((s) => s.op)).toEqual(['start-scrub', 'wait-scrub', 'reread-badblocks']);
    expect(Date.parse(stored.expires_at) - Date.parse(stored.created_at)).toBe(120_000);
  });
});

describe('listing', () => {
  it('lists newest first with keyset paging, per host and fleet-wide, filtered by status', async () => {
    const a = await plan(SCRUB);
    const b = await plan(SCRUB);
    const page1 = await api<RecoveryPlanList>('GET', `/api/v1/hosts/${HOST}/recovery/plans?limit=1`, viewer);
    expect(page1.json.plans.map((p) => p.id)).toEqual([b.id]);
    expect(page1.json.next_before).toBeDefined();
    const page2 = await api<RecoveryPlanList>('GET', `/api/v1/hosts/${HOST}/recovery/plans?limit=1&before=${page1.json.next_before}`, viewer);
    expect(page2.json.plans.map((p) => p.id)).toEqual([a.id]);
    const all = await api<RecoveryPlanList>('GET', `/api/v1/recovery/plans?host=${HOST}&status=planned&limit=500`, viewer);
    expect(all.json.plans.every((p) => p.status === 'planned')).toBe(true);
    expect(all.json.plans.map((p) => p.id).slice(0, 2)).toEqual([b.id, a.id]);
    const refused = await api<RecoveryPlanList>('GET', '/api/v1/recovery/plans?status=refused', viewer);
    expect(refused.json.plans.length).toBeGreaterThan(0);
    expect(refused.json.plans.every((p) => p.status === 'refused')).toBe(true);
    const bad = await api<ApiError>('GET', '/api/v1/recovery/plans?before=bm90LWEtY3Vyc29y', viewer);
    expect(bad.status).toBe(400);
    expect(bad.json.message).toContain('next_before');
    expect((await api<ApiError>('GET', '/api/v1/recovery/plans/no-such-plan', viewer)).json.code).toBe('DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND');
    expect((await api<ApiError>('GET', '/api/v1/hosts/nobody/recovery/plans', viewer)).status).toBe(404);
  });
});

describe('execution', () => {
  it('a viewer cannot execute (403); a refused plan is not executable; a wrong digest is refused; the plan stays planned', async () => {
    const p = await plan(SCRUB);
    const byViewer = await execute(p.id, p.plan.digest, viewer);
    expect(byViewer.status).toBe(403);
    expect(byViewer.json.code).toBe('DAXFLEET_ERR_AUTH_FORBIDDEN');
    const wrong = await execute(p.id, 'f'.repeat(64));
    expect(wrong.status).toBe(409);
    expect(wrong.json.code).toBe('DAXFLEET_ERR_RECOVERY_DIGEST_MISMATCH');
    expect((await getPlan(p.id)).status).toBe('planned');

    const anyRefused = await plan({ action: 'punch-hole', range: FSDAX_RANGE, path: '/mnt/ext4-dax/orders.tbl' });
    expect(anyRefused.status).toBe('refused');
    const notExecutable = await execute(anyRefused.id, anyRefused.plan.digest);
    expect(notExecutable.status).toBe(409);
    expect(notExecutable.json.code).toBe('DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE');
    expect(notExecutable.json.message).toContain(anyRefused.plan.refusal);
    const failures = (await audit('recovery.execute')).filter((e) => e.target === `plan:${anyRefused.id}`);
    expect(failures).toEqual([expect.objectContaining({ result: 'failure', status_code: 409, detail: 'DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE' })]);
  });

  it('an expired plan reads as expired, cannot be executed (409) and the row becomes expired; the sweep expires the others', async () => {
    const p = await plan(SCRUB);
    const q = await plan(SCRUB);
    // time passes: the plans' expiry is now in the past
    await hub.server.prisma.recoveryPlan.updateMany({ where: { id: { in: [p.id, q.id] } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await getPlan(p.id)).status).toBe('expired');
    const res = await execute(p.id, p.plan.digest);
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DAXFLEET_ERR_RECOVERY_PLAN_EXPIRED');
    expect((await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: p.id } })).status).toBe('expired');
    await eventually(async () => ((await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: q.id } })).status === 'expired' ? true : undefined), 'the sweep to expire the plan', 30_000);
    const expired = await api<RecoveryPlanList>('GET', '/api/v1/recovery/plans?status=expired', viewer);
    expect(expired.json.plans.map((x) => x.id)).toEqual(expect.arrayContaining([p.id, q.id]));
    const planned = await api<RecoveryPlanList>('GET', '/api/v1/recovery/plans?status=planned&limit=500', viewer);
    expect(planned.json.plans.map((x) => x.id)).not.toContain(p.id);
  });

  it('two concurrent executes: exactly one starts the plan; the agent runs it, reports every step, the hub audits them', async () => {
    const p = await plan(SCRUB);
    const results = await Promise.all([execute(p.id, p.plan.digest), execute(p.id, p.plan.digest)]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    const won = results.find((r) => r.status === 202)!.json;
    const lost = results.find((r) => r.status === 409)!.json;
    expect(lost.code).toBe('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED');
    expect(won.execution?.executed_by).toBe('token:test-operator');
    expect(['executing', 'still-present', 'verified', 'failed']).toContain(won.status);

    const done = await completeScrub(p.id);
    // the scrub completed, but nothing cleared the range: it is still listed
    expect(done.status).toBe('still-present');
    expect(done.execution?.steps.map((s) => [s.op, s.status])).toEqual([
      ['start-scrub', 'done'], ['wait-scrub', 'done'], ['reread-badblocks', 'done'],
    ]);
    expect(done.execution?.verification).toMatchObject({ verdict: 'still-present', remaining: [{ region_offset: 131072, length: 8 }] });
    expect(done.execution?.finished_at).toBeDefined();

    const steps = (await audit('recovery.step')).filter((e) => e.target === `plan:${p.id}`).reverse();
    expect(steps.map((e) => [e.actor_kind, e.actor, e.result])).toEqual([
      ['agent', HOST, 'success'], ['agent', HOST, 'success'], ['agent', HOST, 'success'],
    ]);
    expect(steps.map((e) => e.detail?.split(':')[0])).toEqual(['step 1 start-scrub', 'step 2 wait-scrub', 'step 3 reread-badblocks']);
    const result = (await audit('recovery.result')).filter((e) => e.target === `plan:${p.id}`);
    expect(result).toEqual([expect.objectContaining({ actor_kind: 'agent', actor: HOST, result: 'success' })]);
    expect(result[0]?.detail).toMatch(/^still-present: /);
    const executes = (await audit('recovery.execute')).filter((e) => e.target === `plan:${p.id}`);
    expect(executes.map((e) => e.status_code).sort()).toEqual([202, 409]);
    // the audit query by target gives exactly this plan's entries (the executes' entries are written when their
    // responses end, which may be after the first steps), the plan first and the result last
    const byTarget = await api<{ entries: AuditEntry[] }>('GET', `/api/v1/audit?target=${encodeURIComponent(`plan:${p.id}`)}&limit=500`, hub.adminToken);
    const actions = byTarget.json.entries.map((e) => e.action).reverse();
    expect([...actions].sort()).toEqual([
      'recovery.execute', 'recovery.execute', 'recovery.plan', 'recovery.result', 'recovery.step', 'recovery.step', 'recovery.step',
    ]);
    expect([actions[0], actions.at(-1)]).toEqual(['recovery.plan', 'recovery.result']);

    // finished: it cannot run again
    const again = await execute(p.id, p.plan.digest);
    expect(again.json.code).toBe('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED');

    // an execute whose answer was lost (the hub put the plan back to planned while the agent ran it): executing it
    // again is refused by the agent as already executed, and the hub keeps it executing instead of planned
    await hub.server.prisma.recoveryPlan.update({ where: { id: p.id }, data: { status: 'planned', seq: 0, execution: null, executedBy: null } });
    const lostAnswer = await execute(p.id, p.plan.digest);
    expect(lostAnswer.status).toBe(409);
    expect(lostAnswer.json.code).toBe('DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED');
    expect(lostAnswer.json.message).toContain('already runs or ran');
    expect((await getPlan(p.id)).status).toBe('executing');
  });

  it('the host changed since the plan: the agent does not start, the plan becomes refused with its fresh plan (409)', async () => {
    const p = await plan(SCRUB);
    const lists = ['bus/nd/devices/region2/badblocks', 'block/pmem2/badblocks'].map((f) => path.join(recorded.sysfsRoot, f));
    const saved = lists.map((f) => readFileSync(f, 'utf8'));
    expect(saved[0]).toContain('131072 8');
    // the range was cleared since the plan (by the platform, another tool): the kernel lists none of it any more
    for (const [i, f] of lists.entries()) writeFileSync(f, (saved[i] as string).replace(/^131072 8\n/m, ''));
    try {
      const res = await execute(p.id, p.plan.digest);
      expect(res.status, JSON.stringify(res.json)).toBe(409);
      expect(res.json.code).toBe('DAXFLEET_ERR_RECOVERY_HOST_CHANGED');
      expect(res.json.message).toContain('plan again');
      const after = await getPlan(p.id);
      expect(after.status).toBe('refused');
      expect(after.execution).toBeUndefined();
      // the agent's fresh plan replaced the reviewed one
      expect(after.plan.digest).not.toBe(p.plan.digest);
      expect(after.plan.executable).toBe(false);
      expect(after.plan.refusal).toContain('no longer listed bad');
      expect(kernel.running).toBe(false);
    } finally {
      for (const [i, f] of lists.entries()) writeFileSync(f, saved[i] as string);
    }
  });

  it('an agent the hub cannot reach: 502 and the plan is planned again, nothing started', async () => {
    // host-b's agent reported a URL where nothing listens; its plan row is one host-a's agent made, as stored
    const source = await plan(SCRUB);
    const row = await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: source.id } });
    await hub.server.prisma.recoveryPlan.create({ data: { ...row, id: 'remote-plan-unreachable', hostId: REMOTE } });
    const res = await execute('remote-plan-unreachable', source.plan.digest);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
    const after = await getPlan('remote-plan-unreachable');
    expect(after.status).toBe('planned');
    expect(after.execution).toBeUndefined();

    // two executes whose reads both see it planned (the database runs their queries in order: read, read, claim,
    // claim): the conditional claim lets exactly one through to the agent
    const input = { planId: 'remote-plan-unreachable', digest: source.plan.digest, executedBy: 'user:ops' };
    const both = await Promise.allSettled([executeRecoveryPlan(hub.server, input), executeRecoveryPlan(hub.server, input)]);
    expect(both.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'started')).sort())
      .toEqual(['DAXFLEET_ERR_AGENT_UNREACHABLE', 'DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED']);
    expect((await getPlan('remote-plan-unreachable')).status).toBe('planned');
  });
});

describe('progress reports from the agent', () => {
  const PLAN_ID = 'remote-plan-progress';
  let agentPlan: RecoveryAgentPlan;

  beforeAll(async () => {
    const source = await plan(SCRUB);
    agentPlan = source.plan;
    const row = await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: source.id } });
    const started = new Date().toISOString();
    await hub.server.prisma.recoveryPlan.create({
      data: {
        ...row, id: PLAN_ID, hostId: REMOTE, status: 'executing', executedBy: 'user:ops',
        execution: JSON.stringify({ executed_by: 'user:ops', started_at: started, steps: agentPlan.steps.map((s) => ({ n: s.n, op: s.op, status: 'pending' })) }),
      },
    });
  });

  function report(seq: number, stepStates: Array<'pending' | 'running' | 'done' | 'failed'>, status: RecoveryProgressReport['status'] = 'executing'): RecoveryProgressReport {
    const at = new Date().toISOString();
    return {
      host_id: REMOTE, plan_id: PLAN_ID, seq, status,
      execution: {
        executed_by: 'user:ops', started_at: at,
        steps: agentPlan.steps.map((s, i) => ({
          n: s.n, op: s.op, status: stepStates[i] ?? 'pending',
          ...(stepStates[i] === 'done' ? { detail: `ok ${s.op}`, finished_at: at } : {}),
          ...(stepStates[i] === 'failed' ? { detail: `EIO on ${s.op}`, finished_at: at } : {}),
        })),
        ...(status !== 'executing' ? {
          finished_at: at,
          verification: { verdict: 'failed' as const, remaining: [{ region_offset: 131072, length: 8 }], checks: [], detail: 'the scrub did not finish', verified_at: at },
        } : {}),
      },
    };
  }

  async function post(body: RecoveryProgressReport, cred = remoteCredential): Promise<{ status: number; json: RecoveryProgressAck & ApiError }> {
    const res = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/recovery', headers: authed(cred), payload: body });
    return { status: res.statusCode, json: res.json() };
  }

  it('applies reports in seq order, ignores a re-sent or late one, audits each step once and the result once', async () => {
    expect(await post(report(1, ['running']))).toMatchObject({ status: 200, json: { plan_id: PLAN_ID, seq: 1 } });
    expect(await post(report(2, ['done', 'running']))).toMatchObject({ status: 200, json: { seq: 2 } });
    // the same report again, and a late older one: acknowledged with the highest seq, nothing changes
    expect(await post(report(2, ['done', 'running']))).toMatchObject({ status: 200, json: { seq: 2 } });
    expect(await post(report(1, ['running']))).toMatchObject({ status: 200, json: { seq: 2 } });
    expect((await getPlan(PLAN_ID)).execution?.steps.map((s) => s.status)).toEqual(['done', 'running', 'pending']);
    expect(await post(report(3, ['done', 'failed', 'pending'], 'failed'))).toMatchObject({ status: 200, json: { seq: 3 } });

    const p = await getPlan(PLAN_ID);
    expect(p.status).toBe('failed');
    expect(p.execution?.verification?.verdict).toBe('failed');
    const steps = (await audit('recovery.step')).filter((e) => e.target === `plan:${PLAN_ID}`).reverse();
    expect(steps.map((e) => [e.actor, e.result, e.detail])).toEqual([
      [REMOTE, 'success', 'step 1 start-scrub: ok start-scrub'],
      [REMOTE, 'failure', 'step 2 wait-scrub: EIO on wait-scrub'],
    ]);
    const result = (await audit('recovery.result')).filter((e) => e.target === `plan:${PLAN_ID}`);
    expect(result).toEqual([expect.objectContaining({ actor_kind: 'agent', actor: REMOTE, result: 'failure', detail: 'failed: the scrub did not finish' })]);
    // a re-sent final report writes no second result
    await post(report(3, ['done', 'failed', 'pending'], 'failed'));
    expect((await audit('recovery.result')).filter((e) => e.target === `plan:${PLAN_ID}`)).toHaveLength(1);
  });

  it('a plan left executing without any report (the hub stopped mid-execute) becomes interrupted; a late report still applies', async () => {
    const source = await plan(SCRUB);
    const row = await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: source.id } });
    const claimedAt = new Date(Date.now() - 6 * 60_000);
    await hub.server.prisma.recoveryPlan.create({
      data: {
        ...row, id: 'remote-plan-unstarted', hostId: REMOTE, status: 'executing', executedBy: 'user:ops', updatedAt: claimedAt,
        execution: JSON.stringify({ executed_by: 'user:ops', started_at: claimedAt.toISOString(), steps: [] }),
      },
    });
    const interrupted = await eventually(async () => {
      const p = await getPlan('remote-plan-unstarted');
      return p.status === 'interrupted' ? p : undefined;
    }, 'the sweep to end the plan', 5000);
    expect(interrupted.execution?.error).toContain('no progress report came from the agent within 5 min');
    const late = { ...report(1, ['running']), plan_id: 'remote-plan-unstarted' };
    expect((await post(late)).status).toBe(200);
    expect((await getPlan('remote-plan-unstarted')).status).toBe('executing');
  });

  it('refuses another host\'s credential (403), a report in another host\'s name (403), an unknown plan (404), a user token (403)', async () => {
    const asOther = await post({ ...report(9, ['done']), host_id: HOST }, credential);
    expect(asOther.status).toBe(403);
    expect(asOther.json.message).toContain(`is for host ${REMOTE}`);
    const impersonating = await post(report(9, ['done']), credential);
    expect(impersonating.status).toBe(403);
    const unknown = await post({ ...report(9, ['done']), plan_id: 'no-such-plan' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND');
    const user = await post(report(9, ['done']), hub.adminToken);
    expect(user.status).toBe(403);
    expect((await getPlan(PLAN_ID)).execution?.steps[0]?.status).toBe('done');
  });

  it('refuses a report for a plan that is not executing (planned, refused, expired, finished): 409, the row unchanged', async () => {
    const source = await plan(SCRUB);
    const row = await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id: source.id } });
    const ids = ['planned', 'refused', 'expired'].map((status) => ({ status, id: `remote-plan-${status}` }));
    for (const { status, id } of ids) {
      await hub.server.prisma.recoveryPlan.create({ data: { ...row, id, hostId: REMOTE, status } });
    }
    // PLAN_ID finished (failed) in the first test of this block
    for (const { status, id } of [...ids, { status: 'failed', id: PLAN_ID }]) {
      const before = await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id } });
      const refused = await post({ ...report(before.seq + 1, ['done', 'done', 'done'], 'verified'), plan_id: id });
      expect(refused.status, status).toBe(409);
      expect(refused.json.code).toBe('DAXFLEET_ERR_RECOVERY_NOT_EXECUTING');
      expect(refused.json.message).toContain(`is ${status}, not executing`);
      expect(await hub.server.prisma.recoveryPlan.findUniqueOrThrow({ where: { id } })).toEqual(before);
    }
    const results = (await audit('recovery.result')).filter((e) => ids.some(({ id }) => e.target === `plan:${id}`));
    expect(results).toEqual([]);
  });
});

describe('live updates', () => {
  it('the media stream sends `recovery` events when a plan is created and when it executes', async () => {
    const url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
    const res = await fetch(`${url}/api/v1/media/stream`, { headers: { accept: 'text/event-stream', ...authed(viewer) } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (pred: () => boolean): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`no such event; the stream had: ${text}`);
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended; got ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    await until(() => text.includes(': connected'));
    const p = await plan(SCRUB);
    const frame = (status: string): string => `event: recovery\ndata: ${JSON.stringify({ id: p.id, host_id: HOST, status, seq: 0 })}\n\n`;
    await until(() => text.includes(frame('planned')));
    expect((await execute(p.id, p.plan.digest)).status).toBe(202);
    await until(() => text.includes(frame('executing')));
    await completeScrub(p.id);
    await until(() => new RegExp(`"id":"${p.id}","host_id":"${HOST}","status":"still-present","seq":\\d+`).test(text));
    await reader.cancel();
  });
});

describe('hub restart', () => {
  it('keeps every plan and takes the progress of a plan that was executing when it stopped', async () => {
    const hubA = await startTestHub();
    const databaseFile = hubA.databaseFile;
    const cred = (await issueAgentCredential(hubA.server.prisma, REMOTE)).agent_credential;
    const reported = await hubA.server.inject({
      method: 'POST', url: '/api/v1/agents/report', headers: authed(cred),
      payload: reportOf(inventory, { host_id: REMOTE, hostname: 'pmem-b', events: deriveEvents(undefined, inventory, { detectedBy: 'scan' }).events }),
    });
    expect(reported.statusCode).toBe(200);
    // the plan the agent made (the real planner over the recorded tree), executing on the agent
    const agentPlan = await executor.plan(SCRUB);
    const now = new Date();
    await hubA.server.prisma.recoveryPlan.create({
      data: {
        id: 'plan-across-restart', hostId: REMOTE, action: SCRUB.action, status: 'executing', createdAt: now, createdBy: 'user:ops',
        expiresAt: new Date(now.getTime() + 600_000), plan: JSON.stringify(agentPlan), executedBy: 'user:ops',
        execution: JSON.stringify({ executed_by: 'user:ops', started_at: now.toISOString(), steps: [] }), seq: 0, updatedAt: now,
      },
    });
    const progress = (seq: number, states: Array<'running' | 'done'>, status: RecoveryProgressReport['status'] = 'executing'): RecoveryProgressReport => ({
      host_id: REMOTE, plan_id: 'plan-across-restart', seq, status,
      execution: {
        executed_by: 'user:ops', started_at: now.toISOString(),
        steps: agentPlan.steps.map((s, i) => ({ n: s.n, op: s.op, status: states[i] ?? 'pending', ...(states[i] === 'done' ? { detail: 'ok' } : {}) })),
        ...(status !== 'executing' ? {
          finished_at: new Date().toISOString(),
          verification: { verdict: 'still-present' as const, remaining: [{ region_offset: 131072, length: 8 }], checks: [], detail: 'still listed', verified_at: new Date().toISOString() },
        } : {}),
      },
    });
    const postTo = async (server: TestHub['server'], body: RecoveryProgressReport): Promise<RecoveryProgressAck> => {
      const res = await server.inject({ method: 'POST', url: '/api/v1/agents/recovery', headers: authed(cred), payload: body });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<RecoveryProgressAck>();
    };
    expect((await postTo(hubA.server, progress(1, ['done', 'running']))).seq).toBe(1);

    await hubA.server.close();
    const restarted = await withEnv({ DAXFLEET_ADMIN_PASSWORD: 'not-used-the-admin-exists' }, () => buildServer({
      config: {
        role: 'hub', version: '0.0.0-test', databaseFile, migrationsDir: DEFAULT_MIGRATIONS_DIR,
        webDist: path.join(tmp.dir, 'no-web-dist'),
      },
    }));
    try {
      // the agent re-sends what it had not seen acknowledged, then goes on
      expect((await postTo(restarted, progress(1, ['done', 'running']))).seq).toBe(1);
      expect((await postTo(restarted, progress(2, ['done', 'done', 'done'], 'still-present'))).seq).toBe(2);
      const token = (await createApiToken(restarted.prisma, { name: 'after-restart', scope: 'viewer', createdBy: 'test' })).token;
      const res = await restarted.inject({ url: '/api/v1/recovery/plans/plan-across-restart', headers: authed(token) });
      const after = res.json<RecoveryPlan>();
      expect(after.status).toBe('still-present');
      expect(after.plan).toEqual(agentPlan);
      const steps = await restarted.prisma.auditEntry.findMany({ where: { action: 'recovery.step', target: 'plan:plan-across-restart' }, orderBy: { id: 'asc' } });
      expect(steps.map((e) => e.detail)).toEqual(['step 1 start-scrub: ok', 'step 2 wait-scrub: ok', 'step 3 reread-badblocks: ok']);
    } finally {
      await restarted.close();
      await hubA.close(); // its server is already closed: this removes its folder
    }
  });
});
