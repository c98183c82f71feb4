/**
 * The files under bad ranges at the hub (issue 6), through the report route and the REST API on a real SQLite
 * file: a report's range_files become LedgerEntry.files of the matching OPEN ranges (host ledger and fleet
 * ledger), the next set replaces the host's whole set (an empty one clears it), a cleared range carries no files,
 * other hosts are untouched, a report with range_files never takes the in-memory fast path, and a set that names
 * one range twice is a 400 that writes nothing.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  AgentReport, AgentReportAck, ApiError, BadRange, Inventory, LedgerEntry, LedgerPage, MediaEvent, RangeFiles,
} from '@daxfleet/shared';
import type { IngestedNotice } from '../src/services/media-bus.js';
import { agentCredentialFor, authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let base: Inventory;
let hub: TestHub;
let seq = 0;

beforeAll(async () => {
  base = await fixtureInventory('two-dimm-all-modes');
});
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

function range(offset: number): BadRange {
  return {
    region: 'region0', region_offset: offset, length: 8, dimms: [{ dimm: 'nmem0' }], source: 'region',
    blockdev: 'pmem0', blockdev_offset: offset,
  };
}

function badblock(type: 'badblock-new' | 'badblock-cleared', r: BadRange): MediaEvent {
  return {
    id: `rf-${(++seq).toString().padStart(6, '0')}-${Math.random().toString(36).slice(2, 10)}`,
    type, detected_at: new Date().toISOString(), detected_by: 'scan',
    summary: `${type} ${r.region}+${r.region_offset}`, range: r,
  };
}

/** what an agent maps for a range: one file hit, or free space */
function filesOf(r: BadRange, path: string | undefined): RangeFiles {
  const device = (r.blockdev_offset ?? 0) * 512;
  return {
    region: r.region, region_offset: r.region_offset, length: r.length,
    blockdev: 'pmem0', mountpoint: '/mnt/pmem', fstype: 'ext4', dax: 'always', method: 'getfsmap',
    hits: path === undefined
      ? [{ kind: 'free', device_offset: device, length: r.length * 512 }]
      : [{ kind: 'file', device_offset: device, length: r.length * 512, inode: 12, path, file_offset: 8192, file_size: 65536 }],
    mapped_at: new Date().toISOString(),
  };
}

const credentials = new Map<string, string>();
async function post(over: Partial<AgentReport>, hostId = 'host-a'): Promise<{ status: number; body: unknown }> {
  if (!credentials.has(`${hub.databaseFile}:${hostId}`)) {
    credentials.set(`${hub.databaseFile}:${hostId}`, await agentCredentialFor(hub, hostId));
  }
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report',
    payload: reportOf(base, { host_id: hostId, hostname: `name-of-${hostId}`, ...over }),
    headers: authed(credentials.get(`${hub.databaseFile}:${hostId}`) as string),
  });
  return { status: res.statusCode, body: res.json() };
}
async function send(over: Partial<AgentReport>, hostId = 'host-a'): Promise<AgentReportAck> {
  const res = await post(over, hostId);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as AgentReportAck;
}

async function ledger(url = '/api/v1/hosts/host-a/ledger'): Promise<Map<number, LedgerEntry>> {
  const res = await hub.server.inject({ url, headers: authed(hub.adminToken) });
  expect(res.statusCode, res.body).toBe(200);
  return new Map(res.json<LedgerPage>().entries.map((e) => [e.range.region_offset, e]));
}

describe('range_files in reports and the ledger', () => {
  it('fills LedgerEntry.files of open ranges, host and fleet ledger', async () => {
    const [a, b] = [range(0), range(64)];
    await send({ events: [badblock('badblock-new', a), badblock('badblock-new', b)], range_files: [filesOf(a, 'data/db.bin')] });
    for (const url of ['/api/v1/hosts/host-a/ledger', '/api/v1/media/ledger', '/api/v1/media/ledger?state=open']) {
      const entries = await ledger(url);
      expect(entries.get(0)?.files, url).toEqual(expect.objectContaining({
        mountpoint: '/mnt/pmem', fstype: 'ext4', dax: 'always', method: 'getfsmap',
        hits: [expect.objectContaining({ kind: 'file', path: 'data/db.bin', file_offset: 8192, inode: 12 })],
      }));
      expect(entries.get(64)?.files, `${url}: a range the set leaves out hits nothing mapped`).toBeUndefined();
    }
  });

  it('replaces the host\'s set with the next one, keeps it through steady reports, and an empty set clears it', async () => {
    const [a, b] = [range(0), range(64)];
    await send({ events: [badblock('badblock-new', a), badblock('badblock-new', b)], range_files: [filesOf(a, 'one')] });
    // steady state: nothing new, the fast path answers; the stored set stays
    for (let i = 0; i < 3; i++) await send({});
    expect((await ledger()).get(0)?.files?.hits[0]?.path).toBe('one');

    await send({ range_files: [filesOf(a, 'two'), filesOf(b, undefined)] });
    let entries = await ledger();
    expect(entries.get(0)?.files?.hits[0]?.path).toBe('two');
    expect(entries.get(64)?.files?.hits).toEqual([{ kind: 'free', device_offset: 64 * 512, length: 4096 }]);

    await send({ range_files: [filesOf(b, 'three')] });
    entries = await ledger();
    expect(entries.get(0)?.files).toBeUndefined();
    expect(entries.get(64)?.files?.hits[0]?.path).toBe('three');
    expect(await hub.server.prisma.rangeFileMap.count({ where: { hostId: 'host-a' } })).toBe(1);

    await send({ range_files: [] });
    entries = await ledger();
    expect([...entries.values()].map((e) => e.files)).toEqual([undefined, undefined]);
    expect(await hub.server.prisma.rangeFileMap.count()).toBe(0);
  });

  it('never takes the fast path with range_files, and tells the live stream', async () => {
    const a = range(0);
    await send({ events: [badblock('badblock-new', a)] });
    await send({});
    const fast = hub.server.ingestFastPath;
    const unchangedBefore = fast.stats.unchanged;
    await send({});
    expect(fast.stats.unchanged, 'the steady report is the fast path\'s').toBe(unchangedBefore + 1);

    const notices: IngestedNotice[] = [];
    hub.server.mediaBus.on('ingested', (n) => notices.push(n));
    const generalBefore = fast.stats.general;
    const ack = await send({ range_files: [filesOf(a, 'mapped/file')] });
    expect(ack.changed).toBe(false);
    expect(fast.stats.unchanged).toBe(unchangedBefore + 1);
    expect(fast.stats.general).toBe(generalBefore + 1);
    expect(notices).toEqual([expect.objectContaining({ host_id: 'host-a', inventory_changed: false, events: [] })]);
    // stored in the report's transaction: on disk before the answer
    const row = await hub.server.prisma.rangeFileMap.findFirstOrThrow({ where: { hostId: 'host-a' } });
    expect(JSON.parse(row.files)).toMatchObject({ hits: [{ path: 'mapped/file' }] });
    expect((await ledger()).get(0)?.files?.hits[0]?.path).toBe('mapped/file');
  });

  it('a cleared range carries no files; other hosts keep theirs', async () => {
    const [a, b] = [range(0), range(64)];
    await send({ events: [badblock('badblock-new', a), badblock('badblock-new', b)], range_files: [filesOf(a, 'a'), filesOf(b, 'b')] });
    await send({ events: [badblock('badblock-new', a)], range_files: [filesOf(a, 'other host')] }, 'host-b');
    // the agent sends the clear before it maps again: the map row of b is still stored, the entry is cleared
    await send({ events: [badblock('badblock-cleared', b)] });
    const entries = await ledger();
    expect(entries.get(64)?.state).toBe('cleared');
    expect(entries.get(64)?.files).toBeUndefined();
    expect(entries.get(0)?.files?.hits[0]?.path).toBe('a');

    await send({ range_files: [] });
    const other = await ledger('/api/v1/hosts/host-b/ledger');
    expect(other.get(0)?.files?.hits[0]?.path).toBe('other host');
    const fleet = (await hub.server.inject({ url: '/api/v1/media/ledger?state=open', headers: authed(hub.adminToken) }))
      .json<LedgerPage>().entries;
    expect(fleet.map((e) => [e.host_id, e.files?.hits[0]?.path])).toEqual(
      expect.arrayContaining([['host-a', undefined], ['host-b', 'other host']]));
  });

  it('a set naming one range twice is a 400 that writes nothing', async () => {
    const a = range(0);
    await send({ events: [badblock('badblock-new', a)], range_files: [filesOf(a, 'kept')] });
    const event = badblock('badblock-new', range(128));
    const res = await post({ events: [event], range_files: [filesOf(a, 'x'), filesOf(range(64), 'y'), filesOf(a, 'z')] });
    expect(res.status).toBe(400);
    const body = res.body as ApiError;
    expect(body.code).toBe('DAXFLEET_ERR_REQUEST_VALIDATION');
    expect(body.message).toContain('body/range_files/2');
    expect(body.message).toContain('body/range_files/0');
    expect((await ledger()).get(0)?.files?.hits[0]?.path).toBe('kept');
    expect(await hub.server.prisma.mediaEvent.count({ where: { id: event.id } })).toBe(0);
  });

  it('refuses a range_files entry that does not match the schema', async () => {
    const bad = { ...filesOf(range(0), 'p'), method: 'walk' } as unknown as RangeFiles;
    const res = await post({ range_files: [bad] });
    expect(res.status).toBe(400);
    expect((res.body as ApiError).message).toContain('range_files');
  });
});
