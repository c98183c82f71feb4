/**
 * `daxfleet admin reset-password`: the way back in when the first admin's printed one-time password was lost,
 * run as an operator would, against the data folder of a running hub.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '@daxfleet/shared';
import { CLI, REPO_ROOT, tempDir } from './helpers.js';
import { getJson, loginHeaders, startDaxfleet, type DaxfleetProcess } from './processes.js';

function daxfleet(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: REPO_ROOT, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function login(url: string, username: string, password: string): Promise<Response> {
  return fetch(`${url}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
}

describe('daxfleet admin reset-password', () => {
  const tmp = tempDir('daxfleet-admin-reset-');
  const dataDir = path.join(tmp.dir, 'hub');
  let hub: DaxfleetProcess;
  let printedPassword: string;

  beforeAll(async () => {
    // no DAXFLEET_ADMIN_PASSWORD: the hub prints a one-time password, which this operator then "loses"
    hub = await startDaxfleet(['--role', 'hub', '--port', '0', '--data-dir', dataDir], 30_000, { DAXFLEET_ADMIN_PASSWORD: '' });
    await hub.waitForOutput(/one-time password: \S+/);
    printedPassword = /one-time password: (\S+)/.exec(hub.output())?.[1] ?? '';
    expect(printedPassword).not.toBe('');
  });
  afterAll(async () => {
    await hub?.stop();
    tmp.remove();
  });

  it('gives the admin a new one-time password that works, and the old one stops working', async () => {
    const r = daxfleet('admin', 'reset-password', '--data-dir', dataDir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const fresh = /^daxfleet: user "admin" has a new one-time password: (\S+) \(change it at the next login; their sessions were ended\)\n$/.exec(r.stdout)?.[1];
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(printedPassword);

    expect((await login(hub.url, 'admin', printedPassword)).status).toBe(401);
    const res = await login(hub.url, 'admin', fresh!);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { must_change_password?: boolean }).must_change_password).toBe(true);

    // it is a one-time password: change it, then the audit log shows the local reset
    const headers = await loginHeaders(hub.url, 'admin', fresh!);
    const changed = await fetch(`${hub.url}/api/v1/auth/password`, {
      method: 'POST', headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ current_password: fresh, new_password: 'a-new-admin-password' }),
    });
    expect(changed.status).toBe(204);
    const after = await loginHeaders(hub.url, 'admin', 'a-new-admin-password');
    const audit = await getJson<{ entries: AuditEntry[] }>(`${hub.url}/api/v1/audit?action=user.password.reset-local`, after);
    expect(audit.entries).toHaveLength(1);
    expect(audit.entries[0]).toMatchObject({ actor_kind: 'system', source_ip: 'local', target: 'admin', result: 'success' });
  });

  it('names what is wrong in one line, exit 2: an unknown user, a folder without a hub database', () => {
    const unknown = daxfleet('admin', 'reset-password', '--data-dir', dataDir, '--username', 'nobody');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(`daxfleet: no user "nobody" in ${path.join(dataDir, 'daxfleet.db')}\n`);
    const empty = path.join(tmp.dir, 'empty');
    const missing = daxfleet('admin', 'reset-password', '--data-dir', empty);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(`daxfleet: no hub database at ${path.join(empty, 'daxfleet.db')}: pass the hub's --data-dir\n`);
    const sub = daxfleet('admin', 'frobnicate');
    expect(sub.status).toBe(2);
    expect(sub.stderr.split('\n')[0]).toBe('daxfleet: unknown admin subcommand "frobnicate"');
  });
});
