/** Role all (the default): the hub and a local agent in one process, reporting through the same route. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostList, HubInfo } from '@daxfleet/shared';
import { fixtureSysfs, tempDir } from './helpers.js';
import { eventually, getJson as getJsonAs, loginHeaders, startDaxfleet, type DaxfleetProcess } from './processes.js';

const ADMIN_PASSWORD = 'role-all-admin-password';
/** the session of the first admin (created from DAXFLEET_ADMIN_PASSWORD) on each hub URL */
const sessions = new Map<string, Record<string, string>>();
async function getJson<T>(url: string): Promise<T> {
  const base = new URL(url).origin;
  let headers = sessions.get(base);
  if (!headers) {
    headers = await loginHeaders(base, 'admin', ADMIN_PASSWORD);
    sessions.set(base, headers);
  }
  return getJsonAs<T>(url, headers);
}

const work = tempDir('daxfleet-all-');
const started: DaxfleetProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  work.remove();
});

async function serveAll(extra: string[] = []): Promise<DaxfleetProcess> {
  const p = await startDaxfleet(['--port', '0', '--data-dir', path.join(work.dir, 'data'),
    '--sysfs-root', fixtureSysfs('two-dimm-all-modes'), '--hostname', 'local', '--interval', '300', ...extra],
  30_000, { DAXFLEET_ADMIN_PASSWORD: ADMIN_PASSWORD });
  started.push(p);
  return p;
}

describe('daxfleet serve (role all)', () => {
  it('reports the local host, keeps its generated id in the data folder, and keeps it across restarts', async () => {
    const first = await serveAll();
    const info = await getJson<HubInfo>(`${first.url}/api/v1/info`);
    expect(info.role).toBe('all');
    const idFile = path.join(work.dir, 'data/host-id');
    expect(existsSync(idFile)).toBe(true);
    const hostId = readFileSync(idFile, 'utf8').trim();
    expect(info.local_host_id).toBe(hostId);
    const hosts = await eventually(async () => {
      const list = await getJson<HostList>(`${first.url}/api/v1/hosts`);
      return list.hosts.length > 0 ? list.hosts : undefined;
    }, 'the local host');
    expect(hosts.map((h) => [h.id, h.hostname, h.inventory_version])).toEqual([[hostId, 'local', 1]]);
    expect(existsSync(path.join(work.dir, 'data/daxfleet.db'))).toBe(true);
    expect(await first.stop('SIGINT')).toBe(0);

    const second = await serveAll();
    expect((await getJson<HubInfo>(`${second.url}/api/v1/info`)).local_host_id).toBe(hostId);
    const again = await getJson<HostList>(`${second.url}/api/v1/hosts`);
    expect(again.hosts.map((h) => [h.id, h.inventory_version])).toEqual([[hostId, 1]]);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('uses --host-id when given', async () => {
    const p = await serveAll(['--host-id', 'rack1-node7']);
    expect((await getJson<HubInfo>(`${p.url}/api/v1/info`)).local_host_id).toBe('rack1-node7');
    await eventually(async () => {
      const list = await getJson<HostList>(`${p.url}/api/v1/hosts`);
      return list.hosts.some((h) => h.id === 'rack1-node7') ? true : undefined;
    }, 'host rack1-node7');
    expect(await p.stop()).toBe(0);
  });
});
