import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostList } from '@daxfleet/shared';
import { freePort, startDaxfleet, type DaxfleetProcess } from './daxfleet-process';
import {
  ADMIN_ENV, ADMIN_TOKEN_ENV, createJoinToken, hubJson, loginForCookie, saveStorageState, STATE_DIR_ENV, USERS,
} from './hub-auth';
import { cliPath, fixtureDir, webDistIndex } from './paths';
import { HUB_URL_ENV, SIMULATED_HOSTS } from './simulated-hosts';

async function waitForHosts(hubUrl: string, token: string, hostIds: readonly string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${hubUrl}/api/v1/hosts`, { headers: { authorization: `Bearer ${token}` } });
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

/**
 * Starts a real hub (first admin from DAXFLEET_ADMIN_PASSWORD), creates through its REST API an admin API token,
 * a viewer and an operator user (with a saved logged-in browser state each) and one join token per simulated
 * host, starts one real agent per simulated host with its join token, and returns the teardown Playwright runs at the end.
 */
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
    ], workDir, 30_000, ADMIN_ENV);
    processes.push(hub);

    const admin = await loginForCookie(hub.url, USERS.admin.username, USERS.admin.password);
    const { token } = await hubJson<{ token: string }>(hub.url, 'POST', '/tokens', 201, {
      cookie: admin.header, body: { name: 'e2e-global-setup', scope: 'admin', expires_in_days: 1 },
    });
    for (const role of ['operator', 'viewer'] as const) {
      // a password an admin sets must be changed at first login, as a new user does
      const { username, password } = USERS[role];
      const firstPassword = `first-${password}`;
      await hubJson(hub.url, 'POST', '/users', 201, { token, body: { username, password: firstPassword, role } });
      const first = await loginForCookie(hub.url, username, firstPassword);
      await hubJson(hub.url, 'POST', '/auth/password', 204, { cookie: first.header, body: { current_password: firstPassword, new_password: password } });
    }
    const stateDir = join(workDir, 'browser-state');
    await mkdir(stateDir, { recursive: true });
    for (const role of ['admin', 'operator', 'viewer'] as const) await saveStorageState(hub.url, role, stateDir);

    for (const host of SIMULATED_HOSTS) {
      processes.push(await startDaxfleet(`agent-${host.hostId}`, [
        '--role', 'agent', '--host', '127.0.0.1', '--port', String(await freePort()),
        '--data-dir', join(workDir, host.hostId), '--hub-url', hub.url,
        '--sysfs-root', join(fixtureDir(host.fixture), 'sys'),
        '--hostname', host.hostname, '--host-id', host.hostId, '--interval', '1000',
        '--join-token', await createJoinToken(hub.url, token),
      ], workDir));
    }
    await waitForHosts(hub.url, token, SIMULATED_HOSTS.map((host) => host.hostId), 30_000);
    process.env[HUB_URL_ENV] = hub.url;
    process.env[ADMIN_TOKEN_ENV] = token;
    process.env[STATE_DIR_ENV] = stateDir;
    console.log(`daxfleet e2e: hub ${hub.url} with ${SIMULATED_HOSTS.length} simulated agents (logs in ${workDir})`);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
