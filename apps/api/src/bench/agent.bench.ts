/**
 * The agent as it runs on a pmem host: resident memory and CPU of a real `daxfleet serve --role agent` process
 * scanning a recorded kernel and reporting to a real hub, both started from dist/cli.js.
 *
 *   pnpm --filter @daxfleet/api bench:agent       (after a build)
 *   AGENT_FIXTURE=four-dimm-mixed AGENT_INTERVAL_MS=250 AGENT_SECONDS=20 node dist/bench/agent.bench.js
 *
 * Prints the agent's RSS once it has reported (steady state, and its peak VmHWM), the number of reports the hub
 * saw, and the agent's CPU time per scan-and-report cycle. Asserts nothing about time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { whenListening } from './listening.js';

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const FIXTURE_NAME = process.env.AGENT_FIXTURE ?? 'two-dimm-all-modes';
const FIXTURE = fileURLToPath(new URL(`../../../../lab/fixtures/${FIXTURE_NAME}/sys`, import.meta.url));
const INTERVAL_MS = Number(process.env.AGENT_INTERVAL_MS ?? 250);
const SECONDS = Number(process.env.AGENT_SECONDS ?? 20);
const CLOCK_TICKS = 100; // USER_HZ on Linux x86_64: /proc/PID/stat times are in 1/100 s

/** Starts `daxfleet serve ...` and resolves with the process and its URL once it prints "listening on". */
function startDaxfleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  return whenListening(child, `daxfleet ${args.join(' ')}`);
}

function procStatus(pid: number): { rssKiB: number; hwmKiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** user + system CPU seconds of a process, from /proc/PID/stat fields 14 and 15 */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const ADMIN_PASSWORD = 'bench-admin-password';
let authorization = '';

/** Logs in as the hub's first admin, makes an admin API token for the reads, and a join token for the agent. */
async function enrollAs(hubUrl: string): Promise<string> {
  const post = async (url: string, body: unknown, headers: Record<string, string>): Promise<Response> => {
    const res = await fetch(`${hubUrl}/api/v1${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };
  const login = await post('/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, {});
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const token = ((await (await post('/tokens', { name: 'bench', scope: 'admin' }, { cookie })).json()) as { token: string }).token;
  authorization = `Bearer ${token}`;
  return ((await (await post('/agents/join-tokens', {}, { authorization })).json()) as { token: string }).token;
}

async function lastSeen(hubUrl: string, hostId: string): Promise<string | undefined> {
  const res = await fetch(`${hubUrl}/api/v1/hosts/${hostId}/inventory`, { headers: { authorization } });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`hub answered ${res.status} for ${hostId}`);
  return ((await res.json()) as { last_seen: string }).last_seen;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'daxfleet-agent-bench-'));
  const children: ChildProcess[] = [];
  try {
    const hub = await startDaxfleet(['--role', 'hub', '--port', '0', '--data-dir', path.join(dir, 'hub'), '--log-level', 'warn'],
      { DAXFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD });
    children.push(hub.child);
    const joinToken = await enrollAs(hub.url);
    const agent = await startDaxfleet([
      '--role', 'agent', '--port', '0', '--hub-url', hub.url, '--data-dir', path.join(dir, 'agent'), '--join-token', joinToken,
      '--sysfs-root', FIXTURE, '--hostname', 'bench-agent', '--host-id', 'bench-agent',
      '--interval', String(INTERVAL_MS), '--log-level', 'warn',
    ]);
    children.push(agent.child);
    const pid = agent.child.pid;
    if (pid === undefined) throw new Error('agent has no pid');

    // wait for the first report, then measure a steady run
    while ((await lastSeen(hub.url, 'bench-agent')) === undefined) await sleep(100);
    const cpuStart = cpuSeconds(pid);
    const seen = new Set<string>();
    const deadline = Date.now() + SECONDS * 1000;
    while (Date.now() < deadline) {
      const at = await lastSeen(hub.url, 'bench-agent');
      if (at) seen.add(at);
      await sleep(Math.max(50, INTERVAL_MS / 2));
    }
    const cpu = cpuSeconds(pid) - cpuStart;
    const cycles = Math.round((SECONDS * 1000) / INTERVAL_MS);
    const { rssKiB, hwmKiB } = procStatus(pid);
    console.log(
      `agent on ${FIXTURE_NAME} (interval ${INTERVAL_MS} ms, ${SECONDS} s, node ${process.version}): ` +
        `rss ${(rssKiB / 1024).toFixed(1)} MiB, peak ${(hwmKiB / 1024).toFixed(1)} MiB; ` +
        `${seen.size} reports seen by the hub (~${cycles} cycles); cpu ${((cpu * 1000) / cycles).toFixed(2)} ms per scan+report cycle`,
    );
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
