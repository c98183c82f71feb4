import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostList } from '@daxfleet/shared';
import { freePort, startDaxfleet, type DaxfleetProcess } from './daxfleet-process';
import { cliPath, fixtureDir, webDistIndex } from './paths';
import { HUB_URL_ENV, SIMULATED_HOSTS } from './simulated-hosts';

async function waitForHosts(hubUrl: string, hostIds: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${hubUrl}/api/v1/hosts`);
      if (response.ok) {
        const list = (await response.json()) as HostList;
        const seen = new Set(list.hosts.map((host) => host.id));
        if (hostIds.every((id) => seen.has(id))) return;
        last = `hub knows ${[...seen].join(', ') || 'no host'}`;
      } else {
        last = `GET /api/v1/hosts answered ${response.status}`;
      }
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the simulated agents did not all report within ${timeoutMs} ms (${last})`);
}

/** Starts a real hub and one real agent per simulated host; returns the teardown Playwright runs at the end. */
export default async function globalSetup(): Promise<() => Promise<void>> {
  for (const required of [cliPath, webDistIndex]) {
    if (!existsSync(required)) throw new Error(`${required} is missing: run \`pnpm build\` first`);
  }
  for (const host of SIMULATED_HOSTS) {
    if (!existsSync(join(fixtureDir(host.fixture), 'sys'))) throw new Error(`fixture ${host.fixture} has no recorded sys/ tree`);
  }
  const workDir = await mkdtemp(join(tmpdir(), 'daxfleet-e2e-'));
  const processes: DaxfleetProcess[] = [];
  const teardown = async () => {
    await Promise.all(processes.reverse().map((process) => process.stop()));
    if (process.env.DAXFLEET_E2E_KEEP === undefined) await rm(workDir, { recursive: true, force: true });
    else console.log(`daxfleet e2e: kept logs and data in ${workDir}`);
  };
  try {
    const hub = await startDaxfleet('hub', [
      '--role', 'hub', '--host', '127.0.0.1', '--port', String(await freePort()), '--data-dir', join(workDir, 'hub'),
    ], workDir);
    processes.push(hub);
    for (const host of SIMULATED_HOSTS) {
      processes.push(await startDaxfleet(`agent-${host.hostId}`, [
        '--role', 'agent', '--host', '127.0.0.1', '--port', String(await freePort()),
        '--data-dir', join(workDir, host.hostId), '--hub-url', hub.url,
        '--sysfs-root', join(fixtureDir(host.fixture), 'sys'),
        '--hostname', host.hostname, '--host-id', host.hostId, '--interval', '1000',
      ], workDir));
    }
    await waitForHosts(hub.url, SIMULATED_HOSTS.map((host) => host.hostId), 30_000);
    process.env[HUB_URL_ENV] = hub.url;
    console.log(`daxfleet e2e: hub ${hub.url} with ${SIMULATED_HOSTS.length} simulated agents (logs in ${workDir})`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
