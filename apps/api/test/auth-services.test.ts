/** The access-control services on a real database: secrets, sessions, join tokens, agent credentials. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  commandKeyOf, issueAgentCredential, revokeAgentCredential, rotateAgentCredential, verifyAgentCredential,
} from '../src/services/agent-credentials.js';
import { consumeJoinToken, createJoinToken } from '../src/services/join-tokens.js';
import { hashPassword, newSecret, sha256, verifyPassword } from '../src/services/secrets.js';
import { createSession, findSession, SESSION_TTL_MS } from '../src/services/sessions.js';
import { startTestHub, type TestHub } from './helpers.js';

let hub: TestHub;
beforeEach(async () => {
  hub = await startTestHub();
});
afterEach(async () => {
  await hub.close();
});

describe('secrets', () => {
  it('prefixed 32-byte base64url secrets; scrypt hashes salted per call and checked', async () => {
    const a = newSecret('dxf_tok_');
    expect(a).toMatch(/^dxf_tok_[A-Za-z0-9_-]{43}$/);
    expect(newSecret('dxf_tok_')).not.toBe(a);
    expect(sha256('x')).toMatch(/^[0-9a-f]{64}$/);
    const h1 = await hashPassword('correct horse battery');
    const h2 = await hashPassword('correct horse battery');
    expect(h1).not.toBe(h2);
    expect(await verifyPassword('correct horse battery', h1)).toBe(true);
    expect(await verifyPassword('correct horse batterz', h1)).toBe(false);
    expect(await verifyPassword('anything', 'not-a-hash')).toBe(false);
    expect(await verifyPassword('anything', 'scrypt$99999999999$8$1$AA$AA')).toBe(false);
  });
});

describe('sessions', () => {
  it('slide: each use pushes the end 8 h ahead; unused for 8 h, expired', async () => {
    const prisma = hub.server.prisma;
    const user = await prisma.user.findFirstOrThrow();
    const t0 = new Date('2026-01-01T00:00:00Z');
    const s = await createSession(prisma, user.id, '127.0.0.1', 'ua', t0);
    const t1 = new Date(t0.getTime() + SESSION_TTL_MS - 1000);
    const used = await findSession(prisma, s.secret, t1);
    expect(used.ok && used.session.expiresAt.getTime()).toBe(t1.getTime() + SESSION_TTL_MS);
    expect((await findSession(prisma, s.secret, new Date(t1.getTime() + SESSION_TTL_MS - 1000))).ok).toBe(true);
    const later = await findSession(prisma, s.secret, new Date(t1.getTime() + 3 * SESSION_TTL_MS));
    expect(later).toEqual({ ok: false, reason: 'expired' });
    expect(await findSession(prisma, 'dxf_ses_unknown', t0)).toEqual({ ok: false, reason: 'invalid' });
  });
});

describe('join tokens', () => {
  it('work once, even when two agents race with the same token', async () => {
    const prisma = hub.server.prisma;
    const { token } = await createJoinToken(prisma, 'admin');
    const results = await Promise.allSettled([
      consumeJoinToken(prisma, token, 'host-1'), consumeJoinToken(prisma, token, 'host-2'), consumeJoinToken(prisma, token, 'host-3'),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED');
    }
    expect(await prisma.agentCredential.count()).toBe(1);
  });

  it('refuse an expired or unknown token', async () => {
    const prisma = hub.server.prisma;
    const { token } = await createJoinToken(prisma, 'admin', 1, new Date(Date.now() - 2 * 3600_000));
    await expect(consumeJoinToken(prisma, token, 'h')).rejects.toMatchObject({ code: 'DAXFLEET_ERR_AUTH_EXPIRED' });
    await expect(consumeJoinToken(prisma, newSecret('dxf_join_'), 'h')).rejects.toMatchObject({ code: 'DAXFLEET_ERR_AUTH_INVALID' });
    await expect(consumeJoinToken(prisma, 'garbage', 'h')).rejects.toMatchObject({ code: 'DAXFLEET_ERR_AUTH_INVALID' });
  });
});

describe('agent credentials', () => {
  it('issue, verify, rotate (old one refused), revoke, re-issue lifts the revocation', async () => {
    const prisma = hub.server.prisma;
    const first = await issueAgentCredential(prisma, 'h1');
    expect(first.agent_credential).toMatch(/^dxf_agent_[A-Za-z0-9_-]{43}$/);
    expect(await verifyAgentCredential(prisma, first.agent_credential)).toEqual({ ok: true, hostId: 'h1' });
    expect(await commandKeyOf(prisma, 'h1')).toBe(first.command_key);
    const rotated = await rotateAgentCredential(prisma, 'h1');
    expect((await verifyAgentCredential(prisma, first.agent_credential)).ok).toBe(false);
    expect(await verifyAgentCredential(prisma, rotated.agent_credential)).toEqual({ ok: true, hostId: 'h1' });
    expect(await commandKeyOf(prisma, 'h1')).toBe(first.command_key);
    await revokeAgentCredential(prisma, 'h1');
    expect(await verifyAgentCredential(prisma, rotated.agent_credential)).toEqual({ ok: false, reason: 'revoked' });
    expect(await commandKeyOf(prisma, 'h1')).toBeUndefined();
    await expect(rotateAgentCredential(prisma, 'h1')).rejects.toMatchObject({ code: 'DAXFLEET_ERR_AUTH_REVOKED' });
    const again = await issueAgentCredential(prisma, 'h1');
    expect(await verifyAgentCredential(prisma, again.agent_credential)).toEqual({ ok: true, hostId: 'h1' });
    expect(again.command_key).not.toBe(first.command_key);
    await expect(revokeAgentCredential(prisma, 'nope')).rejects.toMatchObject({ code: 'DAXFLEET_ERR_AGENT_NOT_ENROLLED' });
    // stored as sha256 only
    const row = await prisma.agentCredential.findUniqueOrThrow({ where: { hostId: 'h1' } });
    expect(row.credentialHash).toBe(sha256(again.agent_credential));
  });
});
