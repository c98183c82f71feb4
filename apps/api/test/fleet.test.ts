/**
 * Multi-process: a hub and two agents as separate programs on loopback, each agent scanning its own copy of a
 * recorded kernel's sysfs tree and enrolled with a join token an admin made through the REST API. Changes made
 * to a copy show up as a new inventory version at the hub; the hub restarts on its data folder without a manual
 * step and the agents deliver again after backing off. A signed rescan reaches a real agent; a revoked agent
 * is refused and exits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanInventory } from '@daxfleet/dax-native';
import { summarizeInventory, type HostList, type InventoryHistory } from '@daxfleet/shared';
import { HUB_ENV, HubClient } from './agent-processes.js';
import { CLI, fixtureSysfs, REPO_ROOT, tempDir } from './helpers.js';
import { eventually, getJson, startDaxfleet, type DaxfleetProcess } from './processes.js';

const INTERVAL_MS = 300;
const work = tempDir('daxfleet-fleet-');
const simA = path.join(work.dir, 'sim-a/sys');
const simB = path.join(work.dir, 'sim-b/sys');
const running: DaxfleetProcess[] = [];
let hub: DaxfleetProcess;
/** the hub's REST API with an admin token */
let admin: HubClient;
let agentC: DaxfleetProcess;
let agentD: DaxfleetProcess;

/** The raw namespace's block device in two-dimm-all-modes (its bad-block list is what an operator writes to). */
const BLOCKDEV_BADBLOCKS = 'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.3/block/pmem0.3/badblocks';

async function startAgent(name: string, sysfsRoot: string, hubUrl: string, joinToken: string | undefined,
  intervalMs = INTERVAL_MS): Promise<DaxfleetProcess> {
  const agent = await startDaxfleet(['--role', 'agent', '--port', '0', '--data-dir', path.join(work.dir, `${name}-data`),
    '--hub-url', hubUrl, '--sysfs-root', sysfsRoot, '--hostname', name, '--host-id', name, '--interval', String(intervalMs),
    ...(joinToken !== undefined ? ['--join-token', joinToken] : [])]);
  running.push(agent);
  return agent;
}

async function startHub(port = 0): Promise<DaxfleetProcess> {
  const p = await startDaxfleet(['--role', 'hub', '--port', String(port), '--data-dir', path.join(work.dir, 'hub-data')],
    30_000, HUB_ENV);
  running.push(p);
  return p;
}

async function hostList(): Promise<HostList['hosts']> {
  return (await admin.ok<HostList>('GET', '/hosts')).hosts;
}

beforeAll(async () => {
  execFileSync('mkdir', ['-p', path.dirname(simA), path.dirname(simB)]);
  execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), simA]);
  execFileSync('cp', ['-a', fixtureSysfs('four-dimm-mixed'), simB]);
  hub = await startHub();
  admin = await HubClient.asAdmin(hub.url);
  await startAgent('sim-a', simA, hub.url, await admin.joinToken());
  await startAgent('sim-b', simB, hub.url, await admin.joinToken());
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  work.remove();
});

describe('a hub and two agents', () => {
  it('lists both hosts with the summary of their own sysfs tree', async () => {
    const hosts = await eventually(async () => {
      const list = await hostList();
      return list.length === 2 ? list : undefined;
    }, 'both hosts at the hub');
    const expected = {
      'sim-a': summarizeInventory(await scanInventory({ sysfsRoot: simA })),
      'sim-b': summarizeInventory(await scanInventory({ sysfsRoot: simB })),
    };
    expect(hosts.map((h) => [h.id, h.hostname, h.sysfs_root, h.online, h.inventory_version])).toEqual([
      ['sim-a', 'sim-a', simA, true, 1],
      ['sim-b', 'sim-b', simB, true, 1],
    ]);
    expect(hosts[0]?.summary).toEqual(expected['sim-a']);
    expect(hosts[1]?.summary).toEqual(expected['sim-b']);
    expect(hosts[0]?.summary.dimm_count).toBe(2);
    expect(hosts[1]?.summary.dimm_count).toBe(4);
  });

  it('an enrolled agent keeps its credential 0600 in its data folder; the hub keeps only its hash', async () => {
    const file = path.join(work.dir, 'sim-a-data/agent-credential.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual(['agent_credential', 'command_key', 'host_id', 'hub_url']);
    expect(stored.host_id).toBe('sim-a');
    expect(stored.agent_credential).toMatch(/^dxf_agent_[A-Za-z0-9_-]{43}$/);
    const db = readFileSync(path.join(work.dir, 'hub-data/daxfleet.db')).toString('latin1');
    expect(db).not.toContain(stored.agent_credential);
    // nor does any log line, of the hub or of an agent
    for (const p of running) {
      expect(p.output()).not.toContain(stored.agent_credential);
      expect(p.output()).not.toContain(stored.command_key);
      expect(p.output()).not.toMatch(/dxf_join_[A-Za-z0-9_-]{43}/);
    }
    const agents = await admin.ok<{ agents: Array<{ host_id: string; revoked_at?: string }> }>('GET', '/agents');
    expect(agents.agents.map((a) => [a.host_id, a.revoked_at])).toEqual([['sim-a', undefined], ['sim-b', undefined]]);
  });

  it('the hub lists nothing without credentials', async () => {
    const res = await fetch(`${hub.url}/api/v1/hosts`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('DAXFLEET_ERR_AUTH_REQUIRED');
  });

  it('an agent serves its health probe and the signed command endpoint, nothing else', async () => {
    const agent = running[1]!;
    expect(await getJson(`${agent.url}/api/v1/health`)).toEqual({ status: 'ok' });
    const res = await fetch(`${agent.url}/api/v1/hosts`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('DAXFLEET_ERR_ROUTE_NOT_FOUND');
    const unsigned = await fetch(`${agent.url}/api/v1/agent/commands`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'rescan', id: 'x1' }),
    });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { code: string }).code).toBe('DAXFLEET_ERR_AGENT_COMMAND_UNAUTHENTICATED');
  });

  it('an agent pointed at something that is not a hub logs the refusal with its error code, and retries', async () => {
    const notAHub = running[1]!; // an agent: it serves /api/v1/health only
    // already enrolled (a credential in its data folder): it goes straight to reporting
    execFileSync('mkdir', ['-p', path.join(work.dir, 'sim-lost-data')]);
    writeFileSync(path.join(work.dir, 'sim-lost-data/agent-credential.json'), JSON.stringify({
      host_id: 'sim-lost', hub_url: notAHub.url, agent_credential: 'dxf_agent_lost', command_key: 'k',
    }), { mode: 0o600 });
    const lost = await startAgent('sim-lost', simB, notAHub.url, undefined);
    await lost.waitForOutput(
      /report to http:\/\/127\.0\.0\.1:\d+ failed \(HTTP 404 DAXFLEET_ERR_ROUTE_NOT_FOUND: no route POST \/api\/v1\/agents\/report.*\); retry 2 in 600 ms/);
    expect(await lost.stop()).toBe(0);
  });

  it('a bad block written to one host\'s tree becomes inventory version 2 of that host only', async () => {
    const before = await hostList();
    writeFileSync(path.join(simA, BLOCKDEV_BADBLOCKS), '1000 8\n2000 16\n');
    const history = await eventually(async () => {
      const h = await admin.ok<InventoryHistory>('GET', '/hosts/sim-a/inventory/history');
      return h.versions.length === 2 ? h : undefined;
    }, 'version 2 of sim-a');
    const changes = history.versions[0]?.changes ?? [];
    expect(changes).toContainEqual(expect.objectContaining({
      kind: 'changed', object: 'namespace0.3', object_type: 'namespace', field: 'blockdev_badblocks',
      from: [{ offset: 1000, length: 8 }], to: [{ offset: 1000, length: 8 }, { offset: 2000, length: 16 }],
    }));
    const beforeA = before.find((h) => h.id === 'sim-a');
    expect(history.versions[0]?.summary.badblock_count).toBe((beforeA?.summary.badblock_count ?? 0) + 16);

    const after = await hostList();
    expect(after.find((h) => h.id === 'sim-a')?.inventory_version).toBe(2);
    expect(after.find((h) => h.id === 'sim-b')?.inventory_version).toBe(1);
  });

  it('the hub stops cleanly on SIGTERM, agents back off and log it, a restarted hub gets their reports', async () => {
    const port = new URL(hub.url).port;
    expect(await hub.stop('SIGTERM')).toBe(0);
    const agentA = running[1]!;
    await agentA.waitForOutput(/report to http:\/\/127\.0\.0\.1:\d+ failed \(hub unreachable: ECONNREFUSED\); retry \d+ in \d+ ms/);
    await agentA.waitForOutput(/retry 3 in 1200 ms/);

    const lastSeenBefore = Date.now();
    hub = await startHub(Number(port));
    const hosts = await eventually(async () => {
      const list = await hostList();
      return list.every((h) => Date.parse(h.last_seen) > lastSeenBefore) ? list : undefined;
    }, 'reports at the restarted hub');
    // the data folder survived: same versions, no new ones
    expect(hosts.map((h) => [h.id, h.inventory_version])).toEqual([['sim-a', 2], ['sim-b', 1]]);
    await agentA.waitForOutput(/report delivered again after failures/);
  });

  it('POST /hosts/:hostId/rescan: the agent scans and reports before the answer, without waiting for its interval', async () => {
    const simC = path.join(work.dir, 'sim-c/sys');
    execFileSync('mkdir', ['-p', path.dirname(simC)]);
    execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), simC]);
    // a day between scans: only the rescan command can make it report again within this test
    agentC = await startAgent('sim-c', simC, hub.url, await admin.joinToken(), 86_400_000);
    const first = await eventually(async () => (await hostList()).find((h) => h.id === 'sim-c'), 'sim-c at the hub');
    expect(first.inventory_version).toBe(1);

    writeFileSync(path.join(simC, BLOCKDEV_BADBLOCKS), '1000 8\n4096 64\n');
    const operator = admin.with(await admin.tokenFor('operator'));
    const rescan = await operator.call('POST', '/hosts/sim-c/rescan');
    expect(rescan.status).toBe(202);
    expect(rescan.json).toEqual({ accepted: true });
    // no polling: the agent answered the hub after its report was stored
    const history = await operator.ok<InventoryHistory>('GET', '/hosts/sim-c/inventory/history');
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(history.versions[0]?.changes).toContainEqual(expect.objectContaining({
      object: 'namespace0.3', field: 'blockdev_badblocks', to: [{ offset: 1000, length: 8 }, { offset: 4096, length: 64 }],
    }));

    const audit = await admin.ok<{ entries: Array<{ action: string; target?: string; result: string; actor: string }> }>(
      'GET', '/audit?action=host.rescan');
    expect(audit.entries[0]).toMatchObject({ action: 'host.rescan', target: 'sim-c', result: 'success', actor: 'fleet-operator' });

    const viewer = admin.with(await admin.tokenFor('viewer'));
    expect((await viewer.call('POST', '/hosts/sim-c/rescan')).status).toBe(403);
    expect((await admin.call('POST', '/hosts/no-such-host/rescan')).json.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
  });

  it('a host whose agent is gone: the rescan is a 502 saying the agent cannot be reached', async () => {
    expect(await agentC.stop()).toBe(0);
    const res = await admin.call('POST', '/hosts/sim-c/rescan');
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
  });

  it('rotating a credential: the agent gets a new one and keeps reporting, the old one is refused', async () => {
    const dataDir = path.join(work.dir, 'sim-a-data');
    const file = path.join(dataDir, 'agent-credential.json');
    const old = JSON.parse(readFileSync(file, 'utf8')) as { agent_credential: string };
    const r = await daxfleetCli('agent', 'rotate-credential', '--data-dir', dataDir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('daxfleet: host sim-a has a new credential; the old one no longer works\n');
    const rotated = JSON.parse(readFileSync(file, 'utf8')) as { agent_credential: string };
    expect(rotated.agent_credential).toMatch(/^dxf_agent_/);
    expect(rotated.agent_credential).not.toBe(old.agent_credential);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const withOld = await new HubClient(hub.url, old.agent_credential).call('POST', '/agents/credential/rotate', {});
    expect(withOld.status).toBe(401);
    // the running agent reads the new credential: its reports keep arriving
    const since = Date.now();
    await eventually(async () => {
      const a = (await hostList()).find((h) => h.id === 'sim-a');
      return a && Date.parse(a.last_seen) > since ? true : undefined;
    }, 'a report of sim-a with the rotated credential');
  });

  // (an expired join token: test/enrollment.test.ts, which can age one in the database)
  it('a used or unknown join token is refused: the agent says why and exits 1', async () => {
    const token = await admin.joinToken();
    const simD = path.join(work.dir, 'sim-d/sys');
    execFileSync('mkdir', ['-p', path.dirname(simD)]);
    execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), simD]);
    agentD = await startAgent('sim-d', simD, hub.url, token);
    await eventually(async () => (await hostList()).find((h) => h.id === 'sim-d'), 'sim-d at the hub');

    const again = await serveAgentCli('sim-d2', simD, token);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED');
    expect(again.stderr).toContain('ask an admin for a new one');
    expect(existsSync(path.join(work.dir, 'sim-d2-data/agent-credential.json'))).toBe(false);

    const unknown = await serveAgentCli('sim-d3', simD, 'dxf_join_made-up');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('DAXFLEET_ERR_AUTH_INVALID');
  });

  it('a revoked agent is refused: it logs why, moves its credential aside and exits 1; without a join token it cannot start', async () => {
    const revoked = await admin.call('POST', '/agents/sim-d/revoke');
    expect(revoked.status).toBe(200);
    expect(revoked.json.revoked_at).toEqual(expect.any(String));
    await agentD.waitForOutput(/the hub revoked this agent's credential; re-enroll with a new join token/);
    expect(await exitOf(agentD)).toBe(1);
    expect(agentD.output()).toContain('DAXFLEET_ERR_AUTH_REVOKED');
    expect(existsSync(path.join(work.dir, 'sim-d-data/agent-credential.json'))).toBe(false);

    const restart = await serveAgentCli('sim-d', path.join(work.dir, 'sim-d/sys'), undefined);
    expect(restart.status).toBe(2);
    expect(restart.stderr).toBe('daxfleet: not enrolled: ask an admin for a join token (UI: Agents, or POST ' +
      '/api/v1/agents/join-tokens) and pass --join-token\n');
  });
});

/** the exit code, without sending a signal */
function exitOf(p: DaxfleetProcess): Promise<number | null> {
  if (p.proc.exitCode !== null) return Promise.resolve(p.proc.exitCode);
  return new Promise((resolve) => p.proc.on('exit', (code) => resolve(code)));
}

/**
 * The CLI as a child process, awaited: spawnSync blocked this process's event loop for as long as the CLI ran
 * (several seconds each under load), so the keep-alive socket the hub closed meanwhile (keepAliveTimeout 10 s) was
 * still in fetch's pool, and the next request went out on it: "other side closed".
 */
function daxfleetCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `daxfleet serve --role agent` that is expected to fail before it listens */
function serveAgentCli(name: string, sysfsRoot: string, joinToken: string | undefined) {
  return daxfleetCli('serve', '--role', 'agent', '--port', '0', '--data-dir', path.join(work.dir, `${name}-data`),
    '--hub-url', hub.url, '--sysfs-root', sysfsRoot, '--host-id', name, ...(joinToken ? ['--join-token', joinToken] : []));
}
