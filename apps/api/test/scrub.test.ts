/**
 * Address range scrub end to end: a real hub and real agents (in this process, each with its own listener, data
 * folder and enrolled credential: signed commands and reports go over HTTP), over recorded sysfs trees.
 *
 * How a recorded tree stands in for ARS: QEMU's emulated NFIT, where lab/fixtures were recorded, has no
 * `ndbusN/nfit/scrub`, so each agent's tree is a COPY of lab/fixtures/one-dimm-label-less/sys with the attribute
 * added, and the test plays the kernel's part on that file (drivers/acpi/nfit/core.c): it holds "<count>"; the
 * agent's write of "1" makes it "<count>+" (a scrub runs); when the test decides the scrub completed it becomes
 * "<count+1>". The test's kernel looks at the file every 10 ms, so for a moment after the write the file reads
 * "1" (a real kernel answers the write already "<count>+"): the counts start above 1 so that moment can never
 * look like a completed scrub. A copy without the file is a host whose platform offers no ARS. The lab test
 * (scrub.lab.test.ts) runs the agent's scrub against the kernel's nfit_test buses, which do implement ARS.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ScrubJob } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serve, type RunningDaxfleet } from '../src/serve.js';
import { createApiToken } from '../src/services/api-tokens.js';
import { createJoinToken } from '../src/services/join-tokens.js';
import { fixtureSysfs, tempDir, withEnv } from './helpers.js';
import { eventually } from './processes.js';

const tmp = tempDir('daxfleet-scrub-');
const HUB_DIR = path.join(tmp.dir, 'hub');
const HUB_ENV = { DAXFLEET_ADMIN_PASSWORD: 'scrub-test-admin-password', DAXFLEET_SCRUB_POLL_MS: '100' };

/** The kernel's side of one host's nfit/scrub, played on the copied tree (see the header). */
class EmulatedScrubAttribute {
  /** when the agent's "1" was seen, one entry per write */
  readonly writes: number[] = [];
  readonly completions: number[] = [];
  private timer: NodeJS.Timeout;

  constructor(readonly file: string, private count: number) {
    writeFileSync(file, `${count}\n`);
    // the kernel turns a write of 1 into a running scrub; a 10 ms look at the file is that kernel here
    this.timer = setInterval(() => {
      if (readFileSync(this.file, 'utf8') === '1\n') {
        this.writes.push(Date.now());
        writeFileSync(this.file, `${this.count}+`);
      }
    }, 10);
  }

  get text(): string {
    return readFileSync(this.file, 'utf8');
  }

  /** the running scrub completes: the count goes up and the "+" goes away */
  complete(): void {
    expect(this.text).toBe(`${this.count}+`);
    this.count += 1;
    this.completions.push(Date.now());
    writeFileSync(this.file, `${this.count}\n`);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

interface SimHost { id: string; agent: RunningDaxfleet; scrub?: EmulatedScrubAttribute }

let hub: RunningDaxfleet;
let port = 0;
let operator: Record<string, string>;
let viewer: Record<string, string>;
const hosts: Record<string, SimHost> = {};

async function startHub(): Promise<RunningDaxfleet> {
  return withEnv(HUB_ENV, () => serve({
    role: 'hub', host: '127.0.0.1', port, dataDir: HUB_DIR, sysfsRoot: '/nonexistent', hostname: 'hub',
    intervalMs: 1000, logLevel: 'error',
  }));
}

/**
 * Stands between the hub and one agent's command listener (the agent advertises the proxy's URL). `deliver`: the
 * command reaches the agent, which writes nfit/scrub and answers, but the hub's connection is cut before the
 * answer (as when the hub's 60 s timeout fires first); `drop`: the connection is cut before the agent sees it.
 */
class CommandProxy {
  mode: 'deliver' | 'drop' = 'deliver';
  target = '';
  private readonly server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode === 'drop') {
        res.socket?.destroy();
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers)
        .filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>;
      void fetch(`${this.target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body: Buffer.concat(chunks) })
        .then((r) => r.text())
        .finally(() => res.socket?.destroy());
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const proxy = new CommandProxy();

async function startAgent(id: string, initialCount: number | undefined, advertiseUrl?: string): Promise<SimHost> {
  const sys = path.join(tmp.dir, id, 'sys');
  cpSync(fixtureSysfs('one-dimm-label-less'), sys, { recursive: true, verbatimSymlinks: true });
  const scrub = initialCount === undefined ? undefined
    : new EmulatedScrubAttribute(path.join(sys, 'bus/nd/devices/ndbus0/nfit/scrub'), initialCount);
  const join = await createJoinToken(hub.server.prisma, 'admin');
  const agent = await serve({
    role: 'agent', host: '127.0.0.1', port: 0, hubUrl: hub.url, joinToken: join.token, sysfsRoot: sys,
    hostname: id, hostId: id, dataDir: path.join(tmp.dir, id, 'data'), intervalMs: 200, logLevel: 'error',
    ...(advertiseUrl !== undefined ? { advertiseUrl } : {}),
  });
  return { id, agent, ...(scrub ? { scrub } : {}) };
}

async function api(method: string, url: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${hub.url}/api/v1${url}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}

async function busState(hostId: string): Promise<{ scrub_state?: string; scrub_count?: number }> {
  const res = await api('GET', `/hosts/${hostId}`, viewer);
  const buses = (res.json.inventory as { buses: Array<{ dev: string; scrub_state?: string; scrub_count?: number }> }).buses;
  return buses.find((b) => b.dev === 'ndbus0')!;
}

async function job(id: string): Promise<ScrubJob> {
  return (await api('GET', `/scrubs/${id}`, viewer)).json as unknown as ScrubJob;
}

beforeAll(async () => {
  hub = await startHub();
  port = Number(new URL(hub.url).port);
  const token = async (scope: 'operator' | 'viewer') => ({
    authorization: `Bearer ${(await createApiToken(hub.server.prisma, { name: scope, scope, createdBy: 'admin' })).token}`,
  });
  operator = await token('operator');
  viewer = await token('viewer');
  hosts['sim-a'] = await startAgent('sim-a', 7);
  hosts['sim-b'] = await startAgent('sim-b', 3);
  hosts['sim-c'] = await startAgent('sim-c', undefined);
  for (const id of Object.keys(hosts)) {
    await eventually(async () => ((await api('GET', `/hosts/${id}`, viewer)).status === 200 ? true : undefined), `${id}'s first report`);
  }
}, 60_000);

afterAll(async () => {
  for (const h of Object.values(hosts)) {
    h.scrub?.stop();
    await h.agent.close();
  }
  await proxy.close();
  await hub.close();
  tmp.remove();
});

describe('POST /api/v1/hosts/:hostId/scrub', () => {
  it('writes 1 to the bus\'s nfit/scrub through a signed command and answers per bus; the reports show it run and complete', async () => {
    const a = hosts['sim-a']!;
    const res = await api('POST', '/hosts/sim-a/scrub', operator, {});
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ host_id: 'sim-a', buses: [expect.objectContaining({ bus: 'ndbus0', started: true, supported: true, scrub_count: 7 })] });
    await eventually(async () => (a.scrub!.writes.length === 1 ? true : undefined), 'the agent\'s write of 1');
    await eventually(async () => ((await busState('sim-a')).scrub_state === 'active' ? true : undefined), 'sim-a active at the hub');

    // a second request while it runs starts nothing
    const again = await api('POST', '/hosts/sim-a/scrub', operator, { bus: 'ndbus0' });
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('DAXFLEET_ERR_SCRUB_NOT_STARTED');
    expect(again.json.message).toContain('already running on ndbus0');
    expect(a.scrub!.writes).toHaveLength(1);

    a.scrub!.complete();
    expect(await eventually(async () => {
      const s = await busState('sim-a');
      return s.scrub_state === 'idle' && s.scrub_count === 8 ? s : undefined;
    }, 'sim-a idle with count 8')).toEqual(expect.objectContaining({ scrub_state: 'idle', scrub_count: 8 }));
  });

  it('409 DAXFLEET_ERR_SCRUB_UNSUPPORTED on a host whose bus has no nfit/scrub (QEMU\'s NFIT)', async () => {
    const res = await api('POST', '/hosts/sim-c/scrub', operator, {});
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DAXFLEET_ERR_SCRUB_UNSUPPORTED');
    expect(res.json.message).toContain('ndbus0: the platform does not offer address range scrub (no nfit/scrub)');
  });

  it('404 for a bus the host does not have; 400 for a bus name that is not ndbusN; 403 for a viewer', async () => {
    const missing = await api('POST', '/hosts/sim-a/scrub', operator, { bus: 'ndbus9' });
    expect(missing.status).toBe(404);
    expect(missing.json.code).toBe('DAXFLEET_ERR_SCRUB_BUS_NOT_FOUND');
    const bad = await api('POST', '/hosts/sim-a/scrub', operator, { bus: '../../../etc' });
    expect(bad.status).toBe(400);
    const forbidden = await api('POST', '/hosts/sim-a/scrub', viewer, {});
    expect(forbidden.status).toBe(403);
    expect(hosts['sim-a']!.scrub!.writes).toHaveLength(1);
  });
});

describe('fleet scrub jobs', () => {
  it('scrubs one host at a time, carries on after a hub restart, and refuses a second job meanwhile', async () => {
    const a = hosts['sim-a']!.scrub!;
    const b = hosts['sim-b']!.scrub!;
    const created = await api('POST', '/scrubs', operator, {});
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    // default: every online host with a bus that can scrub, by hostname; sim-c has none
    expect((created.json as unknown as ScrubJob).hosts.map((h) => h.host_id)).toEqual(['sim-a', 'sim-b']);

    await eventually(async () => (a.writes.length === 2 ? true : undefined), 'sim-a started by the job');
    // the write comes before the agent's answer: the hub shows the host starting until the answer is in
    const during = await eventually(async () => {
      const j = await job(id);
      return j.hosts[0]!.state === 'starting' ? undefined : j;
    }, 'the agent\'s answer at the hub');
    expect(during.hosts.map((h) => h.state)).toEqual(['running', 'waiting']);
    expect(during.hosts[0]!.buses).toEqual([expect.objectContaining({ bus: 'ndbus0', started: true, count_before: 8 })]);
    expect(b.writes).toHaveLength(0);

    const second = await api('POST', '/scrubs', operator, {});
    expect(second.status).toBe(409);
    expect(second.json.code).toBe('DAXFLEET_ERR_SCRUB_JOB_RUNNING');

    // the hub goes away mid-job; sim-a's scrub completes while it is down
    await hub.close();
    a.complete();
    hub = await startHub();

    await eventually(async () => (b.writes.length === 1 ? true : undefined), 'sim-b started after sim-a completed');
    expect(b.writes[0]!).toBeGreaterThanOrEqual(a.completions.at(-1)!);
    const next = await eventually(async () => {
      const j = await job(id);
      return j.hosts[1]!.state === 'starting' ? undefined : j;
    }, 'sim-b\'s answer at the hub');
    expect(next.hosts.map((h) => h.state)).toEqual(['completed', 'running']);
    expect(next.hosts[0]!.buses[0]).toEqual(expect.objectContaining({ count_before: 8, count_after: 9 }));

    b.complete();
    const done = await eventually(async () => {
      const j = await job(id);
      return j.status === 'completed' ? j : undefined;
    }, 'the job completed');
    expect(done.counts).toEqual(expect.objectContaining({ total: 2, completed: 2, running: 0, waiting: 0 }));
    expect(Date.parse(done.hosts[1]!.started_at!)).toBeGreaterThanOrEqual(Date.parse(done.hosts[0]!.finished_at!));
    expect(a.writes).toHaveLength(2);
    expect(b.writes).toHaveLength(1);

    const list = await api('GET', '/scrubs?status=completed', viewer);
    expect((list.json.jobs as ScrubJob[]).map((j) => j.id)).toContain(id);
  }, 90_000);

  it('a host whose scrub does not complete within the host timeout fails, and the next host starts', async () => {
    const a = hosts['sim-a']!.scrub!;
    const b = hosts['sim-b']!.scrub!;
    const created = await api('POST', '/scrubs', operator, { host_ids: ['sim-b', 'sim-a'], host_timeout_s: 1 });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    await eventually(async () => (b.writes.length === 2 ? true : undefined), 'sim-b started');
    // sim-b's scrub never completes: after its timeout the job moves on to sim-a
    await eventually(async () => (a.writes.length === 3 ? true : undefined), 'sim-a started after sim-b timed out');
    const j = await job(id);
    expect(j.hosts[0]).toEqual(expect.objectContaining({ host_id: 'sim-b', state: 'failed' }));
    expect(j.hosts[0]!.error).toContain('no report showed the scrub completed within 1 s');
    a.complete();
    b.complete();
    const done = await eventually(async () => {
      const x = await job(id);
      return x.status !== 'running' ? x : undefined;
    }, 'the job finished');
    // a host failed: the job says so
    expect(done.status).toBe('failed');
    expect(done.hosts.map((h) => h.state)).toEqual(['failed', 'completed']);
  }, 60_000);

  it('cancel stops the job: the hosts after the running one never start', async () => {
    const a = hosts['sim-a']!.scrub!;
    const b = hosts['sim-b']!.scrub!;
    const writesA = a.writes.length;
    const created = await api('POST', '/scrubs', operator, { host_ids: ['sim-b', 'sim-a'] });
    const id = created.json.id as string;
    await eventually(async () => (b.writes.length === 3 ? true : undefined), 'sim-b started');

    const cancelled = await api('POST', `/scrubs/${id}/cancel`, operator);
    expect(cancelled.status).toBe(200);
    const cj = cancelled.json as unknown as ScrubJob;
    expect(cj.status).toBe('cancelled');
    expect(cj.hosts.map((h) => h.state)).toEqual(['cancelled', 'cancelled']);
    expect(cj.hosts[0]!.error).toContain('the kernel finishes a scrub it started');
    expect(cj.hosts[1]!.error).toBe('cancelled before its turn');

    // sim-b's scrub completes and is reported; the runner wakes on that report, and still starts nothing
    b.complete();
    await eventually(async () => {
      const s = await busState('sim-b');
      return s.scrub_state === 'idle' && s.scrub_count === 6 ? true : undefined;
    }, 'sim-b idle with count 6 at the hub');
    const after = await job(id);
    expect(after.status).toBe('cancelled');
    expect(a.writes).toHaveLength(writesA);

    const again = await api('POST', `/scrubs/${id}/cancel`, operator);
    expect(again.status).toBe(409);
    expect(again.json.code).toBe('DAXFLEET_ERR_SCRUB_JOB_FINISHED');
    const unknown = await api('GET', '/scrubs/no-such-job', viewer);
    expect(unknown.status).toBe(404);
  }, 60_000);

  it('a host whose agent answers "already running" counts as running: the next host waits for its completion', async () => {
    const a = hosts['sim-a']!.scrub!;
    const b = hosts['sim-b']!.scrub!;
    const writesB = b.writes.length;
    // a scrub already runs on sim-a (as when the job's command is sent again after a hub restart)
    expect((await api('POST', '/hosts/sim-a/scrub', operator, {})).status).toBe(202);
    const count = (await eventually(async () => {
      const s = await busState('sim-a');
      return s.scrub_state === 'active' ? s : undefined;
    }, 'sim-a active at the hub')).scrub_count;
    const created = await api('POST', '/scrubs', operator, { host_ids: ['sim-a', 'sim-b'] });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    const j = await eventually(async () => {
      const x = await job(id);
      return ['waiting', 'starting'].includes(x.hosts[0]!.state) ? undefined : x;
    }, 'the agent\'s answer at the hub');
    expect(j.hosts.map((h) => h.state)).toEqual(['running', 'waiting']);
    expect(j.hosts[0]!.buses).toEqual([expect.objectContaining({ bus: 'ndbus0', started: true, count_before: count, scrub_state: 'active' })]);
    expect(j.hosts[0]!.buses[0]!.reason).toContain('already running');
    expect(b.writes).toHaveLength(writesB);

    a.complete();
    await eventually(async () => (b.writes.length === writesB + 1 ? true : undefined), 'sim-b started after sim-a completed');
    b.complete();
    const done = await eventually(async () => {
      const x = await job(id);
      return x.status !== 'running' ? x : undefined;
    }, 'the job finished');
    expect(done.status).toBe('completed');
    expect(done.hosts[0]!.buses[0]).toEqual(expect.objectContaining({ count_before: count, count_after: count! + 1 }));
  }, 60_000);

  it('a command cut off after the agent started the scrub: the host\'s reports show it running, the next host waits', async () => {
    hosts['sim-d'] = await startAgent('sim-d', 4, await proxy.listen());
    proxy.target = hosts['sim-d'].agent.url;
    await eventually(async () => ((await api('GET', '/hosts/sim-d', viewer)).status === 200 ? true : undefined), 'sim-d\'s first report');
    const d = hosts['sim-d'].scrub!;
    const b = hosts['sim-b']!.scrub!;
    const writesB = b.writes.length;
    proxy.mode = 'deliver';
    const created = await api('POST', '/scrubs', operator, { host_ids: ['sim-d', 'sim-b'] });
    const id = created.json.id as string;
    await eventually(async () => (d.writes.length === 1 ? true : undefined), 'sim-d\'s write of 1');
    const j = await eventually(async () => {
      const x = await job(id);
      return ['waiting', 'starting'].includes(x.hosts[0]!.state) ? undefined : x;
    }, 'sim-d decided at the hub');
    expect(j.hosts.map((h) => h.state)).toEqual(['running', 'waiting']);
    expect(j.hosts[0]!.buses).toEqual([expect.objectContaining({ bus: 'ndbus0', started: true, count_before: 4 })]);
    expect(b.writes).toHaveLength(writesB);

    d.complete();
    await eventually(async () => (b.writes.length === writesB + 1 ? true : undefined), 'sim-b started after sim-d completed');
    b.complete();
    const done = await eventually(async () => {
      const x = await job(id);
      return x.status !== 'running' ? x : undefined;
    }, 'the job finished');
    expect(done.hosts.map((h) => h.state)).toEqual(['completed', 'completed']);
  }, 60_000);

  it('a command that never reached the agent: the host fails once its next report shows no scrub running', async () => {
    const d = hosts['sim-d']!.scrub!;
    const writesD = d.writes.length;
    proxy.mode = 'drop';
    const created = await api('POST', '/scrubs', operator, { host_ids: ['sim-d'] });
    const id = created.json.id as string;
    const done = await eventually(async () => {
      const x = await job(id);
      return x.status !== 'running' ? x : undefined;
    }, 'the job finished');
    expect(done.status).toBe('failed');
    expect(done.hosts[0]!.state).toBe('failed');
    expect(done.hosts[0]!.error).toContain('cannot be reached');
    expect(done.hosts[0]!.error).toContain('its first report after that shows no scrub running');
    expect(d.writes).toHaveLength(writesD);
  }, 60_000);

  it('409 DAXFLEET_ERR_SCRUB_UNSUPPORTED for a named host without nfit/scrub; 404 for an unknown host', async () => {
    const unsupported = await api('POST', '/scrubs', operator, { host_ids: ['sim-a', 'sim-c'] });
    expect(unsupported.status).toBe(409);
    expect(unsupported.json.code).toBe('DAXFLEET_ERR_SCRUB_UNSUPPORTED');
    expect(unsupported.json.message).toContain('host sim-c');
    const unknown = await api('POST', '/scrubs', operator, { host_ids: ['nope'] });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('DAXFLEET_ERR_HOST_NOT_FOUND');
  });
});
