/**
 * Multi-process: a hub and two agents as separate programs on loopback, each agent scanning its own copy of a
 * recorded kernel's sysfs tree. Changes made to a copy show up as a new inventory version at the hub; the hub
 * restarts on its data folder without a manual step and the agents deliver again after backing off.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanInventory } from '@daxfleet/dax-native';
import { summarizeInventory, type HostList, type InventoryHistory } from '@daxfleet/shared';
import { fixtureSysfs, tempDir } from './helpers.js';
import { eventually, getJson, startDaxfleet, type DaxfleetProcess } from './processes.js';

const INTERVAL_MS = 300;
const work = tempDir('daxfleet-fleet-');
const simA = path.join(work.dir, 'sim-a/sys');
const simB = path.join(work.dir, 'sim-b/sys');
const running: DaxfleetProcess[] = [];
let hub: DaxfleetProcess;

/** The raw namespace's block device in two-dimm-all-modes (its bad-block list is what an operator writes to). */
const BLOCKDEV_BADBLOCKS = 'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.3/block/pmem0.3/badblocks';

async function startAgent(name: string, sysfsRoot: string, hubUrl: string): Promise<DaxfleetProcess> {
  const agent = await startDaxfleet(['--role', 'agent', '--port', '0', '--data-dir', path.join(work.dir, `${name}-data`),
    '--hub-url', hubUrl, '--sysfs-root', sysfsRoot, '--hostname', name, '--host-id', name, '--interval', String(INTERVAL_MS)]);
  running.push(agent);
  return agent;
}

async function startHub(port = 0): Promise<DaxfleetProcess> {
  const p = await startDaxfleet(['--role', 'hub', '--port', String(port), '--data-dir', path.join(work.dir, 'hub-data')]);
  running.push(p);
  return p;
}

beforeAll(async () => {
  execFileSync('mkdir', ['-p', path.dirname(simA), path.dirname(simB)]);
  execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), simA]);
  execFileSync('cp', ['-a', fixtureSysfs('four-dimm-mixed'), simB]);
  hub = await startHub();
  await startAgent('sim-a', simA, hub.url);
  await startAgent('sim-b', simB, hub.url);
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop('SIGKILL')));
  work.remove();
});

describe('a hub and two agents', () => {
  it('lists both hosts with the summary of their own sysfs tree', async () => {
    const hosts = await eventually(async () => {
      const list = await getJson<HostList>(`${hub.url}/api/v1/hosts`);
      return list.hosts.length === 2 ? list.hosts : undefined;
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

  it('an agent serves its health probe and nothing else', async () => {
    const agent = running[1]!;
    expect(await getJson(`${agent.url}/api/v1/health`)).toEqual({ status: 'ok' });
    const res = await fetch(`${agent.url}/api/v1/hosts`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { code: string }).code).toBe('DAXFLEET_ERR_ROUTE_NOT_FOUND');
  });

  it('an agent pointed at something that is not a hub logs the refusal with its error code, and retries', async () => {
    const notAHub = running[1]!; // an agent: it serves /api/v1/health only
    const lost = await startAgent('sim-lost', simB, notAHub.url);
    await lost.waitForOutput(
      /report to http:\/\/127\.0\.0\.1:\d+ failed \(HTTP 404 DAXFLEET_ERR_ROUTE_NOT_FOUND: no route POST \/api\/v1\/agents\/report.*\); retry 2 in 600 ms/);
    expect(await lost.stop()).toBe(0);
  });

  it('a bad block written to one host\'s tree becomes inventory version 2 of that host only', async () => {
    const before = (await getJson<HostList>(`${hub.url}/api/v1/hosts`)).hosts;
    writeFileSync(path.join(simA, BLOCKDEV_BADBLOCKS), '1000 8\n2000 16\n');
    const history = await eventually(async () => {
      const h = await getJson<InventoryHistory>(`${hub.url}/api/v1/hosts/sim-a/inventory/history`);
      return h.versions.length === 2 ? h : undefined;
    }, 'version 2 of sim-a');
    const changes = history.versions[0]?.changes ?? [];
    expect(changes).toContainEqual(expect.objectContaining({
      kind: 'changed', object: 'namespace0.3', object_type: 'namespace', field: 'blockdev_badblocks',
      from: [{ offset: 1000, length: 8 }], to: [{ offset: 1000, length: 8 }, { offset: 2000, length: 16 }],
    }));
    const beforeA = before.find((h) => h.id === 'sim-a');
    expect(history.versions[0]?.summary.badblock_count).toBe((beforeA?.summary.badblock_count ?? 0) + 16);

    const after = (await getJson<HostList>(`${hub.url}/api/v1/hosts`)).hosts;
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
      const list = await getJson<HostList>(`${hub.url}/api/v1/hosts`);
      return list.hosts.every((h) => Date.parse(h.last_seen) > lastSeenBefore) ? list.hosts : undefined;
    }, 'reports at the restarted hub');
    // the data folder survived: same versions, no new ones
    expect(hosts.map((h) => [h.id, h.inventory_version])).toEqual([['sim-a', 2], ['sim-b', 1]]);
    await agentA.waitForOutput(/report delivered again after failures/);
  });
});
