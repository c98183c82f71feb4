/**
 * `daxfleet recovery` as an operator runs it: the built CLI as a child process against a real hub listening on
 * loopback, in role all, whose agent runs the real recovery executor over a copy of a recorded kernel
 * (lab/fixtures/four-dimm-mixed, its recorded mount table as /proc/self/mountinfo, device nodes looked up in an
 * empty temp dir so nothing can reach a real device), as test/recovery-plans.test.ts sets it up. Checked: the
 * text, --json, exit codes, the confirmation, and following an execution: a real scrub-recheck (the test plays the
 * kernel's nfit/scrub) and progress reports posted through the agent route with the agent's credential.
 */
import { spawn } from 'node:child_process';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { clearErrorsOnBus, deviceInUse, punchHole, scanInventory, writeZeros } from '@daxfleet/dax-native';
import {
  RecoveryPlanSchema, type RangeRef, type RecoveryExecution, type RecoveryPlan, type RecoveryPlanList,
  type RecoveryProgressReport,
} from '@daxfleet/shared';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { deriveEvents } from '../src/agent/media/derive.js';
import { RecoveryExecutor } from '../src/agent/recovery/execute.js';
import { HubClient, HubUnreachableError } from '../src/cli/hub-client.js';
import { recoveryProgressSender } from '../src/agent/recovery/progress.js';
import { hubPoster } from '../src/agent/senders.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { authed, CLI, REPO_ROOT, reportOf, startTestHub, tempDir, type TestHub } from './helpers.js';
import { eventually } from './processes.js';
import { EmulatedScrub, recordedHost, setAttribute, type RecordedHost } from './recovery-fixtures.js';

interface Run { status: number | null; stdout: string; stderr: string }

/** the CLI with a clean environment for the hub settings: only what `env` gives */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DAXFLEET_HUB: _hub, DAXFLEET_TOKEN: _token, ...rest } = process.env;
  return { ...rest, ...env };
}

/**
 * The CLI in the background (the hub runs in this process: a synchronous spawn would stall it): `stdout()` so far,
 * `done` when it exits. `input` is written to its stdin, which then ends.
 */
function start(args: string[], env: Record<string, string> = {}, input = ''): { stdout(): string; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<Run>((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, stdout, stderr });
  }));
  return { stdout: () => stdout, done };
}

function daxfleet(args: string[], env: Record<string, string> = {}, input = ''): Promise<Run> {
  return start(args, env, input).done;
}

/** a loopback port nothing listens on (one the kernel just handed out and took back) */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('daxfleet recovery: the command line', () => {
  const env = { DAXFLEET_TOKEN: 'dxf_tok_unused', DAXFLEET_HUB: 'http://127.0.0.1:1' };
  it.each([
    [['recovery'], 'daxfleet: recovery needs a subcommand: plan, execute, show or list'],
    [['recovery', 'undo'], 'daxfleet: unknown recovery subcommand "undo"'],
    [['recovery', 'plan', '--action', 'punch-hole', '--range', 'region0+8:8', '--path', '/x'], 'daxfleet: recovery plan needs --host HOST_ID'],
    [['recovery', 'plan', '--host', 'h', '--action', 'format', '--range', 'region0+8:8'],
      'daxfleet: --action must be one of punch-hole, truncate, delete-restore, clear-errors, scrub-recheck, not "format"'],
    [['recovery', 'plan', '--host', 'h', '--action', 'clear-errors', '--range', 'pmem0+8'],
      'daxfleet: --range must be regionN+OFFSET[:LENGTH] in 512 B sectors (e.g. region0+2048:8), not "pmem0+8"'],
    [['recovery', 'plan', '--host', 'h', '--action', 'clear-errors', '--range', 'region0+8:0'],
      'daxfleet: --range must be regionN+OFFSET[:LENGTH] in 512 B sectors (e.g. region0+2048:8), not "region0+8:0"'],
    [['recovery', 'plan', '--host', 'h', '--action', 'punch-hole', '--range', 'region0+8:8'],
      'daxfleet: --action punch-hole needs --path (the file on the range)'],
    [['recovery', 'plan', '--host', 'h', '--action', 'punch-hole', '--range', 'region0+8:8', '--path', 'db.tbl'],
      'daxfleet: --path must be an absolute path on the host, not "db.tbl"'],
    [['recovery', 'plan', '--host', 'h', '--action', 'clear-errors', '--range', 'region0+8:8', '--path', '/x'],
      'daxfleet: --action clear-errors works on the device: drop --path'],
    [['recovery', 'plan', '--host', 'h', '--action', 'delete-restore', '--range', 'region0+8:8', '--path', '/x'],
      'daxfleet: --action delete-restore needs --backup (the file to restore from)'],
    [['recovery', 'plan', '--host', 'h', '--action', 'punch-hole', '--range', 'region0+8:8', '--path', '/x', '--size', '0'],
      'daxfleet: --size goes only with --action truncate'],
    [['recovery', 'plan', '--host', 'h', '--action', 'clear-errors', '--range', 'region0+8:8', '--ttl', '10'],
      'daxfleet: --ttl must be an integer from 60 to 3600, not "10"'],
    [['recovery', 'execute'], 'daxfleet: recovery execute needs one PLAN_ID'],
    [['recovery', 'show', 'a', 'b'], 'daxfleet: recovery show needs one PLAN_ID'],
    [['recovery', 'list', '--status', 'done'],
      'daxfleet: --status must be one of planned, refused, expired, executing, verified, still-present, failed, interrupted, not "done"'],
    [['recovery', 'list', '--yes'], 'daxfleet: recovery list does not take --yes'],
    [['recovery', 'show', 'x', '--path', '/x'], 'daxfleet: recovery show does not take --path'],
    [['recovery', 'list', '--hub', 'localhost:7300'], 'daxfleet: --hub must be an http:// or https:// URL, not "localhost:7300"'],
  ])('usage error %j: one line, the usage, exit 2, nothing sent', async (args, line) => {
    const r = await daxfleet(args, env);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(line);
    expect(lines[2]).toBe('usage: daxfleet <command> [options]');
    expect(r.stdout).toBe('');
  });

  it('no token: one line saying where to get one, exit 2', async () => {
    const r = await daxfleet(['recovery', 'list']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('daxfleet: no API token: pass --token dxf_tok_… or set DAXFLEET_TOKEN (make one in the UI ' +
      'under Admin → API tokens, or POST /api/v1/tokens)\n');
  });

  it('a hub that does not answer: one line naming it, exit 1', async () => {
    const hub = `http://127.0.0.1:${await closedPort()}`;
    const r = await daxfleet(['recovery', 'list'], { ...env, DAXFLEET_HUB: hub });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`daxfleet: cannot reach the hub at ${hub}: ECONNREFUSED\n`);
  });

  it('the hub client tells a hub that gave no answer in time from one that refused the connection', async () => {
    // a loopback server that takes the request and never answers
    const silent = createHttpServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const slow = new HubClient(`http://127.0.0.1:${port}`, 'dxf_tok_unused').request('POST', '/recovery/plans/p/execute', {}, 200);
      await expect(slow).rejects.toThrow(HubUnreachableError);
      await expect(slow).rejects.toMatchObject({ timedOut: true, message: `cannot reach the hub at http://127.0.0.1:${port}: no answer in time` });
      const refused = new HubClient(`http://127.0.0.1:${await closedPort()}`, 'dxf_tok_unused').request('GET', '/recovery/plans');
      await expect(refused).rejects.toMatchObject({ timedOut: false, message: expect.stringContaining('ECONNREFUSED') });
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('--help documents the subcommands and the exit codes', async () => {
    const r = await daxfleet(['recovery', '--help']);
    expect(r.status).toBe(0);
    for (const text of ['recovery plan', 'recovery execute PLAN_ID [--yes]', 'recovery show', 'recovery list',
      '--range R', 'DAXFLEET_HUB', 'DAXFLEET_TOKEN', '3 refused', '4 still-present', '5 failed or interrupted',
      'host changed, not started']) {
      expect(r.stdout).toContain(text);
    }
    expect((await daxfleet(['--help'])).stdout).toContain('daxfleet recovery plan --host HOST_ID');
  });
});


const HOST = 'host-a';
/** four-dimm-mixed's bad ranges: on the raw namespace (pmem2) and under the fsdax namespace's ext4 mount */
const RAW_RANGE: RangeRef = { region: 'region2', region_offset: 131072, length: 8 };
const FSDAX_RANGE: RangeRef = { region: 'region0', region_offset: 8192, length: 8 };
const rangeArg = (r: RangeRef): string => `${r.region}+${r.region_offset}:${r.length}`;

describe('daxfleet recovery against a hub and its agent', () => {
  const tmp = tempDir('daxfleet-cli-recovery-');
  let recorded: RecordedHost;
  let kernel: EmulatedScrub;
  let hub: TestHub;
  let executor: RecoveryExecutor;
  let credential = '';
  let viewerEnv: Record<string, string>;
  let operatorEnv: Record<string, string>;
  let refusedId = '';

  const api = async <T>(method: 'GET' | 'POST', url: string, token: string, payload?: object): Promise<T> => {
    const res = await hub.server.inject({ method, url: `/api/v1${url}`, headers: authed(token), ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };

  beforeAll(async () => {
    recorded = recordedHost('four-dimm-mixed');
    setAttribute(recorded.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub', '3\n');
    kernel = new EmulatedScrub(path.join(recorded.sysfsRoot, 'bus/nd/devices/ndbus0/nfit/scrub'));
    const inventory = await scanInventory({ sysfsRoot: recorded.sysfsRoot, health: false });
    let commandKey: string | undefined;
    const target: AgentCommandTarget = { commandKey: () => commandKey, sysfsRoot: recorded.sysfsRoot, run: async () => {} };
    hub = await startTestHub({ role: 'all', localHostId: HOST }, { agentCommands: target });
    const issued = await issueAgentCredential(hub.server.prisma, HOST);
    commandKey = issued.command_key;
    credential = issued.agent_credential;
    executor = new RecoveryExecutor({
      hostId: HOST,
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
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report', headers: authed(credential),
      payload: reportOf(inventory, { host_id: HOST, hostname: 'pmem-a', events: deriveEvents(undefined, inventory, { detectedBy: 'scan' }).events }),
    });
    expect(res.statusCode, res.body).toBe(200);
    const url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
    viewerEnv = { DAXFLEET_HUB: url, DAXFLEET_TOKEN: await hub.tokenFor('viewer') };
    operatorEnv = { DAXFLEET_HUB: url, DAXFLEET_TOKEN: await hub.tokenFor('operator') };
  });

  afterAll(async () => {
    kernel?.stop();
    await executor?.close();
    await hub?.close();
    recorded?.remove();
    tmp.remove();
  });

  it('plan: a file action on the recorded mount is refused; the text shows steps, data loss, checks and the refusal; exit 3', async () => {
    const r = await daxfleet(['recovery', 'plan', '--host', HOST, '--action', 'punch-hole', '--range', rangeArg(FSDAX_RANGE),
      '--path', '/mnt/ext4-dax/orders.tbl'], operatorEnv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(3);
    refusedId = /^plan (\S+) {2}punch-hole on host host-a {2}status refused$/m.exec(r.stdout)?.[1] ?? '';
    expect(refusedId).not.toBe('');
    const stored = await api<RecoveryPlan>('GET', `/recovery/plans/${refusedId}`, hub.adminToken);
    expect(stored.plan.request).toEqual({ action: 'punch-hole', range: FSDAX_RANGE, path: '/mnt/ext4-dax/orders.tbl' });
    expect(stored.plan.refusal).toContain('/mnt/ext4-dax/orders.tbl');
    expect(r.stdout).toContain(`\nREFUSED: ${stored.plan.refusal ?? ''}\n`);
    expect(r.stdout).toContain(`\nrange     ${rangeArg(FSDAX_RANGE)}\n`);
    expect(r.stdout).toContain(`\ndigest    ${stored.plan.digest}\n`);
    for (const c of stored.plan.checks) expect(r.stdout).toContain(`  ${c.ok ? '✓' : '✗'} ${c.id.padEnd(20)} ${c.detail}\n`);
    expect(r.stdout).toMatch(/^DATA LOSS/m);
    expect(r.stdout).not.toContain('to run it:');
  });

  it('plan --json prints the stored plan; a --range without :LENGTH takes the open range from the host\'s ledger', async () => {
    const r = await daxfleet(['recovery', 'plan', '--json', '--host', HOST, '--action', 'clear-errors',
      '--range', `${RAW_RANGE.region}+${RAW_RANGE.region_offset}`, '--ttl', '120'], operatorEnv);
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout) as RecoveryPlan;
    expect(Value.Check(RecoveryPlanSchema, printed)).toBe(true);
    expect(printed.plan.request).toEqual({ action: 'clear-errors', range: RAW_RANGE, ttl_seconds: 120 });
    expect(await api<RecoveryPlan>('GET', `/recovery/plans/${printed.id}`, hub.adminToken)).toEqual(printed);
    // no /dev/pmem2 here: refused, and the exit code says so
    expect(printed.status).toBe('refused');
    expect(r.status).toBe(3);
  });

  it('plan: a range that is not open is named with the open range around it, exit 2; with a length the hub\'s 404, exit 1', async () => {
    const before = (await api<RecoveryPlanList>('GET', '/recovery/plans?limit=500', hub.adminToken)).plans.length;
    const inside = `${RAW_RANGE.region}+${RAW_RANGE.region_offset + 2}`;
    const r = await daxfleet(['recovery', 'plan', '--host', HOST, '--action', 'clear-errors', '--range', inside], operatorEnv);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`daxfleet: host ${HOST} has no open bad range starting at ${inside} (its ledger: daxfleet ` +
      `media page, or GET /api/v1/hosts/${HOST}/ledger?state=open); ${inside} lies inside ${rangeArg(RAW_RANGE)}: pass that\n`);
    const explicit = await daxfleet(['recovery', 'plan', '--host', HOST, '--action', 'clear-errors', '--range', `${inside}:1`], operatorEnv);
    expect(explicit.status).toBe(1);
    expect(explicit.stderr).toMatch(/^daxfleet: .*GET \/api\/v1\/hosts\/host-a\/ledger.*\(HTTP 404 DAXFLEET_ERR_RECOVERY_RANGE_NOT_FOUND\)\n$/);
    const unknown = await daxfleet(['recovery', 'plan', '--host', 'nobody', '--action', 'clear-errors', '--range', rangeArg(RAW_RANGE)], operatorEnv);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/\(HTTP 404 DAXFLEET_ERR_HOST_NOT_FOUND\)\n$/);
    expect((await api<RecoveryPlanList>('GET', '/recovery/plans?limit=500', hub.adminToken)).plans.length).toBe(before);
  });

  it('list and show: the stored plans as text and as the API\'s JSON', async () => {
    const list = await daxfleet(['recovery', 'list', '--host', HOST], viewerEnv);
    expect(list.status).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +HOST +ACTION +STATUS +RANGE +CREATED +TARGET$/);
    const stored = await api<RecoveryPlanList>('GET', `/recovery/plans?host=${HOST}`, hub.adminToken);
    expect(rows.map((l) => l.split(/ +/)[0])).toEqual(stored.plans.map((p) => p.id));
    expect(rows.find((l) => l.startsWith(refusedId))).toMatch(/ punch-hole +refused +region0\+8192:8 +\S+ +\/mnt\/ext4-dax\/orders\.tbl$/);

    const json = await daxfleet(['recovery', 'list', '--json', '--status', 'refused', '--limit', '1'], viewerEnv);
    expect(JSON.parse(json.stdout)).toEqual(await api<RecoveryPlanList>('GET', '/recovery/plans?status=refused&limit=1', hub.adminToken));
    expect((await daxfleet(['recovery', 'list', '--status', 'verified'], viewerEnv)).stdout).toBe('no recovery plans\n');

    const show = await daxfleet(['recovery', 'show', refusedId], viewerEnv);
    expect(show.status).toBe(0);
    expect(show.stdout).toMatch(new RegExp(`^plan ${refusedId} {2}punch-hole on host ${HOST} {2}status refused\n`));
    expect(show.stdout).toContain('\nREFUSED: ');
    const missing = await daxfleet(['recovery', 'show', 'no-such-plan'], viewerEnv);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^daxfleet: .*\(HTTP 404 DAXFLEET_ERR_RECOVERY_PLAN_NOT_FOUND\)\n$/);
  });

  it('execute of a refused plan: the hub\'s 409 on stderr, exit 3, no confirmation asked; a viewer gets 403, exit 1', async () => {
    const stored = await api<RecoveryPlan>('GET', `/recovery/plans/${refusedId}`, hub.adminToken);
    const r = await daxfleet(['recovery', 'execute', refusedId], operatorEnv);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^daxfleet: .*\(HTTP 409 DAXFLEET_ERR_RECOVERY_NOT_EXECUTABLE\)\n$/);
    expect(r.stderr).toContain(stored.plan.refusal ?? '');
    expect(r.stderr).not.toContain('type the plan id');
    expect(r.stdout).toBe('');
    const viewer = await daxfleet(['recovery', 'execute', refusedId, '--yes'], viewerEnv);
    expect(viewer.status).toBe(1);
    expect(viewer.stderr).toMatch(/\(HTTP 403 DAXFLEET_ERR_AUTH_FORBIDDEN\)\n$/);
  });

  it('scrub-recheck end to end: planned (exit 0), confirmed by typing the id, each step printed, still-present (exit 4)', async () => {
    const planned = await daxfleet(['recovery', 'plan', '--host', HOST, '--action', 'scrub-recheck', '--range', rangeArg(RAW_RANGE)], operatorEnv);
    expect(planned.stderr).toBe('');
    expect(planned.status).toBe(0);
    const id = /^plan (\S+) /.exec(planned.stdout)?.[1] ?? '';
    expect(planned.stdout).toContain(`to run it: daxfleet recovery execute ${id}\n`);
    expect(planned.stdout).toContain('DATA LOSS: none (this action writes nothing)\n');
    expect(planned.stdout).toMatch(/^ {3}1\. start-scrub /m);

    const wrong = await daxfleet(['recovery', 'execute', id], operatorEnv, 'yes\n');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('type the plan id to confirm: ');
    expect(wrong.stderr).toContain('daxfleet: not confirmed ("yes" is not the plan id): nothing was executed\n');
    const none = await daxfleet(['recovery', 'execute', id], operatorEnv, '');
    expect(none.stderr).toContain('daxfleet: not confirmed: nothing was executed\n');
    expect((await api<RecoveryPlan>('GET', `/recovery/plans/${id}`, hub.adminToken)).status).toBe('planned');

    const cli = start(['recovery', 'execute', id], operatorEnv, `${id}\n`);
    await eventually(async () => (kernel.running ? true : undefined), 'the agent to start the scrub', 20_000);
    await eventually(async () => (cli.stdout().includes('1. start-scrub') ? true : undefined), 'step 1 printed', 45_000);
    kernel.complete();
    const r = await cli.done;
    expect(r.status).toBe(4);
    const done = await api<RecoveryPlan>('GET', `/recovery/plans/${id}`, hub.adminToken);
    expect(done.status).toBe('still-present');
    expect(r.stdout).toContain(`executing plan ${id} on host ${HOST}\n`);
    const stepLines = r.stdout.split('\n').filter((l) => /^✓ +\d\. /.test(l));
    expect(stepLines.map((l) => l.split(/ +/)[2])).toEqual(['start-scrub', 'wait-scrub', 'reread-badblocks']);
    expect(r.stdout).toContain(`plan ${id}: still-present\nverification: still-present at ${done.execution?.verification?.verified_at}\n`);
    expect(r.stdout).toContain(`  sectors still listed bad: ${RAW_RANGE.region_offset}+${RAW_RANGE.length}\n`);
    expect(r.stdout).toContain(`  ${done.execution?.verification?.detail}\n`);
    // executed twice: the hub refuses, the CLI says so
    const again = await daxfleet(['recovery', 'execute', id, '--yes'], operatorEnv);
    expect(again.status).toBe(3);
    expect(again.stderr).toMatch(/\(HTTP 409 DAXFLEET_ERR_RECOVERY_ALREADY_EXECUTED\)\n$/);
  });

  /** a plan row moved to executing, as the hub's execute would, for progress the test posts as the agent */
  async function executingPlan(): Promise<string> {
    const made = await api<RecoveryPlan>('POST', `/hosts/${HOST}/recovery/plans`, hub.adminToken, { action: 'clear-errors', range: RAW_RANGE });
    await hub.server.prisma.recoveryPlan.update({ where: { id: made.id }, data: { status: 'executing' } });
    return made.id;
  }

  async function report(id: string, seq: number, status: RecoveryProgressReport['status'], execution: RecoveryExecution): Promise<void> {
    const body: RecoveryProgressReport = { host_id: HOST, plan_id: id, seq, status, execution };
    await api('POST', '/agents/recovery', credential, body);
  }

  const at = new Date().toISOString();
  const step1 = { n: 1, op: 'write-zeros', status: 'done' as const, detail: 'wrote 8 sectors at 131072', started_at: at, finished_at: at };

  it.each([
    ['still-present', 4, 'the platform did not clear the poison (no clear-error support, e.g. QEMU\'s emulated NVDIMM)'],
    ['verified', 0, 'no sector of the range is listed bad any more'],
  ] as const)('show --follow prints the progress, each step once as it finishes, and the verdict %s; exit %i', async (final, code, detail) => {
    const id = await executingPlan();
    const cli = start(['recovery', 'show', id, '--follow'], viewerEnv);
    const base = { executed_by: 'token:test-operator', started_at: at };
    await report(id, 1, 'executing', {
      ...base, steps: [step1, { n: 2, op: 'reread-badblocks', status: 'running' }],
      progress: { step: 2, of: 2, op: 'reread-badblocks', message: 'reading the bad blocks', done: 1, total: 2, unit: 'sectors' },
    });
    await eventually(async () => (cli.stdout().includes('reread-badblocks: reading') ? true : undefined), 'the progress line', 45_000);
    expect(cli.stdout()).toContain('✓  1. write-zeros      done (0.0 s) wrote 8 sectors at 131072\n');
    expect(cli.stdout()).toContain('  … step 2/2 reread-badblocks: reading the bad blocks 50% (1/2 sectors)\n');
    const verdict = final === 'verified' ? 'cleared' : 'still-present';
    await report(id, 2, final, {
      ...base, finished_at: new Date().toISOString(),
      steps: [step1, { n: 2, op: 'reread-badblocks', status: 'done', started_at: at, finished_at: at }],
      verification: {
        verdict, detail, verified_at: new Date().toISOString(),
        remaining: final === 'verified' ? [] : [{ region_offset: RAW_RANGE.region_offset, length: RAW_RANGE.length }],
        checks: [{ id: 'range-reread', ok: true, detail: 'read region2/badblocks and /sys/block/pmem2/badblocks' }],
      },
    });
    const r = await cli.done;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(code);
    const lines = r.stdout.split('\n');
    expect(lines.filter((l) => l.includes('write-zeros'))).toHaveLength(1);
    expect(lines.findIndex((l) => l.includes('2. reread-badblocks'))).toBeGreaterThan(lines.findIndex((l) => l.includes('1. write-zeros')));
    expect(r.stdout).toContain(`plan ${id}: ${final}\nverification: ${verdict}`);
    expect(r.stdout).toContain(`  sectors still listed bad: ${final === 'verified' ? 'none' : `${RAW_RANGE.region_offset}+${RAW_RANGE.length}`}\n`);
    expect(r.stdout).toContain(`  ${detail}\n`);
  });

  it('an execution that was interrupted: exit 5 (also when it ended before the CLI looked); --json prints the plan', async () => {
    const id = await executingPlan();
    const cli = start(['recovery', 'show', id, '--follow', '--json'], viewerEnv);
    await report(id, 1, 'interrupted', {
      executed_by: 'token:test-operator', started_at: at, finished_at: new Date().toISOString(),
      steps: [{ ...step1, status: 'failed', detail: 'EIO writing sector 131072' }], error: 'the agent restarted during step 1',
    });
    const r = await cli.done;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(5);
    const printed = JSON.parse(r.stdout) as RecoveryPlan;
    expect(printed.status).toBe('interrupted');
    expect(printed.execution?.error).toBe('the agent restarted during step 1');
  });
});
