/**
 * The hub remembers accepted agent credentials (services/agent-credentials.ts) so reports skip the database
 * lookup. These tests hold it to the promise that makes that safe: a credential that was just accepted, and is
 * therefore remembered, is refused at the very next request after it is revoked, rotated or replaced by a new
 * enrollment; a remembered credential is not accepted by another database; last_used_at is still kept; and a
 * change made behind the hub's back is seen within VERIFIED_TTL_MS.
 */
import type { ApiError, AgentReportAck, Inventory } from '@daxfleet/shared';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  issueAgentCredential, rememberedAgentCredentials, revokeAgentCredential, rotateAgentCredential,
  verifyAgentCredential, VERIFIED_TTL_MS,
} from '../src/services/agent-credentials.js';
import { authed, fixtureInventory, reportOf, startTestHub, type TestHub } from './helpers.js';

let hub: TestHub;
let inventory: Inventory;
beforeAll(async () => {
  inventory = await fixtureInventory('four-dimm-mixed');
});
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

async function report(hostId: string, credential: string): Promise<{ status: number; code?: string }> {
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/report', headers: authed(credential), payload: reportOf(inventory, { host_id: hostId }),
  });
  if (res.statusCode === 200) {
    expect(res.json<AgentReportAck>().host_id).toBe(hostId);
    return { status: 200 };
  }
  return { status: res.statusCode, code: res.json<ApiError>().code };
}

async function enroll(hostId: string): Promise<string> {
  const join = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/join-tokens', headers: authed(hub.adminToken), payload: {} });
  expect(join.statusCode, join.body).toBe(201);
  const res = await hub.server.inject({
    method: 'POST', url: '/api/v1/agents/enroll', payload: { join_token: join.json<{ token: string }>().token, host_id: hostId, hostname: hostId },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<{ agent_credential: string }>().agent_credential;
}

describe('remembered agent credentials, through the API', () => {
  it('a revoked credential is refused at the next report, right after reports were accepted with it', async () => {
    const credential = await enroll('cache-rev');
    expect(await report('cache-rev', credential)).toEqual({ status: 200 });
    expect(await report('cache-rev', credential)).toEqual({ status: 200 });
    const revoked = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/cache-rev/revoke', headers: authed(hub.adminToken) });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(await report('cache-rev', credential)).toEqual({ status: 401, code: 'DAXFLEET_ERR_AUTH_REVOKED' });
    expect(await report('cache-rev', credential)).toEqual({ status: 401, code: 'DAXFLEET_ERR_AUTH_REVOKED' });
  });

  it('after a rotation the old credential is refused at once and the new one works', async () => {
    const old = await enroll('cache-rot');
    expect(await report('cache-rot', old)).toEqual({ status: 200 });
    const rotated = await hub.server.inject({ method: 'POST', url: '/api/v1/agents/credential/rotate', headers: authed(old), payload: {} });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = rotated.json<{ agent_credential: string }>().agent_credential;
    expect(await report('cache-rot', old)).toEqual({ status: 401, code: 'DAXFLEET_ERR_AUTH_INVALID' });
    expect(await report('cache-rot', fresh)).toEqual({ status: 200 });
    expect(await report('cache-rot', fresh)).toEqual({ status: 200 });
  });

  it('enrolling the host again replaces the remembered credential', async () => {
    const first = await enroll('cache-re');
    expect(await report('cache-re', first)).toEqual({ status: 200 });
    const second = await enroll('cache-re');
    expect(await report('cache-re', first)).toEqual({ status: 401, code: 'DAXFLEET_ERR_AUTH_INVALID' });
    expect(await report('cache-re', second)).toEqual({ status: 200 });
  });
});

describe('remembered agent credentials, the service', () => {
  it('remembers an accepted credential, and forgets it on revoke, rotate and re-issue even from reports in flight', async () => {
    const prisma = hub.server.prisma;
    const issued = await issueAgentCredential(prisma, 'svc-1');
    const before = rememberedAgentCredentials();
    expect(await verifyAgentCredential(prisma, issued.agent_credential)).toEqual({ ok: true, hostId: 'svc-1' });
    expect(rememberedAgentCredentials()).toBe(before + 1);

    expect(await verifyAgentCredential(prisma, issued.agent_credential)).toEqual({ ok: true, hostId: 'svc-1' });

    // a lookup in the database that runs while the credential is rotated must not leave the old one remembered
    const fresh = await issueAgentCredential(prisma, 'svc-1');
    expect(await verifyAgentCredential(prisma, issued.agent_credential)).toEqual({ ok: false, reason: 'invalid' });
    const [during, rotated] = await Promise.all([
      verifyAgentCredential(prisma, fresh.agent_credential), rotateAgentCredential(prisma, 'svc-1'),
    ]);
    // before or after the rotation, as it happened to interleave; what matters is what comes next
    expect([true, false]).toContain(during.ok);
    expect(await verifyAgentCredential(prisma, fresh.agent_credential)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyAgentCredential(prisma, rotated.agent_credential)).toEqual({ ok: true, hostId: 'svc-1' });

    await revokeAgentCredential(prisma, 'svc-1');
    expect(await verifyAgentCredential(prisma, rotated.agent_credential)).toEqual({ ok: false, reason: 'revoked' });
    const again = await issueAgentCredential(prisma, 'svc-1');
    expect(await verifyAgentCredential(prisma, again.agent_credential)).toEqual({ ok: true, hostId: 'svc-1' });
    const replaced = await issueAgentCredential(prisma, 'svc-1');
    expect(await verifyAgentCredential(prisma, again.agent_credential)).toEqual({ ok: false, reason: 'invalid' });
    expect(await verifyAgentCredential(prisma, replaced.agent_credential)).toEqual({ ok: true, hostId: 'svc-1' });
  });

  it('a credential remembered for one database is not accepted by another', async () => {
    const other = await startTestHub();
    try {
      const issued = await issueAgentCredential(hub.server.prisma, 'svc-db');
      expect(await verifyAgentCredential(hub.server.prisma, issued.agent_credential)).toEqual({ ok: true, hostId: 'svc-db' });
      expect(await verifyAgentCredential(other.server.prisma, issued.agent_credential)).toEqual({ ok: false, reason: 'invalid' });
      expect(await verifyAgentCredential(hub.server.prisma, issued.agent_credential)).toEqual({ ok: true, hostId: 'svc-db' });
    } finally {
      await other.close();
    }
  });

  it('last_used_at is written at most once a minute, remembered or not', async () => {
    const prisma = hub.server.prisma;
    const issued = await issueAgentCredential(prisma, 'svc-used');
    const lastUsed = async (): Promise<number | undefined> =>
      (await prisma.agentCredential.findUniqueOrThrow({ where: { hostId: 'svc-used' } })).lastUsedAt?.getTime();
    const t0 = Date.now();
    // used 50 s ago: not written now, but 10 s later (remembered meanwhile) it is
    await prisma.agentCredential.update({ where: { hostId: 'svc-used' }, data: { lastUsedAt: new Date(t0 - 50_000) } });
    expect((await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0))).ok).toBe(true);
    expect(await lastUsed()).toBe(t0 - 50_000);
    expect((await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0 + 5_000))).ok).toBe(true);
    expect(await lastUsed()).toBe(t0 - 50_000);
    expect((await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0 + 10_000))).ok).toBe(true);
    expect(await lastUsed()).toBe(t0 + 10_000);
    expect((await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0 + 20_000))).ok).toBe(true);
    expect(await lastUsed()).toBe(t0 + 10_000);
  });

  it('a revocation written behind the hub\'s back (another process) is seen once the remembered entry expires', async () => {
    const prisma = hub.server.prisma;
    const issued = await issueAgentCredential(prisma, 'svc-ttl');
    const t0 = Date.now();
    expect((await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0))).ok).toBe(true);
    await prisma.agentCredential.update({ where: { hostId: 'svc-ttl' }, data: { revokedAt: new Date(t0) } });
    expect(await verifyAgentCredential(prisma, issued.agent_credential, new Date(t0 + VERIFIED_TTL_MS))).toEqual({ ok: false, reason: 'revoked' });
  });
});
