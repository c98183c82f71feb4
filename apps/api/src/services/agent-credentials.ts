/**
 * Agent credentials: each enrolled host has one `dxf_agent_` credential (stored as sha256) that it sends as
 * `Authorization: Bearer` on every report, and a command key the hub signs its commands to that agent with
 * (HMAC-SHA256; the agent keeps the same key). Issuing again for a host (re-enrollment) replaces both and lifts a
 * revocation; rotation replaces the credential only; a revoked credential is refused.
 */
import type { Static } from 'typebox';
import type { AgentCredentialSchema } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { AgentCredential as AgentCredentialRow } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';
import { AGENT_CREDENTIAL_PREFIX, isWellFormedSecret, newKey, newSecret, sha256 } from './secrets.js';

export type AgentCredentialInfo = Static<typeof AgentCredentialSchema>;
type Db = Pick<PrismaClient, 'agentCredential'>;

const LAST_USED_GRANULARITY_MS = 60 * 1000;

export interface IssuedAgentCredential {
  host_id: string;
  /** shown once; the agent stores it 0600 in its data folder */
  agent_credential: string;
  command_key: string;
}

export function toAgentCredentialInfo(row: AgentCredentialRow): AgentCredentialInfo {
  const info: AgentCredentialInfo = { host_id: row.hostId, created_at: row.createdAt.toISOString() };
  if (row.revokedAt) info.revoked_at = row.revokedAt.toISOString();
  if (row.lastUsedAt) info.last_used_at = row.lastUsedAt.toISOString();
  return info;
}

/** A new credential and command key for a host (enrollment, or role all's local agent); replaces any earlier one. */
export async function issueAgentCredential(prisma: Db, hostId: string, now = new Date()): Promise<IssuedAgentCredential> {
  const credential = newSecret(AGENT_CREDENTIAL_PREFIX);
  const commandKey = newKey();
  const data = {
    credentialHash: sha256(credential), commandKey, createdAt: now, rotatedAt: null, revokedAt: null, lastUsedAt: null,
  };
  await prisma.agentCredential.upsert({ where: { hostId }, create: { hostId, ...data }, update: data });
  return { host_id: hostId, agent_credential: credential, command_key: commandKey };
}

/** A new credential for an enrolled, not revoked host (the command key stays). */
export async function rotateAgentCredential(prisma: Db, hostId: string, now = new Date()): Promise<{ agent_credential: string }> {
  const row = await prisma.agentCredential.findUnique({ where: { hostId } });
  if (!row) throw notEnrolled(hostId);
  if (row.revokedAt) {
    throw new ApiError('DAXFLEET_ERR_AUTH_REVOKED', `the credential of host "${hostId}" is revoked: re-enroll with a new join token`);
  }
  const credential = newSecret(AGENT_CREDENTIAL_PREFIX);
  await prisma.agentCredential.update({ where: { hostId }, data: { credentialHash: sha256(credential), rotatedAt: now } });
  return { agent_credential: credential };
}

/** Revokes a host's credential: its reports are refused until it enrolls again (idempotent). */
export async function revokeAgentCredential(prisma: Db, hostId: string, now = new Date()): Promise<AgentCredentialInfo> {
  const row = await prisma.agentCredential.findUnique({ where: { hostId } });
  if (!row) throw notEnrolled(hostId);
  if (row.revokedAt) return toAgentCredentialInfo(row);
  return toAgentCredentialInfo(await prisma.agentCredential.update({ where: { hostId }, data: { revokedAt: now } }));
}

export async function listAgentCredentials(prisma: Db): Promise<AgentCredentialInfo[]> {
  const rows = await prisma.agentCredential.findMany({ orderBy: { hostId: 'asc' } });
  return rows.map(toAgentCredentialInfo);
}

/** The key to sign commands to this host's agent with; undefined when not enrolled or revoked. */
export async function commandKeyOf(prisma: Db, hostId: string): Promise<string | undefined> {
  const row = await prisma.agentCredential.findUnique({ where: { hostId } });
  return row && !row.revokedAt ? row.commandKey : undefined;
}

export type AgentCredentialCheck =
  | { ok: true; hostId: string }
  | { ok: false; reason: 'invalid' | 'revoked' };

export async function verifyAgentCredential(prisma: Db, presented: string, now = new Date()): Promise<AgentCredentialCheck> {
  if (!isWellFormedSecret(presented, AGENT_CREDENTIAL_PREFIX)) return { ok: false, reason: 'invalid' };
  const row = await prisma.agentCredential.findUnique({ where: { credentialHash: sha256(presented) } });
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    await prisma.agentCredential.updateMany({ where: { hostId: row.hostId }, data: { lastUsedAt: now } });
  }
  return { ok: true, hostId: row.hostId };
}

function notEnrolled(hostId: string): ApiError {
  return new ApiError('DAXFLEET_ERR_AGENT_NOT_ENROLLED',
    `host "${hostId}" has no agent credential: enroll its agent with a join token (POST /api/v1/agents/join-tokens)`);
}
