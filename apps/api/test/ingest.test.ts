/** Ingest and history through the REST API on a real SQLite file, with inventories of recorded kernels. */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  summarizeInventory, type AgentReportAck, type HostDetail, type HostInventory, type HostList, type Inventory,
  type InventoryHistory, type MediaEvent,
} from '@daxfleet/shared';
import { createPrismaClient } from '../src/db/client.js';
import { ingestReport } from '../src/services/ingest.js';
import { agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let base: Inventory;
let hub: TestHub;

beforeAll(async () => {
  base = await fixtureInventory('two-dimm-all-modes');
});
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

/** the agent credential of each host, issued through the service as enrollment would */
const credentials = new Map<string, string>();
async function agentHeaders(hostId: string): Promise<{ authorization: string }> {
  let credential = credentials.get(`${hub.databaseFile}:${hostId}`);
  if (!credential) {
    credential = await agentCredentialFor(hub, hostId);
    credentials.set(`${hub.databaseFile}:${hostId}`, credential);
  }
  return authed(credential);
}

async function post(inventory: Inventory, hostId = 'host-a'): Promise<AgentReportAck> {
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report', payload: reportOf(inventory, { host_id: hostId }), headers: await agentHeaders(hostId),
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<AgentReportAck>();
}

async function getJson<T>(url: string): Promise<T> {
  const res = await hub.server.inject({ method: 'GET', url, headers: authed(hub.adminToken) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<T>();
}

/** The same inventory with one namespace shrunk by `by` bytes. */
function withNamespaceSize(inv: Inventory, dev: string, size: number): Inventory {
  const copy = structuredClone(inv);
  for (const region of copy.buses.flatMap((b) => b.regions)) {
    for (const ns of region.namespaces) if (ns.dev === dev) ns.size = size;
  }
  return copy;
}

function firstNamespace(inv: Inventory): { dev: string; size: number } {
  const ns = inv.buses[0]?.regions.flatMap((r) => r.namespaces)[0];
  if (!ns) throw new Error('fixture has no namespace');
  return ns;
}

describe('agent report ingest', () => {
  it('creates the host and inventory version 1 on the first report', async () => {
    expect(await post(base)).toEqual({ host_id: 'host-a', inventory_version: 1, changed: true });
    const { hosts } = await getJson<HostList>('/api/v1/hosts');
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({
      id: 'host-a', hostname: 'pmem-a', agent_version: '0.0.0-test', online: true, inventory_version: 1,
      sysfs_root: base.sysfs_root, summary: summarizeInventory(base),
    });
    const detail = await getJson<HostDetail>('/api/v1/hosts/host-a');
    expect(detail.inventory).toEqual(base);
    expect(detail.summary.dimm_count).toBe(2);
  });

  it('only refreshes last_seen when an identical inventory is reported again', async () => {
    await post(base);
    const before = await getJson<HostInventory>('/api/v1/hosts/host-a/inventory');
    await new Promise((r) => setTimeout(r, 20));
    expect(await post(structuredClone(base))).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false });
    const after = await getJson<HostInventory>('/api/v1/hosts/host-a/inventory');
    expect(after.version).toBe(1);
    expect(after.first_seen).toBe(before.first_seen);
    expect(Date.parse(after.last_seen)).toBeGreaterThan(Date.parse(before.last_seen));
    const history = await getJson<InventoryHistory>('/api/v1/hosts/host-a/inventory/history');
    expect(history.versions.map((v) => v.version)).toEqual([1]);
  });

  it('creates version 2 with the changed field when the inventory changes', async () => {
    await post(base);
    const ns = firstNamespace(base);
    const changed = withNamespaceSize(base, ns.dev, ns.size - 4096);
    expect(await post(changed)).toEqual({ host_id: 'host-a', inventory_version: 2, changed: true });

    const history = await getJson<InventoryHistory>('/api/v1/hosts/host-a/inventory/history');
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);
    expect(history.versions[0]?.changes).toEqual([
      { kind: 'changed', object: ns.dev, object_type: 'namespace', field: 'size', from: ns.size, to: ns.size - 4096 },
    ]);
    expect(history.versions[1]?.changes).toEqual([]);
    expect(history.versions[0]?.summary).toEqual(summarizeInventory(changed));
    const current = await getJson<HostInventory>('/api/v1/hosts/host-a/inventory');
    expect(current.version).toBe(2);
    expect(current.inventory).toEqual(changed);
  });

  it('updates the host fields of an unchanged report (renamed host, new agent version) without a new version', async () => {
    await post(base);
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report',
      payload: reportOf(base, { hostname: 'renamed', agent_version: '9.9.9', interval_ms: 500 }), headers: await agentHeaders('host-a'),
    });
    expect(res.json()).toEqual({ host_id: 'host-a', inventory_version: 1, changed: false });
    const detail = await getJson<HostDetail>('/api/v1/hosts/host-a');
    expect(detail).toMatchObject({ hostname: 'renamed', agent_version: '9.9.9', inventory_version: 1 });
  });

  it('keeps the version when only volatile fields (DIMM temperature) change, showing the latest values', async () => {
    const warm = structuredClone(base);
    const dimm = warm.buses[0]?.dimms[0];
    if (!dimm) throw new Error('fixture has no DIMM');
    dimm.health = { supported: true, health_state: 'ok', temperature_celsius: 31 };
    await post(warm);
    const warmer = structuredClone(warm);
    warmer.buses[0]!.dimms[0]!.health!.temperature_celsius = 44;
    expect((await post(warmer)).changed).toBe(false);
    // the same version, but the current inventory shows the latest values
    const current = await getJson<HostInventory>('/api/v1/hosts/host-a/inventory');
    expect(current.version).toBe(1);
    expect(current.inventory.buses[0]?.dimms[0]?.health?.temperature_celsius).toBe(44);
    const detail = await getJson<HostDetail>('/api/v1/hosts/host-a');
    expect(detail.inventory.buses[0]?.dimms[0]?.health?.temperature_celsius).toBe(44);
    // and back: the stored inventory follows every report, not only the first change
    await post(warm);
    const again = await getJson<HostInventory>('/api/v1/hosts/host-a/inventory');
    expect(again.inventory.buses[0]?.dimms[0]?.health?.temperature_celsius).toBe(31);
    expect(again.version).toBe(1);
  });

  it('keeps hosts apart and lists them by hostname', async () => {
    await post(base, 'host-b');
    const res = await hub.server.inject({
      method: 'POST', url: '/api/v1/agents/report',
      payload: reportOf(base, { host_id: 'host-a', hostname: 'aaa' }), headers: await agentHeaders('host-a'),
    });
    expect(res.statusCode).toBe(200);
    const { hosts } = await getJson<HostList>('/api/v1/hosts');
    expect(hosts.map((h) => [h.id, h.hostname, h.inventory_version])).toEqual([['host-a', 'aaa', 1], ['host-b', 'pmem-a', 1]]);
  });

  it('pages the history newest first with next_before', async () => {
    const ns = firstNamespace(base);
    for (let i = 0; i < 5; i++) await post(withNamespaceSize(base, ns.dev, ns.size - i * 4096));
    const page1 = await getJson<InventoryHistory>('/api/v1/hosts/host-a/inventory/history?limit=2');
    expect(page1.versions.map((v) => v.version)).toEqual([5, 4]);
    expect(page1.next_before).toBe(4);
    const page2 = await getJson<InventoryHistory>('/api/v1/hosts/host-a/inventory/history?limit=2&before=4');
    expect(page2.versions.map((v) => v.version)).toEqual([3, 2]);
    expect(page2.next_before).toBe(2);
    const page3 = await getJson<InventoryHistory>('/api/v1/hosts/host-a/inventory/history?limit=2&before=2');
    expect(page3.versions.map((v) => v.version)).toEqual([1]);
    expect(page3.next_before).toBeUndefined();
    expect(page2.versions[0]?.changes[0]).toMatchObject({ field: 'size', from: ns.size - 4096, to: ns.size - 2 * 4096 });
  });

  it('reports a host offline once its last report is older than 3 intervals', async () => {
    const prisma = createPrismaClient(hub.databaseFile);
    try {
      const longAgo = new Date(Date.now() - 31_000);
      await ingestReport(prisma, reportOf(base, { host_id: 'old', interval_ms: 10_000 }), longAgo);
      await ingestReport(prisma, reportOf(base, { host_id: 'recent', interval_ms: 10_000 }), new Date(Date.now() - 29_000));
    } finally {
      await prisma.$disconnect();
    }
    const { hosts } = await getJson<HostList>('/api/v1/hosts');
    expect(Object.fromEntries(hosts.map((h) => [h.id, h.online]))).toEqual({ old: false, recent: true });
  });

  it('ingests concurrent reports of many hosts without losing any', async () => {
    const acks = await Promise.all(Array.from({ length: 20 }, (_, i) => post(base, `h${i}`)));
    expect(acks.every((a) => a.changed && a.inventory_version === 1)).toBe(true);
    const { hosts } = await getJson<HostList>('/api/v1/hosts');
    expect(hosts).toHaveLength(20);
  });

  it('stores events, ledger rows and health samples in the report\'s transaction: all or nothing', async () => {
    await post(base);
    const ns = firstNamespace(base);
    const changed = withNamespaceSize(base, ns.dev, ns.size - 4096);
    const event: MediaEvent = {
      id: 'atomic-event-1', type: 'badblock-new', detected_at: new Date().toISOString(), detected_by: 'notify',
      summary: 'new bad range region0+8 (8 sectors)',
      range: { region: 'region0', region_offset: 8, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region' },
    };
    const sample = { dimm: 'nmem0', sampled_at: new Date().toISOString(), values: { health_state: 'ok' as const } };
    const payload = reportOf(changed, { events: [event], health_samples: [sample] });
    // the database refuses this event's row, a write that comes after the new inventory version and the ledger row
    await hub.server.prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_event BEFORE INSERT ON media_events
      WHEN NEW.id = 'atomic-event-1' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
    const refused = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/report', payload, headers: await agentHeaders('host-a') });
    expect(refused.statusCode).toBe(500);
    expect((await getJson<HostInventory>('/api/v1/hosts/host-a/inventory')).version).toBe(1);
    const prisma = hub.server.prisma;
    expect([await prisma.mediaEvent.count(), await prisma.badBlock.count(), await prisma.healthSample.count()]).toEqual([0, 0, 0]);

    // the agent's outbox sends the same report again once the hub can store it
    await prisma.$executeRawUnsafe('DROP TRIGGER refuse_event');
    const res = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/report', payload, headers: await agentHeaders('host-a') });
    expect(res.json<AgentReportAck>()).toEqual({ host_id: 'host-a', inventory_version: 2, changed: true, acked_events: [event.id] });
    expect([await prisma.mediaEvent.count(), await prisma.badBlock.count(), await prisma.healthSample.count()]).toEqual([1, 1, 1]);
  });
});
