/**
 * Role all: the hub enrolls its own agent (no join token), which reports with its credential through the same
 * route as a remote agent, and runs the hub's signed rescan through the same verification, in-process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostList, HubInfo, InventoryHistory } from '@daxfleet/shared';
import { HUB_ENV, HubClient } from './agent-processes.js';
import { fixtureSysfs, tempDir } from './helpers.js';
import { eventually, startDaxfleet, type DaxfleetProcess } from './processes.js';

const work = tempDir('daxfleet-all-agent-');
const sys = path.join(work.dir, 'sim/sys');
const dataDir = path.join(work.dir, 'data');
const started: DaxfleetProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  work.remove();
});

async function serveAll(): Promise<DaxfleetProcess> {
  // a day between scans: only a rescan makes the local agent report again within this test
  const p = await startDaxfleet(['--port', '0', '--data-dir', dataDir, '--sysfs-root', sys, '--hostname', 'local',
    '--interval', '86400000'], 30_000, HUB_ENV);
  started.push(p);
  return p;
}

const credentialFile = path.join(dataDir, 'agent-credential.json');
const BADBLOCKS = 'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.3/block/pmem0.3/badblocks';

describe('role all: the local agent', () => {
  it('is enrolled by the hub itself, keeps its credential 0600, and keeps it across restarts', async () => {
    execFileSync('mkdir', ['-p', path.dirname(sys)]);
    execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), sys]);
    const first = await serveAll();
    const admin = await HubClient.asAdmin(first.url);
    const info = await admin.ok<HubInfo>('GET', '/info');
    await eventually(async () => (await admin.ok<HostList>('GET', '/hosts')).hosts.find((h) => h.id === info.local_host_id),
      'the local host');
    expect(statSync(credentialFile).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(credentialFile, 'utf8')) as { host_id: string; agent_credential: string };
    expect(stored.host_id).toBe(info.local_host_id);
    const agents = await admin.ok<{ agents: Array<{ host_id: string }> }>('GET', '/agents');
    expect(agents.agents.map((a) => a.host_id)).toEqual([info.local_host_id]);
    expect(await first.stop()).toBe(0);

    const second = await serveAll();
    await second.waitForOutput(/agent started/);
    expect(JSON.parse(readFileSync(credentialFile, 'utf8'))).toEqual(stored);
    expect(second.output()).not.toContain('local agent enrolled');
  });

  it('runs a signed rescan from the hub in-process: the new inventory is there when the hub answers', async () => {
    const p = started[started.length - 1]!;
    const admin = await HubClient.asAdmin(p.url);
    const info = await admin.ok<HubInfo>('GET', '/info');
    const hostId = info.local_host_id as string;
    const before = await admin.ok<InventoryHistory>('GET', `/hosts/${hostId}/inventory/history`);
    writeFileSync(path.join(sys, BADBLOCKS), '1000 8\n6000 8\n');
    const operator = admin.with(await admin.tokenFor('operator'));
    const res = await operator.call('POST', `/hosts/${hostId}/rescan`);
    expect(res.status).toBe(202);
    const after = await admin.ok<InventoryHistory>('GET', `/hosts/${hostId}/inventory/history`);
    expect(after.versions.length).toBe(before.versions.length + 1);
    expect(p.output()).toContain('running signed command from the hub');
  });

  it('revoked by an admin, the local agent gets a new credential from its hub at the next start', async () => {
    const p = started[started.length - 1]!;
    const admin = await HubClient.asAdmin(p.url);
    const hostId = (await admin.ok<HubInfo>('GET', '/info')).local_host_id as string;
    const before = JSON.parse(readFileSync(credentialFile, 'utf8')) as { agent_credential: string };
    expect((await admin.call('POST', `/agents/${hostId}/revoke`)).status).toBe(200);
    expect(await p.stop()).toBe(0);

    const next = await serveAll();
    await next.waitForOutput(/local agent enrolled with this hub/);
    const after = JSON.parse(readFileSync(credentialFile, 'utf8')) as { agent_credential: string };
    expect(after.agent_credential).not.toBe(before.agent_credential);
    const again = await HubClient.asAdmin(next.url);
    const agents = await again.ok<{ agents: Array<{ host_id: string; revoked_at?: string }> }>('GET', '/agents');
    expect(agents.agents).toEqual([expect.objectContaining({ host_id: hostId })]);
    expect(agents.agents[0]?.revoked_at).toBeUndefined();
    expect((await again.call('POST', `/hosts/${hostId}/rescan`)).status).toBe(202);
  });
});
