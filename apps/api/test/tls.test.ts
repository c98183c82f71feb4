/**
 * Hub and agent over TLS (`--tls-cert`/`--tls-key`), with a self-signed certificate made by openssl as an
 * operator would; the agent (and the hub, for its commands to the agent) trust it through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostList, InventoryHistory } from '@daxfleet/shared';
import { HUB_ENV, HubClient, httpsWithCa } from './agent-processes.js';
import { CLI, fixtureSysfs, REPO_ROOT, tempDir } from './helpers.js';
import { eventually, startDaxfleet, type DaxfleetProcess } from './processes.js';

const work = tempDir('daxfleet-tls-');
const cert = path.join(work.dir, 'cert.pem');
const key = path.join(work.dir, 'key.pem');
const started: DaxfleetProcess[] = [];
let hub: DaxfleetProcess;
let admin: HubClient;

beforeAll(async () => {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  hub = await startDaxfleet(['--role', 'hub', '--port', '0', '--data-dir', path.join(work.dir, 'hub'),
    '--tls-cert', cert, '--tls-key', key], 30_000, { ...HUB_ENV, NODE_EXTRA_CA_CERTS: cert });
  started.push(hub);
  admin = await HubClient.asAdmin(hub.url, httpsWithCa(readFileSync(cert)));
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL')));
  work.remove();
});

describe('daxfleet over TLS', () => {
  it('the hub listens on https and marks its session cookie Secure', async () => {
    expect(hub.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const login = await httpsWithCa(readFileSync(cert))('POST', `${hub.url}/api/v1/auth/login`,
      { 'content-type': 'application/json' }, JSON.stringify({ username: 'admin', password: HUB_ENV.DAXFLEET_ADMIN_PASSWORD }));
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('an agent that trusts the certificate enrolls, reports over https, and runs the hub\'s signed rescan', async () => {
    const sys = path.join(work.dir, 'sim/sys');
    execFileSync('mkdir', ['-p', path.dirname(sys)]);
    execFileSync('cp', ['-a', fixtureSysfs('two-dimm-all-modes'), sys]);
    const agent = await startDaxfleet(['--role', 'agent', '--port', '0', '--data-dir', path.join(work.dir, 'agent'),
      '--hub-url', hub.url, '--join-token', await admin.joinToken(), '--sysfs-root', sys, '--host-id', 'tls-a',
      '--hostname', 'tls-a', '--interval', '86400000', '--tls-cert', cert, '--tls-key', key], 30_000,
    { NODE_EXTRA_CA_CERTS: cert });
    started.push(agent);
    expect(agent.url).toMatch(/^https:\/\//);
    const host = await eventually(async () => (await admin.ok<HostList>('GET', '/hosts')).hosts.find((h) => h.id === 'tls-a'),
      'tls-a at the hub');
    expect(host.inventory_version).toBe(1);

    writeBadblocks(sys);
    const res = await admin.call('POST', '/hosts/tls-a/rescan');
    expect(res.status).toBe(202);
    const history = await admin.ok<InventoryHistory>('GET', '/hosts/tls-a/inventory/history');
    expect(history.versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it('an agent that does not trust the certificate cannot enroll, and says why', () => {
    const r = spawnSync(process.execPath, [CLI, 'serve', '--role', 'agent', '--port', '0', '--data-dir',
      path.join(work.dir, 'untrusting'), '--hub-url', hub.url, '--join-token', 'dxf_join_x', '--sysfs-root',
      fixtureSysfs('two-dimm-all-modes'), '--host-id', 'tls-b'], {
      encoding: 'utf8', cwd: REPO_ROOT, timeout: 30_000, env: { ...process.env, NODE_EXTRA_CA_CERTS: '' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/hub unreachable: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
  });
});

function writeBadblocks(sys: string): void {
  const file = path.join(sys,
    'devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/namespace0.3/block/pmem0.3/badblocks');
  execFileSync('sh', ['-c', `printf '1000 8\\n8192 8\\n' > '${file}'`]);
}
