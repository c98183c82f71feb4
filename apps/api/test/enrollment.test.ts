/**
 * Agent enrollment and credentials at the hub (in-process): one-time join tokens made by an admin, the
 * credential an agent reports with, rotation, revocation, and the audit entries they leave.
 */
import type { Inventory } from '@daxfleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let hub: TestHub;
let inventory: Inventory;

beforeAll(async () => {
  hub = await startTestHub();
  inventory = await fixtureInventory('two-dimm-all-modes');
});
afterAll(async () => hub.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field in each test
async function call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, payload?: object): Promise<{ status: number; json: any }> {
  const res = await hub.server.inject({
    method, url: `/api/v1${url}`, ...(token ? { headers: authed(token) } : {}), ...(payload !== undefined ? { payload } : {}),
  });
  return { status: res.statusCode, json: res.body === '' ? undefined : res.json() };
}

async function joinToken(): Promise<{ id: string; token: string }> {
  const res = await call('POST', '/agents/join-tokens', hub.adminToken, {});
  expect(res.status).toBe(201);
  return res.json;
}

async function enroll(token: string, hostId: string) {
  return call('POST', '/agents/enroll', undefined, { join_token: token, host_id: hostId, hostname: hostId });
}

async function report(credential: string | undefined, hostId: string, over: Record<string, unknown> = {}) {
  return call('POST', '/agents/report', credential, reportOf(inventory, { host_id: hostId, ...over }));
}

describe('join tokens and enrollment', () => {
  it('an admin makes a join token, shown once; lists show only its prefix', async () => {
    const created = await joinToken();
    expect(created.token).toMatch(/^dxf_join_[A-Za-z0-9_-]{43}$/);
    const list = await call('GET', '/agents/join-tokens', hub.adminToken);
    expect(list.status).toBe(200);
    const listed = list.json.join_tokens.find((t: { id: string }) => t.id === created.id);
    expect(listed).toMatchObject({ id: created.id, created_by: 'test-admin' });
    expect(JSON.stringify(list.json)).not.toContain(created.token);
    expect(created.token.startsWith(listed.prefix)).toBe(true);
  });

  it('a join token request without a body takes the defaults (24 h)', async () => {
    const res = await call('POST', '/agents/join-tokens', hub.adminToken);
    expect(res.status).toBe(201);
    const hours = (Date.parse(res.json.expires_at) - Date.parse(res.json.created_at)) / 3_600_000;
    expect(hours).toBe(24);
    expect((await call('POST', '/agents/join-tokens', hub.adminToken, { expires_in_hours: 0 })).status).toBe(400);
    expect((await call('POST', '/agents/join-tokens', hub.adminToken, { ttl: 3 })).json.message).toContain('ttl');
  });

  it('only admins make or list join tokens', async () => {
    for (const scope of ['viewer', 'operator'] as const) {
      const token = await hub.tokenFor(scope);
      expect((await call('POST', '/agents/join-tokens', token, {})).status).toBe(403);
      expect((await call('GET', '/agents/join-tokens', token)).status).toBe(403);
      expect((await call('GET', '/agents', token)).status).toBe(403);
    }
    expect((await call('POST', '/agents/join-tokens', undefined, {})).json.code).toBe('DAXFLEET_ERR_AUTH_REQUIRED');
  });

  it('enrollment trades the join token for a credential the agent reports with', async () => {
    const { token } = await joinToken();
    const enrolled = await enroll(token, 'host-e1');
    expect(enrolled.status).toBe(200);
    expect(enrolled.json.host_id).toBe('host-e1');
    expect(enrolled.json.agent_credential).toMatch(/^dxf_agent_[A-Za-z0-9_-]{43}$/);
    expect(enrolled.json.command_key).toEqual(expect.any(String));

    const ok = await report(enrolled.json.agent_credential, 'host-e1', { agent_url: 'http://10.0.0.7:7300' });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ host_id: 'host-e1', inventory_version: 1 });
    const host = await hub.server.prisma.host.findUniqueOrThrow({ where: { id: 'host-e1' } });
    expect(host.agentUrl).toBe('http://10.0.0.7:7300');

    const agents = await call('GET', '/agents', hub.adminToken);
    expect(agents.json.agents.find((a: { host_id: string }) => a.host_id === 'host-e1')).toMatchObject({ host_id: 'host-e1' });
    const listed = (await call('GET', '/agents/join-tokens', hub.adminToken)).json.join_tokens;
    expect(listed.find((t: { used_by_host?: string }) => t.used_by_host === 'host-e1')?.used_at).toEqual(expect.any(String));

    const audit = await call('GET', '/audit?action=agent.enroll', hub.adminToken);
    expect(audit.json.entries[0]).toMatchObject({ action: 'agent.enroll', target: 'host-e1', result: 'success', status_code: 200 });
  });

  it('a join token works once', async () => {
    const { token } = await joinToken();
    expect((await enroll(token, 'host-e2')).status).toBe(200);
    const again = await enroll(token, 'host-e3');
    expect(again.status).toBe(401);
    expect(again.json.code).toBe('DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED');
    const audit = await call('GET', '/audit?action=agent.enroll&result=failure', hub.adminToken);
    expect(audit.json.entries[0]).toMatchObject({ target: 'host-e3', status_code: 401, detail: 'DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED' });
  });

  it('two agents racing with one join token: exactly one enrolls', async () => {
    const { token } = await joinToken();
    const results = await Promise.all(['race-1', 'race-2', 'race-3'].map((h) => enroll(token, h)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 401, 401]);
  });

  it('an expired join token is refused', async () => {
    const { id, token } = await joinToken();
    await hub.server.prisma.joinToken.update({ where: { id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    const res = await enroll(token, 'host-late');
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('DAXFLEET_ERR_AUTH_EXPIRED');
    expect(res.json.message).toContain('ask an admin for a new one');
  });

  it('an unknown or deleted join token is refused', async () => {
    expect((await enroll('dxf_join_not-a-real-token', 'host-x')).json.code).toBe('DAXFLEET_ERR_AUTH_INVALID');
    const { id, token } = await joinToken();
    expect((await call('DELETE', `/agents/join-tokens/${id}`, hub.adminToken)).status).toBe(204);
    expect((await enroll(token, 'host-x')).json.code).toBe('DAXFLEET_ERR_AUTH_INVALID');
    expect((await call('DELETE', `/agents/join-tokens/${id}`, hub.adminToken)).json.code).toBe('DAXFLEET_ERR_JOIN_TOKEN_NOT_FOUND');
  });

  it('enrollment validates its body (unknown fields, bad host ids)', async () => {
    const { token } = await joinToken();
    const extra = await call('POST', '/agents/enroll', undefined, { join_token: token, host_id: 'h', hostname: 'h', role: 'admin' });
    expect(extra.status).toBe(400);
    const bad = await call('POST', '/agents/enroll', undefined, { join_token: token, host_id: 'a b', hostname: 'h' });
    expect(bad.status).toBe(400);
    // the token was not spent by refused requests
    expect((await enroll(token, 'host-valid')).status).toBe(200);
  });
});

describe('reports need the host\'s own credential', () => {
  it('no credential, a wrong one, or a user token: refused', async () => {
    expect((await report(undefined, 'host-r')).json.code).toBe('DAXFLEET_ERR_AUTH_REQUIRED');
    expect((await report('dxf_agent_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'host-r')).json.code).toBe('DAXFLEET_ERR_AUTH_INVALID');
    const res = await report(hub.adminToken, 'host-r');
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('DAXFLEET_ERR_AUTH_FORBIDDEN');
  });

  it('a credential cannot report as another host', async () => {
    const { token } = await joinToken();
    const { json } = await enroll(token, 'host-own');
    const res = await report(json.agent_credential, 'host-other');
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('DAXFLEET_ERR_AUTH_FORBIDDEN');
    expect(res.json.message).toContain('belongs to host "host-own"');
    expect(await hub.server.prisma.host.findUnique({ where: { id: 'host-other' } })).toBeNull();
  });

  it('an agent credential opens no other route', async () => {
    const { token } = await joinToken();
    const { json } = await enroll(token, 'host-narrow');
    expect((await call('GET', '/hosts', json.agent_credential)).status).toBe(403);
    expect((await call('POST', '/agents/join-tokens', json.agent_credential, {})).status).toBe(403);
  });
});

describe('rotation and revocation', () => {
  it('rotation gives a new credential; the old one stops working at once', async () => {
    const { token } = await joinToken();
    const old = (await enroll(token, 'host-rot')).json.agent_credential as string;
    const rotated = await call('POST', '/agents/credential/rotate', old, {});
    expect(rotated.status).toBe(200);
    const fresh = rotated.json.agent_credential as string;
    expect(fresh).toMatch(/^dxf_agent_/);
    expect(fresh).not.toBe(old);
    expect((await report(old, 'host-rot')).json.code).toBe('DAXFLEET_ERR_AUTH_INVALID');
    expect((await report(fresh, 'host-rot')).status).toBe(200);
    const audit = await call('GET', '/audit?action=agent.rotate', hub.adminToken);
    expect(audit.json.entries[0]).toMatchObject({ actor_kind: 'agent', actor: 'host-rot', target: 'host-rot', result: 'success' });
  });

  it('an admin revokes an agent: its reports get 401 DAXFLEET_ERR_AUTH_REVOKED; a new join token enrolls it again', async () => {
    const { token } = await joinToken();
    const credential = (await enroll(token, 'host-rev')).json.agent_credential as string;
    expect((await report(credential, 'host-rev')).status).toBe(200);
    const operator = await hub.tokenFor('operator');
    expect((await call('POST', '/agents/host-rev/revoke', operator)).status).toBe(403);
    const revoked = await call('POST', '/agents/host-rev/revoke', hub.adminToken);
    expect(revoked.status).toBe(200);
    expect(revoked.json).toMatchObject({ host_id: 'host-rev', revoked_at: expect.any(String) });
    const refused = await report(credential, 'host-rev');
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('DAXFLEET_ERR_AUTH_REVOKED');
    expect((await call('POST', '/agents/credential/rotate', credential, {})).json.code).toBe('DAXFLEET_ERR_AUTH_REVOKED');
    expect((await call('POST', '/agents/no-such-host/revoke', hub.adminToken)).json.code).toBe('DAXFLEET_ERR_AGENT_NOT_ENROLLED');

    const again = await enroll((await joinToken()).token, 'host-rev');
    expect((await report(again.json.agent_credential, 'host-rev')).status).toBe(200);
    expect((await report(credential, 'host-rev')).status).toBe(401);
  });
});

describe('POST /hosts/:hostId/rescan at the hub', () => {
  it('409 when the agent never reported a URL; 404 for a host without an enrolled agent', async () => {
    const { token } = await joinToken();
    const { json } = await enroll(token, 'host-nourl');
    expect((await report(json.agent_credential, 'host-nourl')).status).toBe(200);
    const res = await call('POST', '/hosts/host-nourl/rescan', hub.adminToken);
    expect(res.status).toBe(409);
    expect(res.json.code).toBe('DAXFLEET_ERR_HOST_NO_AGENT_URL');
    expect(res.json.message).toContain('--advertise-url');

    await call('POST', '/agents/host-nourl/revoke', hub.adminToken);
    expect((await call('POST', '/hosts/host-nourl/rescan', hub.adminToken)).json.code).toBe('DAXFLEET_ERR_AGENT_NOT_ENROLLED');
  });

  it('502 DAXFLEET_ERR_AGENT_UNREACHABLE when nothing listens at the agent URL', async () => {
    const { token } = await joinToken();
    const { json } = await enroll(token, 'host-gone');
    await report(json.agent_credential, 'host-gone', { agent_url: 'http://127.0.0.1:9' });
    const res = await call('POST', '/hosts/host-gone/rescan', hub.adminToken);
    expect(res.status).toBe(502);
    expect(res.json.code).toBe('DAXFLEET_ERR_AGENT_UNREACHABLE');
    const audit = await call('GET', '/audit?action=host.rescan', hub.adminToken);
    expect(audit.json.entries[0]).toMatchObject({ target: 'host-gone', result: 'failure', status_code: 502 });
  });
});
