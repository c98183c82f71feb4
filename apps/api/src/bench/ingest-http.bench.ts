/**
 * The hub's ingest rate of agent reports over HTTP, as agents reach it: a real `daxfleet serve --role hub` process
 * (dist/cli.js, SQLite in a temporary data folder, the production logger at --log-level info) with HOSTS hosts
 * enrolled through the API (join token per host, POST /agents/enroll), and a load generator in this process posting
 * each host's report with its own credential over keep-alive connections, CONCURRENCY requests in flight.
 *
 *   pnpm --filter @daxfleet/api bench:ingest-http                      (after a build)
 *   HOSTS=500 CONCURRENCY=32 SECONDS=10 CHANGED_PERCENT=1 node dist/bench/ingest-http.bench.js
 *   HUB_CPU_PROF=/tmp/prof node dist/bench/ingest-http.bench.js        (the hub writes a .cpuprofile there at exit)
 *   HUB_CLI=other/dist/cli.js node dist/bench/ingest-http.bench.js     (another build of the hub, same generator)
 *
 * Why a separate process and not server.listen in this one: the generator's own CPU (serialising, the HTTP
 * client) must not count as the hub's, the hub's CPU is read from /proc/PID/stat, and the target is "2 cores":
 * with taskset the hub is pinned to one core (HUB_CPU, default 0) and this generator to the other (GEN_CPU,
 * default 1); with fewer than 2 cores or no taskset both float and the output says so.
 *
 * Phases: first report of every host (a new host: inventory version 1); the steady state (every report unchanged:
 * the agent's every interval); a mix where CHANGED_PERCENT of the reports carry a changed inventory (a bad block
 * appears or clears, alternately) and a media event for it; the agent's cadence, where 1 report in SAMPLES_EVERY (6:
 * DIMM health once a minute at a 10 s interval) carries a health sample of each DIMM. Prints reports/s, p50/p99/max latency, and the hub's
 * CPU (share of one core, and CPU ms per report). Asserts nothing about time.
 *
 * Unchanged reports are acknowledged from memory and their last_seen group-committed (services/ingest-fast-path.ts):
 * after the steady state the bench reads every host back through the API and counts those whose last_seen is
 * from that phase, so an acknowledgement that never reached the database would show. The summary at the end
 * gives CPU ms/report (robust to other load on the machine), the rate the hub alone would reach on its one core
 * (1000 / CPU ms per report), and whether the hub or the generator was the limit.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { scanInventory } from '@daxfleet/dax-native';
import type { AgentReport, Inventory, MediaEvent } from '@daxfleet/shared';
import { whenListening } from './listening.js';

/** HUB_CLI=path/to/cli.js runs another build of the hub (to compare two builds under the same load) */
const CLI = process.env.HUB_CLI ? path.resolve(process.env.HUB_CLI) : fileURLToPath(new URL('../cli.js', import.meta.url));
const FIXTURE_NAME = process.env.FIXTURE ?? 'four-dimm-mixed';
const FIXTURE = fileURLToPath(new URL(`../../../../lab/fixtures/${FIXTURE_NAME}/sys`, import.meta.url));
const HOSTS = positive('HOSTS', 500);
const CONCURRENCY = positive('CONCURRENCY', 32);
const SECONDS = positive('SECONDS', 10);
const CHANGED_PERCENT = Number(process.env.CHANGED_PERCENT ?? 1);
/** the agent samples DIMM health once a minute (HEALTH_SAMPLE_MS): at a 10 s interval, 1 report in 6 carries samples */
const SAMPLES_EVERY = Number(process.env.SAMPLES_EVERY ?? 6);
const HUB_CPU = process.env.HUB_CPU ?? '0';
const GEN_CPU = process.env.GEN_CPU ?? '1';
const LOG_LEVEL = process.env.HUB_LOG_LEVEL ?? 'info';
const CPU_PROF_DIR = process.env.HUB_CPU_PROF;
const CLOCK_TICKS = 100; // USER_HZ on Linux x86_64: /proc/PID/stat times are in 1/100 s
const ADMIN_PASSWORD = 'bench-admin-password';

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not "${process.env[name]}"`);
  return value;
}

/** user + system CPU seconds of a process, from /proc/PID/stat fields 14 and 15 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function rssMiB(pid: number): number {
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
  return kib / 1024;
}

/** Pins with taskset when there are 2 cores or more and taskset exists; says what it did. */
function canPin(): boolean {
  if (os.availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function startHub(dataDir: string, pin: boolean): Promise<{ child: ChildProcess; url: string }> {
  const nodeArgs = [...(CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : []), CLI, 'serve', '--role', 'hub',
    '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir, '--log-level', LOG_LEVEL];
  // taskset execs node: the child's pid is the hub's
  const [command, args] = pin ? ['taskset', ['-c', HUB_CPU, process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DAXFLEET_ADMIN_USERNAME: 'admin', DAXFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD },
  });
  return whenListening(child, 'the hub');
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Answer { status: number; body: string }

function post(url: URL, body: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST', agent: keepAlive,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function postOk<T>(hubUrl: string, pathname: string, body: unknown, headers: Record<string, string>): Promise<{ json: T; setCookie: string }> {
  const url = new URL(`/api/v1${pathname}`, hubUrl);
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = http.request(url, {
      method: 'POST', agent: keepAlive,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`POST ${pathname}: HTTP ${res.statusCode} ${answer}`));
        else resolve({ json: JSON.parse(answer) as T, setCookie: String(res.headers['set-cookie'] ?? '') });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

function getOk<T>(hubUrl: string, pathname: string, headers: Record<string, string>): Promise<T> {
  const url = new URL(`/api/v1${pathname}`, hubUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'GET', agent: keepAlive, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const answer = Buffer.concat(chunks).toString();
        if ((res.statusCode ?? 0) >= 300) reject(new Error(`GET ${pathname}: HTTP ${res.statusCode} ${answer}`));
        else resolve(JSON.parse(answer) as T);
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Runs `task(i)` for i in [0, count) with `width` in flight. */
async function inParallel(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

/** Enrolls the hosts as their agents would: an admin makes a join token per host, the host trades it for its credential. */
async function enrollHosts(hubUrl: string, hostIds: string[]): Promise<{ credentials: Map<string, string>; admin: string }> {
  const login = await postOk(hubUrl, '/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, {});
  const cookie = login.setCookie.split(';')[0] ?? '';
  const admin = (await postOk<{ token: string }>(hubUrl, '/tokens', { name: 'bench', scope: 'admin' }, { cookie })).json.token;
  const credentials = new Map<string, string>();
  await inParallel(hostIds.length, 8, async (i) => {
    const hostId = hostIds[i] as string;
    const join = (await postOk<{ token: string }>(hubUrl, '/agents/join-tokens', {}, { authorization: `Bearer ${admin}` })).json.token;
    const enrolled = await postOk<{ agent_credential: string }>(hubUrl, '/agents/enroll',
      { join_token: join, host_id: hostId, hostname: hostId }, {});
    credentials.set(hostId, enrolled.json.agent_credential);
  });
  return { credentials, admin };
}

interface Host {
  id: string;
  authorization: string;
  /** the report body with the recorded inventory, and with one more bad block (the "changed" variant) */
  bodies: [string, string];
  /** which variant the hub has now */
  current: 0 | 1;
  report: [AgentReport, AgentReport];
}

let eventSeq = 0;

/** A changed report: the other variant, with the media event an agent would raise for it. */
function changedBody(host: Host): string {
  const next = host.current === 0 ? 1 : 0;
  host.current = next;
  const event: MediaEvent = {
    id: `bench-${process.pid}-${(eventSeq++).toString(36).padStart(8, '0')}`,
    type: next === 1 ? 'badblock-new' : 'badblock-cleared',
    detected_at: new Date().toISOString(),
    detected_by: 'poll',
    summary: `${next === 1 ? 'new' : 'cleared'} bad range region0+4096 (8 sectors)`,
    range: { region: 'region0', region_offset: 4096, length: 8, dimms: [], source: 'region' },
  };
  return JSON.stringify({ ...host.report[next], events: [event] });
}

/** The steady report with a health sample of each of the host's DIMMs, as the agent sends once a minute. */
function withSamplesBody(host: Host): string {
  const report = host.report[host.current];
  const sampledAt = new Date().toISOString();
  const samples = report.inventory.buses.flatMap((b) => b.dimms).map((d, i) => ({
    dimm: d.dev, sampled_at: sampledAt,
    values: { health_state: 'ok' as const, temperature_celsius: 30 + (i % 4), spares_percentage: 100, life_used_percentage: 1 },
  }));
  return JSON.stringify({ ...report, health_samples: samples });
}

interface PhaseResult { label: string; count: number; errors: number; seconds: number; latencies: Float64Array; hubCpu: number; genCpu: number }

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function print(r: PhaseResult): void {
  const sorted = r.latencies.slice(0, r.count).sort();
  const rate = r.count / r.seconds;
  console.log(`${r.label.padEnd(44)} ${String(r.count).padStart(7)} reports ${r.seconds.toFixed(1).padStart(5)} s ` +
    `${rate.toFixed(0).padStart(6)} /s  p50 ${percentile(sorted, 50).toFixed(1).padStart(6)} ms  ` +
    `p99 ${percentile(sorted, 99).toFixed(1).padStart(6)} ms  max ${percentile(sorted, 100).toFixed(0).padStart(5)} ms  ` +
    `hub CPU ${(100 * r.hubCpu / r.seconds).toFixed(0).padStart(3)}% of a core, ${(1000 * r.hubCpu / r.count).toFixed(3)} ms/report  ` +
    `generator ${(100 * r.genCpu / r.seconds).toFixed(0)}%${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`);
}

/**
 * Posts reports with CONCURRENCY in flight: `count` of them (or until `seconds` passed); host i % HOSTS;
 * every `changedEvery`-th report is a changed one.
 */
async function phase(label: string, hubUrl: string, hubPid: number, hosts: Host[],
  limit: { count?: number; seconds?: number }, changedEvery = 0, samplesEvery = 0): Promise<PhaseResult> {
  const url = new URL('/api/v1/agents/report', hubUrl);
  const capacity = limit.count ?? Math.ceil((limit.seconds ?? 1) * 20_000);
  const latencies = new Float64Array(capacity);
  let issued = 0;
  let done = 0;
  let errors = 0;
  const failure: { first?: string } = {};
  const start = performance.now();
  const deadline = limit.seconds !== undefined ? start + limit.seconds * 1000 : Infinity;
  const cpu0 = cpuSeconds(hubPid);
  const gen0 = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (;;) {
      const i = issued;
      if (i >= capacity || (limit.count !== undefined && i >= limit.count) || performance.now() >= deadline) return;
      issued++;
      const host = hosts[i % hosts.length] as Host;
      const body = changedEvery > 0 && i % changedEvery === changedEvery - 1 ? changedBody(host)
        // by host: each host's every samplesEvery-th report
        : samplesEvery > 0 && Math.floor(i / hosts.length) % samplesEvery === (i % hosts.length) % samplesEvery ? withSamplesBody(host)
          : host.bodies[host.current];
      const t0 = performance.now();
      const answer = await post(url, body, { authorization: host.authorization });
      latencies[done++] = performance.now() - t0;
      if (answer.status !== 200) {
        errors++;
        failure.first ??= `HTTP ${answer.status} ${answer.body.slice(0, 300)}`;
      }
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  const gen = process.cpuUsage(gen0);
  const result = { label, count: done, errors, seconds, latencies, hubCpu: cpuSeconds(hubPid) - cpu0, genCpu: (gen.user + gen.system) / 1e6 };
  print(result);
  if (failure.first !== undefined) console.log(`  first error: ${failure.first}`);
  return result;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'daxfleet-ingest-http-'));
  const pin = canPin();
  if (pin) execFileSync('taskset', ['-a', '-p', '-c', GEN_CPU, String(process.pid)], { stdio: 'ignore' });
  let child: ChildProcess | undefined;
  try {
    const hub = await startHub(path.join(dir, 'hub'), pin);
    child = hub.child;
    // interrupted: do not leave the hub running
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        hub.child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
    }
    const hubPid = child.pid as number;
    const inventory: Inventory = await scanInventory({ sysfsRoot: FIXTURE, health: false });
    const changed = structuredClone(inventory);
    const region = changed.buses[0]?.regions[0];
    if (!region) throw new Error(`fixture ${FIXTURE_NAME} has no region to put a bad block in`);
    region.badblocks = [...region.badblocks, { offset: 4096, length: 8 }];
    region.badblock_count = region.badblocks.length;

    const hostIds = Array.from({ length: HOSTS }, (_, i) => `bench-host-${String(i).padStart(5, '0')}`);
    const enrollStart = performance.now();
    const { credentials, admin } = await enrollHosts(hub.url, hostIds);
    const enrollSeconds = (performance.now() - enrollStart) / 1000;
    const scannedAt = new Date().toISOString();
    const hosts: Host[] = hostIds.map((id, i) => {
      // a remote agent reports the URL its listener is reached at (for signed commands) with every report
      const base = {
        host_id: id, hostname: id, agent_version: 'bench', scanned_at: scannedAt, interval_ms: 10_000,
        agent_url: `http://10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:7300`,
      };
      const report: [AgentReport, AgentReport] = [{ ...base, inventory }, { ...base, inventory: changed }];
      return { id, authorization: `Bearer ${credentials.get(id) ?? ''}`, report, bodies: [JSON.stringify(report[0]), JSON.stringify(report[1])], current: 0 };
    });

    console.log(`hub: ${CLI} serve --role hub (log level ${LOG_LEVEL}), SQLite; node ${process.version}; ` +
      (pin ? `hub pinned to CPU ${HUB_CPU}, generator to CPU ${GEN_CPU}` : `NOT pinned (${os.availableParallelism()} CPUs or no taskset): figures share cores`));
    console.log(`fixture ${FIXTURE_NAME}: ${hosts[0]?.bodies[0].length ?? 0} bytes per report; ${HOSTS} hosts enrolled through ` +
      `the API in ${enrollSeconds.toFixed(1)} s; ${CONCURRENCY} in flight on keep-alive connections; ${os.loadavg()[0]?.toFixed(2)} load average before`);

    await phase('first report of each host (new host)', hub.url, hubPid, hosts, { count: HOSTS });
    await phase('warm-up (unchanged)', hub.url, hubPid, hosts, { seconds: Math.min(3, SECONDS) });
    const steadyStart = Date.now();
    const steady = await phase('steady state: unchanged reports', hub.url, hubPid, hosts, { seconds: SECONDS });
    // every acknowledged report's last_seen is in the database (the hub's reads include pending bumps)
    const listed = await getOk<{ hosts: Array<{ id: string; last_seen: string }> }>(hub.url, '/hosts', { authorization: `Bearer ${admin}` });
    const fresh = listed.hosts.filter((h) => Date.parse(h.last_seen) >= steadyStart).length;
    console.log(`  last_seen from the steady state for ${fresh} of ${HOSTS} hosts (read back through GET /api/v1/hosts)`);
    const results = [steady];
    if (CHANGED_PERCENT > 0) {
      const every = Math.max(1, Math.round(100 / CHANGED_PERCENT));
      results.push(await phase(`mix: ${CHANGED_PERCENT}% changed inventory + event`, hub.url, hubPid, hosts, { seconds: SECONDS }, every));
    }
    if (SAMPLES_EVERY > 0) {
      results.push(await phase(`agent cadence: 1 in ${SAMPLES_EVERY} with health samples`, hub.url, hubPid, hosts,
        { seconds: SECONDS }, 0, SAMPLES_EVERY));
    }
    console.log(`hub RSS ${rssMiB(hubPid).toFixed(0)} MiB; ${os.loadavg()[0]?.toFixed(2)} load average after ` +
      '(reports/s are comparable only on a quiet machine; CPU ms/report much less affected)');
    console.log('summary (target 2,000 reports/s on 2 cores):');
    for (const r of results) {
      const sorted = r.latencies.slice(0, r.count).sort();
      const cpuMs = (1000 * r.hubCpu) / r.count;
      const hubShare = r.hubCpu / r.seconds;
      const genShare = r.genCpu / r.seconds;
      const limit = hubShare >= 0.85 ? 'the hub (its core busy)' : genShare >= 0.85 ? 'the generator (its core busy)' : 'neither core busy: latency-bound or a loaded machine';
      console.log(`  ${r.label}: ${(r.count / r.seconds).toFixed(0)} reports/s, p50 ${percentile(sorted, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(sorted, 99).toFixed(1)} ms, hub CPU ${cpuMs.toFixed(3)} ms/report -> the hub alone on one core: ` +
        `~${(1000 / cpuMs).toFixed(0)} reports/s; limit: ${limit}`);
    }
  } finally {
    keepAlive.destroy();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
    if (CPU_PROF_DIR) console.log(`hub CPU profile written to ${CPU_PROF_DIR}`);
  }
}

await main();
