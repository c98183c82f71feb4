/**
 * `daxfleet dax` as an operator runs it: the built CLI as a child process. The command line (usage errors, exit 2,
 * nothing sent), ndctl's size words in and out, and the commands against a real hub listening on loopback: fleet
 * capacity over a recorded kernel's report, the change list, show, execute refusals.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import {
  FleetCapacitySchema, type DaxChange, type DaxChangeList, type DaxChangeRequest, type FleetCapacity, type FsDaxInspectResult,
} from '@daxfleet/shared';
import {
  createNamespace, destroyNamespace, offlineDaxMemory, onlineDaxMemory, reconfigureDaxDevice, reconfigureNamespace,
} from '@daxfleet/dax-native';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentCommandTarget } from '../src/agent/command-routes.js';
import { createDaxChangeService } from '../src/agent/dax/index.js';
import { inspectFsDax, makeFsDaxPolicyHandler } from '../src/agent/fsdax/index.js';
import { humanSize, parseSize, requestArgs, sizeArg } from '../src/cli/dax-format.js';
import { daxCommand, planRequestOf } from '../src/cli/dax.js';
import { UsageError } from '../src/cli/usage-error.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { recordedDeviceHost, type RecordedDeviceHost } from './dax-device-fixtures.js';
import {
  agentCredentialFor, authed, CLI, fixtureInventory, REPO_ROOT, reportOf, startTestHub, tempDir, withEnv, type TestHub,
} from './helpers.js';

interface Run { status: number | null; stdout: string; stderr: string }

/** the CLI with a clean environment for the hub settings: only what `env` gives */
function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DAXFLEET_HUB: _hub, DAXFLEET_TOKEN: _token, ...rest } = process.env;
  return { ...rest, ...env };
}

/** The CLI in the background (the hub runs in this process: a synchronous spawn would stall it). */
function daxfleet(args: string[], env: Record<string, string> = {}, input = ''): Promise<Run> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: cliEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise<Run>((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, stdout, stderr });
  }));
}

/** a loopback port nothing listens on (one the kernel just handed out and took back) */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ndctl size words', () => {
  it.each([
    ['4G', 4 * 2 ** 30], ['2M', 2 * 2 ** 20], ['512K', 512 * 1024], ['512k', 512 * 1024], ['1t', 2 ** 40],
    ['4096', 4096], ['0x200000', 2 * 2 ** 20], ['0x1G', 2 ** 30], ['0', 0],
  ])('parseSize(%j) = %i, as ndctl parse_size64 reads it', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each(['4GiB', '4 G', '1.5G', '-1', 'G', '', '010', '4P', '0x', '99999999999T'])('parseSize(%j) refuses it', (text) => {
    expect(parseSize(text)).toBeUndefined();
  });

  it.each([[4 * 2 ** 30, '4G'], [3 * 2 ** 20, '3M'], [4096, '4K'], [1000, '1000'], [2 ** 40 + 2 ** 30, '1025G']])(
    'sizeArg(%i) = %j and reads back', (bytes, word) => {
      expect(sizeArg(bytes)).toBe(word);
      expect(parseSize(word)).toBe(bytes);
    });

  // the figures `ndctl list -u` prints (util/json.c display_size): plain below 5000 KiB, MiB below 2 GiB, GiB below 2 TiB
  it.each([
    [4096, '4096'], [5000 * 1024 - 1, '5119999'], [5000 * 1024, '4.88 MiB (5.12 MB)'], [16 * 2 ** 20, '16.00 MiB (16.78 MB)'],
    [2 ** 31 - 1, '2048.00 MiB (2147.48 MB)'], [2 ** 31, '2.00 GiB (2.15 GB)'], [4 * 2 ** 30, '4.00 GiB (4.29 GB)'],
    [16_909_336_576, '15.75 GiB (16.91 GB)'], [2 * 2 ** 40, '2.00 TiB (2.20 TB)'],
  ])('humanSize(%i) = %j', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });
});

describe('daxfleet dax plan: the request a command line makes', () => {
  const requests: DaxChangeRequest[] = [
    { kind: 'namespace-create', region: 'region1', mode: 'devdax', size: 2 ** 30, align: 2 ** 21, map: 'mem', name: 'db' },
    { kind: 'namespace-create', region: 'region0', mode: 'sector', sector_size: 4096 },
    { kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'fsdax', map: 'dev' },
    { kind: 'namespace-destroy', namespace: 'namespace12.3' },
    { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'system-ram', online: false, movable: false },
    { kind: 'daxdev-reconfigure', device: 'dax1.0', mode: 'devdax' },
    { kind: 'daxdev-online', device: 'dax1.0', movable: false },
    { kind: 'daxdev-offline', device: 'dax1.0' },
    { kind: 'fs-dax-policy', path: '/mnt/pmem/db dir', dax: true, existing: 'all' },
    { kind: 'fs-dax-policy', path: '/mnt/pmem', dax: false },
  ];
  it.each(requests)('%j: requestArgs prints the command line that makes it again', (request) => {
    expect(planRequestOf(['host-a', ...requestArgs(request)])).toEqual(request);
  });

  it('sizes take ndctl\'s suffixes', () => {
    expect(planRequestOf(['h', 'create-namespace', '--region', 'region0', '--mode', 'fsdax', '--size', '4G', '--align', '0x200000']))
      .toEqual({ kind: 'namespace-create', region: 'region0', mode: 'fsdax', size: 4 * 2 ** 30, align: 2 ** 21 });
    expect(() => planRequestOf(['h', 'create-namespace', '--region', 'region0', '--mode', 'fsdax', '--size', '0']))
      .toThrow(UsageError);
  });
});

describe('daxfleet dax: the command line', () => {
  const env = { DAXFLEET_TOKEN: 'dxf_tok_unused', DAXFLEET_HUB: 'http://127.0.0.1:1' };
  const changes = 'create-namespace, reconfigure-namespace, destroy-namespace, reconfigure-device, online-memory, offline-memory, policy';
  it.each([
    [['dax'], 'dax needs a subcommand: plan, execute, show, list, inspect or capacity'],
    [['dax', 'undo'], 'unknown dax subcommand "undo"'],
    [['dax', 'plan'], `dax plan needs HOST_ID and a change (${changes})`],
    [['dax', 'plan', 'h'], `dax plan h needs a change: ${changes}`],
    [['dax', 'plan', 'h', 'format'], `unknown change "format": one of ${changes}`],
    [['dax', 'plan', 'h', 'create-namespace', '--mode', 'fsdax'], 'dax plan create-namespace needs --region regionN'],
    [['dax', 'plan', 'h', 'create-namespace', 'region0', '--mode', 'fsdax'],
      'dax plan create-namespace takes no argument "region0" (the region is --region)'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'pmem0', '--mode', 'fsdax'], '--region must be regionN (e.g. region0), not "pmem0"'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'region0'], 'dax plan create-namespace needs --mode (raw, sector, fsdax, devdax)'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'region0', '--mode', 'memory'],
      '--mode must be one of raw, sector, fsdax, devdax, not "memory"'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'region0', '--mode', 'fsdax', '--size', '4GiB'],
      '--size must be a size in bytes, or with ndctl\'s suffixes k, m, g, t (e.g. 4G, 2M, 512K), not "4GiB"'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'region0', '--mode', 'fsdax', '--map', 'ram'],
      '--map must be one of mem, dev, not "ram"'],
    [['dax', 'plan', 'h', 'create-namespace', '--region', 'region0', '--mode', 'sector', '--sector-size', '4k'],
      '--sector-size must be an integer from 512 to 65536, not "4k"'],
    [['dax', 'plan', 'h', 'reconfigure-namespace', '--mode', 'raw'], 'dax plan reconfigure-namespace needs namespaceX.Y'],
    [['dax', 'plan', 'h', 'reconfigure-namespace', 'pmem0', '--mode', 'raw'], 'the namespace must be namespaceX.Y (e.g. namespace0.0), not "pmem0"'],
    [['dax', 'plan', 'h', 'destroy-namespace', 'namespace0.0', '--mode', 'raw'], 'dax plan destroy-namespace does not take --mode'],
    [['dax', 'plan', 'h', 'destroy-namespace', 'namespace0.0', 'namespace0.1'],
      'dax plan destroy-namespace takes one namespaceX.Y, not also "namespace0.1"'],
    [['dax', 'plan', 'h', 'reconfigure-device', 'dax0.0'], 'dax plan reconfigure-device needs --mode (system-ram, devdax)'],
    [['dax', 'plan', 'h', 'reconfigure-device', 'dax0.0', '--mode', 'fsdax'], '--mode must be one of system-ram, devdax, not "fsdax"'],
    [['dax', 'plan', 'h', 'reconfigure-device', 'dax0.0', '--mode', 'devdax', '--no-movable'], '--no-movable goes only with --mode system-ram'],
    [['dax', 'plan', 'h', 'online-memory', 'daxX'], 'the device must be daxX.Y (e.g. dax0.0), not "daxX"'],
    [['dax', 'plan', 'h', 'offline-memory', 'dax0.0', '--no-movable'], 'dax plan offline-memory does not take --no-movable'],
    [['dax', 'plan', 'h', 'policy', 'mnt/db', '--dax', 'on'], 'dax plan policy: PATH must be an absolute path on the host, not "mnt/db"'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db'], 'dax plan policy needs --dax on|off'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db', '--dax', 'yes'], '--dax must be one of on, off, not "yes"'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db', '--dax', 'on', '--existing', 'files'], '--existing must be one of none, directories, all, not "files"'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db', '--dax', 'on', '--mode', 'fsdax'], 'dax plan policy does not take --mode'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db', '--dax', 'on', '--ttl', '10'], '--ttl must be an integer from 60 to 3600, not "10"'],
    [['dax', 'plan', 'h', 'policy', '/mnt/db', '--dax', 'on', '--yes'], 'dax plan does not take --yes'],
    [['dax', 'execute'], 'dax execute needs one CHANGE_ID'],
    [['dax', 'show', 'a', 'b'], 'dax show needs one CHANGE_ID'],
    [['dax', 'list', 'x'], 'dax list takes no argument "x"'],
    [['dax', 'list', '--status', 'done'], '--status must be one of planned, refused, expired, executing, verified, failed, interrupted, not "done"'],
    [['dax', 'list', '--kind', 'policy'], '--kind must be one of namespace-create, namespace-reconfigure, namespace-destroy, ' +
      'daxdev-reconfigure, daxdev-online, daxdev-offline, fs-dax-policy, not "policy"'],
    [['dax', 'list', '--recursive'], 'dax list does not take --recursive'],
    [['dax', 'inspect', 'h'], 'dax inspect needs HOST_ID and PATH'],
    [['dax', 'inspect', 'h', 'db'], 'dax inspect: PATH must be an absolute path on the host, not "db"'],
    [['dax', 'inspect', 'h', '/db', '--limit', '0'], '--limit must be an integer from 1 to 10000, not "0"'],
    [['dax', 'capacity', '--host', 'h'], 'dax capacity does not take --host'],
    [['dax', 'capacity', '--hub', 'localhost:7300'], '--hub must be an http:// or https:// URL, not "localhost:7300"'],
    [['dax', 'plan', 'h', 'policy', '/db', '--dax', 'on', '--nope'], 'Unknown option \'--nope\''],
  ])('usage error %j: a UsageError saying what was wrong, before any request', async (args, line) => {
    // in process, so the many cases cost no child each (the hub at 127.0.0.1:1 would fail any request with exit 1)
    await withEnv(env, async () => {
      await expect(daxCommand(args.slice(1))).rejects.toThrow(new UsageError(line));
    });
  });

  it.each([
    [['dax', 'plan', 'h', 'policy', 'mnt/db', '--dax', 'on'], 'dax plan policy: PATH must be an absolute path on the host, not "mnt/db"'],
    [['dax', 'list', '--kind', 'policy'], '--kind must be one of namespace-create, namespace-reconfigure, namespace-destroy, ' +
      'daxdev-reconfigure, daxdev-online, daxdev-offline, fs-dax-policy, not "policy"'],
    [['dax', 'plan', 'h', 'policy', '/db', '--dax', 'on', '--nope'], 'Unknown option \'--nope\''],
  ])('the CLI on a usage error %j: one line, the usage, exit 2, nothing on stdout', async (args, line) => {
    const r = await daxfleet(args, env);
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe(`daxfleet: ${line}`);
    expect(lines[2]).toBe('usage: daxfleet <command> [options]');
    expect(r.stdout).toBe('');
  });

  it('no token: one line saying where to get one, exit 2', async () => {
    const r = await daxfleet(['dax', 'capacity']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('daxfleet: no API token: pass --token dxf_tok_… or set DAXFLEET_TOKEN (make one in the UI ' +
      'under Admin → API tokens, or POST /api/v1/tokens)\n');
  });

  it('a hub that does not answer: one line naming it, exit 1', async () => {
    const hub = `http://127.0.0.1:${await closedPort()}`;
    const r = await daxfleet(['dax', 'list'], { ...env, DAXFLEET_HUB: hub });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`daxfleet: cannot reach the hub at ${hub}: ECONNREFUSED\n`);
  });

  it('--help documents the subcommands, the changes and the exit codes', async () => {
    const r = await daxfleet(['dax', '--help']);
    expect(r.status).toBe(0);
    for (const text of ['dax plan HOST_ID CHANGE', 'create-namespace --region regionN --mode M', 'reconfigure-namespace namespaceX.Y',
      'destroy-namespace namespaceX.Y', 'reconfigure-device daxX.Y --mode system-ram|devdax [--no-online] [--no-movable]',
      'online-memory daxX.Y [--no-movable]', 'offline-memory daxX.Y', 'policy PATH --dax on|off [--existing none|directories|all]',
      'dax execute CHANGE_ID [--yes]', 'dax show CHANGE_ID', 'dax list', 'dax inspect HOST_ID PATH [--recursive] [--audit]',
      'dax capacity', '4G, 2M, 512K', 'DAXFLEET_HUB', 'DAXFLEET_TOKEN', '3 refused', '5 failed']) {
      expect(r.stdout).toContain(text);
    }
    expect((await daxfleet(['--help'])).stdout).toContain('daxfleet dax plan HOST_ID CHANGE [options]');
  });
});

const HOST = 'host-a';

describe('daxfleet dax against a hub', () => {
  let hub: TestHub;
  let viewerEnv: Record<string, string>;
  let operatorEnv: Record<string, string>;

  const api = async <T>(method: 'GET' | 'POST', url: string, token: string, payload?: object): Promise<T> => {
    const res = await hub.server.inject({ method, url: `/api/v1${url}`, headers: authed(token), ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };

  beforeAll(async () => {
    hub = await startTestHub();
    // two hosts from recorded kernels: one with every namespace mode, one with a devdax device as system-ram
    for (const [hostId, fixture] of [[HOST, 'two-dimm-all-modes'], ['host-b', 'devdax-system-ram']] as const) {
      const credential = await agentCredentialFor(hub, hostId);
      const res = await hub.server.inject({
        method: 'POST', url: '/api/v1/agents/report', headers: authed(credential),
        payload: reportOf(await fixtureInventory(fixture), { host_id: hostId, hostname: `pmem-${hostId}` }),
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
    viewerEnv = { DAXFLEET_HUB: url, DAXFLEET_TOKEN: await hub.tokenFor('viewer') };
    operatorEnv = { DAXFLEET_HUB: url, DAXFLEET_TOKEN: await hub.tokenFor('operator') };
  });

  afterAll(async () => {
    await hub?.close();
  });

  it('capacity: the fleet by mode as ndctl -u prints sizes, each host, the filesystems; --json is the API\'s', async () => {
    const capacity = await api<FleetCapacity>('GET', '/fleet/capacity', hub.adminToken);
    expect(capacity.hosts.map((h) => h.host_id).sort()).toEqual([HOST, 'host-b']);
    expect(capacity.totals.total).toBeGreaterThan(0);
    const r = await daxfleet(['dax', 'capacity'], viewerEnv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`fleet capacity: 2 hosts with pmem, ${capacity.hosts_without_pmem} without; total ${humanSize(capacity.totals.total)}\n`);
    for (const mode of ['fsdax', 'devdax', 'system-ram', 'sector', 'raw', 'free'] as const) {
      expect(r.stdout).toMatch(new RegExp(`^${mode} +${humanSize(capacity.totals[mode]).replace(/[().]/g, '\\$&')}$`, 'm'));
    }
    const short = (bytes: number): string => humanSize(bytes).replace(/ \(.*\)$/, '');
    for (const h of capacity.hosts) {
      const row = r.stdout.split('\n').find((l) => l.startsWith(`${h.host_id} `))?.split(/ {2,}/);
      expect(row?.slice(0, 4)).toEqual([h.host_id, h.hostname, h.status, short(h.capacity.total)]);
    }
    const f = capacity.filesystems;
    expect(r.stdout).toContain(`filesystems: ${f.inode} dax=inode, ${f.always} dax=always, ${f.never} dax=never; ` +
      `${f.without_device_dax} on a device without DAX\n`);
    // the recorded devdax-system-ram host has memory online as system-ram: the column is not all zeros
    expect(capacity.totals['system-ram']).toBeGreaterThan(0);

    const json = await daxfleet(['dax', 'capacity', '--json'], viewerEnv);
    const printed = JSON.parse(json.stdout) as FleetCapacity;
    expect(Value.Check(FleetCapacitySchema, printed)).toBe(true);
    expect({ ...printed, generated_at: '' }).toEqual({ ...capacity, generated_at: '' });
  });

  it('list with no changes, show of an unknown id (404, exit 1), plan on an unknown host (404, exit 1)', async () => {
    const empty = await daxfleet(['dax', 'list', '--host', HOST], viewerEnv);
    expect(empty.status).toBe(0);
    expect(empty.stdout).toBe('no dax changes\n');
    expect(JSON.parse((await daxfleet(['dax', 'list', '--json'], viewerEnv)).stdout))
      .toEqual(await api<DaxChangeList>('GET', '/dax/changes', hub.adminToken));
    const missing = await daxfleet(['dax', 'show', 'dc_nothing'], viewerEnv);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^daxfleet: .*\(HTTP 404 DAXFLEET_ERR_DAX_CHANGE_NOT_FOUND\)\n$/);
    const unknown = await daxfleet(['dax', 'plan', 'nobody', 'policy', '/mnt', '--dax', 'on'], operatorEnv);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/\(HTTP 404 DAXFLEET_ERR_HOST_NOT_FOUND\)\n$/);
    const viewer = await daxfleet(['dax', 'plan', HOST, 'policy', '/mnt', '--dax', 'on'], viewerEnv);
    expect(viewer.status).toBe(1);
    expect(viewer.stderr).toMatch(/\(HTTP 403 DAXFLEET_ERR_AUTH_FORBIDDEN\)\n$/);
    expect((await api<DaxChangeList>('GET', '/dax/changes', hub.adminToken)).changes).toEqual([] satisfies DaxChange[]);
  });
});

const FS_HOST = 'host-fs';

/**
 * A policy end to end on the machine the test runs on, host-safe: the hub in role all, its agent's real dispatcher
 * and fs-dax-policy handler, a temp directory of this test's own on the root filesystem (ext4, whose FS_XFLAG_DAX
 * flags can be set though its device has no DAX: flagged files stay not DAX, pending with reason device-no-dax).
 */
describe('daxfleet dax against a hub and its agent: a policy on a temp directory', () => {
  const tmp = tempDir('daxfleet-cli-dax-');
  const dir = path.join(tmp.dir, 'db');
  const files = [path.join(dir, 'a.dat'), path.join(dir, 'sub', 'b.dat')];
  let hub: TestHub;
  let operatorEnv: Record<string, string>;

  const api = async <T>(method: 'GET' | 'POST', url: string, payload?: object): Promise<T> => {
    const res = await hub.server.inject({ method, url: `/api/v1${url}`, headers: authed(hub.adminToken), ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: HTTP ${res.statusCode} ${res.body}`);
    return res.json<T>();
  };
  const inspect = (p: string): Promise<FsDaxInspectResult> =>
    api<FsDaxInspectResult>('GET', `/hosts/${FS_HOST}/fs-dax?${new URLSearchParams({ path: p, recursive: 'true' }).toString()}`);

  let recorded: RecordedDeviceHost;

  beforeAll(async () => {
    recorded = recordedDeviceHost('two-dimm-all-modes');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    for (const f of files) writeFileSync(f, 'rows\n');
    let commandKey: string | undefined;
    const target: AgentCommandTarget = {
      commandKey: () => commandKey, run: async () => {},
      daxChanges: createDaxChangeService({
        fsdax: { policy: makeFsDaxPolicyHandler(), inspect: (r) => inspectFsDax(r) },
        // device kinds planned over a recorded kernel (never executed here: this machine's devices are not touched)
        device: {
          host: recorded.host,
          native: { createNamespace, reconfigureNamespace, destroyNamespace, reconfigureDaxDevice, onlineDaxMemory, offlineDaxMemory },
        },
      }),
    };
    hub = await startTestHub({ role: 'all', localHostId: FS_HOST }, { agentCommands: target });
    const issued = await issueAgentCredential(hub.server.prisma, FS_HOST);
    commandKey = issued.command_key;
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report', headers: authed(issued.agent_credential),
      payload: reportOf(await fixtureInventory('two-dimm-all-modes'), { host_id: FS_HOST, hostname: 'pmem-fs' }),
    });
    expect(res.statusCode, res.body).toBe(200);
    const url = await hub.server.listen({ host: '127.0.0.1', port: 0 });
    operatorEnv = { DAXFLEET_HUB: url, DAXFLEET_TOKEN: await hub.tokenFor('operator') };
  });

  afterAll(async () => {
    await hub?.close();
    recorded?.remove();
    tmp.remove();
  });

  it('device changes, planned only: ndctl\'s steps, the DATA LOSS, what the scan must show after; a mounted namespace refused', async () => {
    const destroy = await daxfleet(['dax', 'plan', FS_HOST, 'destroy-namespace', 'namespace0.3'], operatorEnv);
    expect(destroy.stderr).toBe('');
    expect(destroy.status).toBe(0);
    const id = /^change (dc_\S+) {2}namespace-destroy on host host-fs {2}status planned$/m.exec(destroy.stdout)?.[1] ?? '';
    const stored = await api<DaxChange>('GET', `/dax/changes/${id}`);
    expect(destroy.stdout).toContain('\nrequest   destroy-namespace namespace0.3\n');
    expect(destroy.stdout).toMatch(/\nsteps:\n {3}1\. ndctl_namespace_disable_safe {2}.+\n {3}2\. ndctl_namespace_delete {8}.+\n/);
    expect(destroy.stdout).toContain(`\nDATA LOSS:\n  ! ${stored.plan.data_loss[0]?.description ?? '?'}\n`);
    expect(destroy.stdout).toContain('\nexpected  namespace=namespace0.3 gone=true region_available_size=384.00 MiB\n');
    expect(destroy.stdout).toContain(`to run it: daxfleet dax execute ${id}\n`);

    const reconfigure = await daxfleet(['dax', 'plan', FS_HOST, 'reconfigure-namespace', 'namespace0.0', '--mode', 'devdax', '--align', '2M'], operatorEnv);
    expect(reconfigure.status).toBe(3);
    const refused = (await api<DaxChangeList>('GET', `/dax/changes?host=${FS_HOST}&kind=namespace-reconfigure`)).changes[0];
    expect(refused?.plan.request).toEqual({ kind: 'namespace-reconfigure', namespace: 'namespace0.0', mode: 'devdax', align: 2 * 2 ** 20 });
    expect(reconfigure.stdout).toContain('\nrequest   reconfigure-namespace namespace0.0 --mode devdax --align 2M\n');
    expect(reconfigure.stdout).toMatch(/^ {2}✗ namespace-not-mounted +.*\/mnt\/fsdax-dev/m);
    expect(reconfigure.stdout).toContain(`\nREFUSED: ${refused?.plan.refusal ?? '?'}\n`);
    const execute = await daxfleet(['dax', 'execute', refused?.id ?? '?'], operatorEnv);
    expect(execute.status).toBe(3);
    expect(execute.stderr).toMatch(/^daxfleet: .*\(HTTP 409 DAXFLEET_ERR_DAX_NOT_EXECUTABLE\)\n/);
    expect(execute.stderr).toContain(`)\nplan again: daxfleet dax plan ${FS_HOST} reconfigure-namespace namespace0.0 --mode devdax --align 2M\n`);
    expect(execute.stderr).not.toContain('type the change id');
  });

  it('inspect: flag, effective state and state of the directory and its subtree as a table', async () => {
    const r = await daxfleet(['dax', 'inspect', FS_HOST, dir, '--recursive'], operatorEnv);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = await inspect(dir);
    expect(r.stdout).toMatch(new RegExp(`^filesystem ${result.filesystem?.mountpoint ?? '?'}: ${result.filesystem?.fstype ?? '?'} on `));
    const rows = r.stdout.split('\n').filter((l) => / \/.*$/.test(l) && !l.startsWith('filesystem'));
    expect(rows.map((l) => l.split(/ +/).at(-1))).toEqual(result.entries.map((e) => e.path));
    expect(result.entries.map((e) => e.path)).toEqual(expect.arrayContaining([dir, ...files]));
    for (const row of rows) expect(row.split(/ +/)[1]).toBe('off');
    expect(r.stdout).toContain(`scanned ${result.scanned}: `);

    // a path the agent cannot look at: its reason on stderr, exit 1
    const proc = await daxfleet(['dax', 'inspect', FS_HOST, '/proc'], operatorEnv);
    expect(proc.status).toBe(1);
    expect(proc.stdout).toBe('');
    expect(proc.stderr).toBe(`daxfleet: ${(await inspect('/proc')).error ?? '?'}\n`);
    expect(proc.stderr).toContain('cannot do DAX');
  });

  it('plan a policy: the flag changes it would make, the checks, the id; executed after typing the id; flags on, files pending', async () => {
    const planned = await daxfleet(['dax', 'plan', FS_HOST, 'policy', dir, '--dax', 'on', '--existing', 'all'], operatorEnv);
    expect(planned.stderr).toBe('');
    expect(planned.status).toBe(0);
    const id = /^change (dc_\S+) {2}fs-dax-policy on host host-fs {2}status planned$/m.exec(planned.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    const stored = await api<DaxChange>('GET', `/dax/changes/${id}`);
    expect(stored.plan.request).toEqual({ kind: 'fs-dax-policy', path: dir, dax: true, existing: 'all' });
    expect(planned.stdout).toContain(`\nrequest   policy ${dir} --dax on --existing all\n`);
    expect(planned.stdout).toContain(`\nflag changes (${stored.plan.changes_total}):\n`);
    for (const p of [dir, path.join(dir, 'sub'), ...files]) expect(planned.stdout).toMatch(new RegExp(`^ {2}(dir|file) +${p} {2}flag off → on`, 'm'));
    for (const c of stored.plan.checks) expect(planned.stdout).toContain(`  ${c.ok ? '✓' : '✗'} ${c.id.padEnd(22)} ${c.detail}\n`);
    expect(planned.stdout).toContain('DATA LOSS: none\n');
    expect(planned.stdout).toContain(`\ndigest    ${stored.plan.digest}\n`);
    expect(planned.stdout).toContain(`to run it: daxfleet dax execute ${id}\n`);

    const wrong = await daxfleet(['dax', 'execute', id], operatorEnv, 'yes\n');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`change ${id}: policy ${dir} --dax on --existing all on host ${FS_HOST}\nDATA LOSS: none\nflags to change: 4\n`);
    expect(wrong.stderr).toContain('daxfleet: not confirmed ("yes" is not the change id): nothing was executed\n');
    expect((await inspect(dir)).entries.every((e) => !e.flag)).toBe(true);

    const r = await daxfleet(['dax', 'execute', id], operatorEnv, `${id}\n`);
    expect(r.status).toBe(0);
    const done = await api<DaxChange>('GET', `/dax/changes/${id}`);
    expect(done.status).toBe('verified');
    expect(r.stdout).toMatch(new RegExp(`^change ${id}: verified\nresult: verified, executed by token:test-operator, `));
    for (const c of done.result?.verification ?? []) expect(r.stdout).toContain(`  ✓ ${c.id.padEnd(22)} ${c.detail}\n`);
    expect(r.stdout).toContain(`flags changed: 4; files pending now: ${done.result?.pending ?? '?'}\n`);
    expect(r.stdout).toMatch(/\nafter {5}scanned \d+: \d+ dax, \d+ not-dax, \d+ pending, \d+ n\/a\n/);
    const after = await inspect(dir);
    expect(after.entries.filter((e) => [dir, ...files].includes(e.path)).map((e) => e.flag)).toEqual([true, true, true]);

    // the audit: only the files whose effective state is not what their flag asks, and why
    const audit = await daxfleet(['dax', 'inspect', FS_HOST, dir, '--recursive', '--audit'], operatorEnv);
    expect(audit.status).toBe(0);
    const pending = after.entries.filter((e) => e.state === 'pending');
    for (const e of pending) {
      expect(audit.stdout).toMatch(new RegExp(`^file +on +not-dax +pending +${e.reason ?? '?'} +${e.path}$`, 'm'));
      expect(audit.stdout).toContain(`  ${e.path}: ${e.detail ?? '?'}\n`);
    }
    expect(audit.stdout).not.toMatch(new RegExp(`^dir .* ${dir}$`, 'm'));

    const again = await daxfleet(['dax', 'execute', id, '--yes'], operatorEnv);
    expect(again.status).toBe(3);
    expect(again.stderr).toMatch(/\(HTTP 409 DAXFLEET_ERR_DAX_ALREADY_EXECUTED\)\n$/);
  });

  it('execute after the subtree changed: the agent plans again and refuses (409, exit 3), the CLI says how to plan again', async () => {
    const planned = await daxfleet(['dax', 'plan', FS_HOST, 'policy', dir, '--dax', 'off', '--existing', 'all', '--json'], operatorEnv);
    expect(planned.status).toBe(0);
    const change = JSON.parse(planned.stdout) as DaxChange;
    expect(change.plan.executable).toBe(true);
    writeFileSync(path.join(dir, 'c.dat'), 'new\n'); // inherits the flag: one more change than the reviewed plan lists
    const r = await daxfleet(['dax', 'execute', change.id, '--yes'], operatorEnv);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^daxfleet: .*\(HTTP 409 DAXFLEET_ERR_DAX_HOST_CHANGED\)\n/);
    expect(r.stderr).toContain(`\nplan again: daxfleet dax plan ${FS_HOST} policy ${dir} --dax off --existing all\n`);
    expect((await api<DaxChange>('GET', `/dax/changes/${change.id}`)).status).toBe('refused');
    expect((await inspect(dir)).entries.find((e) => e.path === dir)?.flag).toBe(true);
  });

  it('a plan the agent refuses: REFUSED with the failed check, exit 3; list and show the stored changes', async () => {
    const missing = path.join(tmp.dir, 'nowhere');
    const r = await daxfleet(['dax', 'plan', FS_HOST, 'policy', missing, '--dax', 'on'], operatorEnv);
    expect(r.status).toBe(3);
    const id = /^change (dc_\S+) /.exec(r.stdout)?.[1] ?? '';
    const stored = await api<DaxChange>('GET', `/dax/changes/${id}`);
    expect(stored.status).toBe('refused');
    expect(r.stdout).toContain(`\nREFUSED: ${stored.plan.refusal ?? '?'}\n`);
    expect(r.stdout).toMatch(/^ {2}✗ path-exists /m);
    expect(r.stdout).not.toContain('to run it:');

    const list = await daxfleet(['dax', 'list', '--host', FS_HOST, '--kind', 'fs-dax-policy'], operatorEnv);
    expect(list.status).toBe(0);
    const [header, ...rows] = list.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID +HOST +KIND +STATUS +CREATED +TARGET$/);
    const all = await api<DaxChangeList>('GET', `/dax/changes?host=${FS_HOST}&kind=fs-dax-policy`);
    expect(rows.map((l) => l.split(/ +/)[0])).toEqual(all.changes.map((c) => c.id));
    expect(rows[0]).toMatch(new RegExp(`^${id} +${FS_HOST} +fs-dax-policy +refused +\\S+ +${missing}$`));
    expect(all.changes.map((c) => c.status)).toEqual(['refused', 'refused', 'verified']);
    // paged: the newest one, and the command for the older ones with the same filters
    const first = await daxfleet(['dax', 'list', '--host', FS_HOST, '--kind', 'fs-dax-policy', '--limit', '1'], operatorEnv);
    const page = await api<DaxChangeList>('GET', `/dax/changes?host=${FS_HOST}&kind=fs-dax-policy&limit=1`);
    expect(page.next_before).toBeDefined();
    const older = `daxfleet dax list --host ${FS_HOST} --kind fs-dax-policy --limit 1 --before ${page.next_before ?? '?'}`;
    expect(first.stdout.split('\n').slice(1)).toEqual([expect.stringMatching(new RegExp(`^${id} `)), `older changes: ${older}`, '']);
    const second = await daxfleet(older.split(' ').slice(1), operatorEnv);
    expect(second.stdout.split('\n')[1]).toMatch(new RegExp(`^${all.changes[1]?.id ?? '?'} `));
    const verified = await daxfleet(['dax', 'list', '--status', 'verified', '--json'], operatorEnv);
    expect(JSON.parse(verified.stdout)).toEqual(await api<DaxChangeList>('GET', '/dax/changes?status=verified'));

    const show = await daxfleet(['dax', 'show', all.changes[2]?.id ?? '?'], operatorEnv);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain('\nresult: verified, executed by token:test-operator, ');
    expect(show.stdout).toContain('\nverification (a fresh scan):\n');
  });
});
