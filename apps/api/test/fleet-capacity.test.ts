/**
 * GET /api/v1/fleet/capacity over a real hub whose hosts reported real inventories: scans of recorded kernels
 * (lab/fixtures) with the filesystems the agent reads from their recorded mount tables (agent/fsdax), a host
 * without NVDIMMs (a scan of an empty sysfs), and a host that enrolled but never reported. Per host the bytes are
 * the host's stored summary (summary-recorded.test.ts checks those against the recordings).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { scanInventory } from '@daxfleet/dax-native';
import { FleetCapacitySchema, type ApiError, type FleetCapacity, type HostSummary, type Inventory } from '@daxfleet/shared';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDaxFilesystems } from '../src/agent/fsdax/index.js';
import { issueAgentCredential } from '../src/services/agent-credentials.js';
import { FIXTURES_DIR, authed, fixtureSysfs, reportOf, startTestHub, tempDir, type TestHub } from './helpers.js';

let hub: TestHub;
let capacity: FleetCapacity;
const tmp = tempDir('daxfleet-capacity-');

async function report(hostId: string, inventory: Inventory, lastSeen = new Date()): Promise<void> {
  const { agent_credential } = await issueAgentCredential(hub.server.prisma, hostId);
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report', headers: authed(agent_credential),
    payload: reportOf(inventory, { host_id: hostId, hostname: `pmem-${hostId}`, scanned_at: lastSeen.toISOString() }),
  });
  expect(res.statusCode, res.body).toBe(200);
}

async function recorded(fixture: string, mountinfo = path.join(FIXTURES_DIR, fixture, 'mounts.txt')): Promise<Inventory> {
  const sysfsRoot = fixtureSysfs(fixture);
  const inventory = await scanInventory({ sysfsRoot, health: false });
  return { ...inventory, filesystems: await readDaxFilesystems({ mountinfo, sysfsRoot }) };
}

beforeAll(async () => {
  hub = await startTestHub();
  await report('a-mixed', await recorded('four-dimm-mixed'));
  await report('b-all-modes', await recorded('two-dimm-all-modes'));
  // the same kernel with ext4 also mounted on the sector (BTT) and raw namespaces: block devices without DAX
  const mounts = path.join(tmp.dir, 'mounts-no-dax.txt');
  writeFileSync(mounts, `${readFileSync(path.join(FIXTURES_DIR, 'two-dimm-all-modes', 'mounts.txt'), 'utf8')}` +
    '50 29 259:2 / /mnt/btt rw,relatime - ext4 /dev/pmem0.2s rw,dax=never\n' +
    '51 29 259:3 / /mnt/raw rw,relatime - ext4 /dev/pmem0.3 rw\n');
  await report('c-no-dax', await recorded('two-dimm-all-modes', mounts));
  await report('d-system-ram', await recorded('devdax-system-ram'));
  // a machine without NVDIMMs: the scan of a sysfs with no nd bus
  const empty = path.join(tmp.dir, 'sys');
  mkdirSync(empty);
  await report('e-no-pmem', await scanInventory({ sysfsRoot: empty, health: false }));
  // enrolled, never reported: nothing is known of it
  await issueAgentCredential(hub.server.prisma, 'f-silent');
  // seen long ago: offline
  await hub.server.prisma.host.update({ where: { id: 'd-system-ram' }, data: { lastSeen: new Date(Date.now() - 3600_000) } });

  const res = await hub.server.inject({ url: '/api/v1/fleet/capacity', headers: authed(await hub.tokenFor('viewer')) });
  expect(res.statusCode, res.body).toBe(200);
  capacity = res.json<FleetCapacity>();
});

afterAll(async () => {
  await hub?.close();
  tmp.remove();
});

describe('fleet capacity', () => {
  it('answers the schema, for viewers, not without credentials', async () => {
    expect(Value.Errors(FleetCapacitySchema, capacity)).toEqual([]);
    const anonymous = await hub.server.inject({ url: '/api/v1/fleet/capacity' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json<ApiError>().code).toBe('DAXFLEET_ERR_AUTH_REQUIRED');
  });

  it('lists the hosts with NVDIMMs by hostname; counts the one without in hosts_without_pmem only', () => {
    expect(capacity.hosts.map((h) => h.host_id)).toEqual(['a-mixed', 'b-all-modes', 'c-no-dax', 'd-system-ram']);
    expect(capacity.hosts_without_pmem).toBe(1);
    expect(capacity.hosts.map((h) => h.status)).toEqual(['online', 'online', 'online', 'offline']);
  });

  it('gives each host the bytes per mode of its current summary, every byte of its regions in a mode or free, system-ram apart from devdax', async () => {
    const listed = await hub.server.inject({ url: '/api/v1/hosts', headers: authed(hub.adminToken) });
    const summaries = new Map(listed.json<{ hosts: HostSummary[] }>().hosts.map((h) => [h.id, h.summary]));
    for (const host of capacity.hosts) {
      const summary = summaries.get(host.host_id)!;
      expect(host.capacity, host.host_id).toEqual({ ...summary.capacity_by_mode, total: summary.total_capacity });
      // every byte of the nd regions is in a mode or free
      const c = host.capacity;
      expect(c.raw + c.sector + c.fsdax + c.devdax + c['system-ram'] + c.free, host.host_id).toBe(c.total);
    }
    // the recordings' modes: four-dimm-mixed has one of each, devdax-system-ram only device DAX
    const mixed = capacity.hosts.find((h) => h.host_id === 'a-mixed')!.capacity;
    for (const mode of ['raw', 'sector', 'fsdax', 'devdax'] as const) expect(mixed[mode], mode).toBeGreaterThan(0);
    const ram = capacity.hosts.find((h) => h.host_id === 'd-system-ram')!.capacity;
    expect(ram['system-ram']).toBeGreaterThan(0);
    expect(ram.raw + ram.sector + ram.fsdax).toBe(0);
  });

  it('sums the hosts into the totals', () => {
    for (const key of ['raw', 'sector', 'fsdax', 'devdax', 'system-ram', 'free', 'total'] as const) {
      expect(capacity.totals[key], key).toBe(capacity.hosts.reduce((sum, h) => sum + h.capacity[key], 0));
    }
    expect(capacity.totals.total).toBeGreaterThan(0);
  });

  it('counts the mounted DAX-capable filesystems by dax mode, and those on a device without DAX', () => {
    const byHost = Object.fromEntries(capacity.hosts.map((h) => [h.host_id, h.filesystems]));
    // ext4 -o dax=always on pmem0
    expect(byHost['a-mixed']).toEqual({ inode: 0, always: 1, never: 0 });
    // xfs dax=always on pmem0, ext4 dax=inode on pmem0.1
    expect(byHost['b-all-modes']).toEqual({ inode: 1, always: 1, never: 0 });
    // and ext4 dax=never on the BTT device, ext4 (default: inode) on the raw one
    expect(byHost['c-no-dax']).toEqual({ inode: 2, always: 1, never: 1 });
    expect(byHost['d-system-ram']).toEqual({ inode: 0, always: 0, never: 0 });
    expect(capacity.filesystems).toEqual({ inode: 3, always: 3, never: 1, without_device_dax: 2 });
  });
});
