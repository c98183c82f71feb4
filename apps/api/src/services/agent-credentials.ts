/**
 * Agent credentials: each enrolled host has one `dxf_agent_` credential (stored as sha256) that it sends as
 * `Authorization: Bearer` on every report, and a command key the hub signs its commands to that agent with
 * (HMAC-SHA256; the agent keeps the same key). Issuing again for a host (re-enrollment) replaces both and lifts a
 * revocation; rotation replaces the credential only; a revoked credential is refused.
 *
 * Verification is on the hot path (every report of every host, thousands a second on a big fleet): a credential
 * the database accepted is remembered (its sha256 -> host, per database, for VERIFIED_TTL_MS) so the next reports
 * skip the lookup. The hub is one process and every change of a credential goes through this module: issue, rotate
 * and revoke drop the host's remembered credentials before they return, so a revoked or replaced credential is
 * refused at the very next request. The TTL only bounds a change made behind the hub's back (another process
 * writing the database). Only accepted credentials are remembered; an unknown or revoked one is looked up each time.
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

/** how long an accepted credential is trusted without asking the database again */
export const VERIFIED_TTL_MS = 30 * 1000;
/** a fleet of this many agents is served from memory; beyond it the oldest entries go (and are looked up again) */
const VERIFIED_MAX = 100_000;

interface Verified {
  hostId: string;
  /** the client it was verified against: tests and tools may hold several databases in one process */
  db: object;
  expiresAt: number;
  /** last_used_at as stored (ms), to write it at most once per LAST_USED_GRANULARITY_MS */
  lastUsedAt: number | null;
}

/** sha256 of an accepted credential -> its host; Map order is insertion order, so the first entry is the oldest */
const verified = new Map<string, Verified>();
/** host -> the hashes remembered for it (one per database holding it) */
const hashesOfHost = new Map<string, Set<string>>();
/** bumped by every change: a lookup that started before a change does not remember what it read */
let generation = 0;

/**
 * Forgets every remembered credential of a host (in every database): called before and after each write of its
 * credential. A lookup running meanwhile does not remember what it read (generation). Issuing inside a caller's
 * transaction (enrollment, join-tokens.ts) is covered too: Prisma's SQLite adapter has one connection, so a
 * lookup after the write sees the new row even before the commit, and a new credential whose transaction rolls
 * back was never handed to anyone.
 */
function forgetHost(hostId: string): void {
  generation++;
  for (const hash of hashesOfHost.get(hostId) ?? []) verified.delete(hash);
  hashesOfHost.delete(hostId);
}

function forgetHash(hash: string): void {
  const entry = verified.get(hash);
  if (entry === undefined) return;
  verified.delete(hash);
  const hashes = hashesOfHost.get(entry.hostId);
  hashes?.delete(hash);
  if (hashes?.size === 0) hashesOfHost.delete(entry.hostId);
}

function remember(hash: string, entry: Verified): void {
  if (verified.size >= VERIFIED_MAX) {
    const oldest = verified.keys().next();
    if (!oldest.done) forgetHash(oldest.value);
  }
  verified.set(hash, entry);
  const hashes = hashesOfHost.get(entry.hostId);
  if (hashes) hashes.add(hash);
  else hashesOfHost.set(entry.hostId, new Set([hash]));
}

/** How many accepted credentials are remembered (tests). */
export function rememberedAgentCredentials(): number {
  return verified.size;
}

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
  forgetHost(hostId);
  try {
    await prisma.agentCredential.upsert({ where: { hostId }, create: { hostId, ...data }, update: data });
  } finally {
    forgetHost(hostId);
  }
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
  forgetHost(hostId);
  try {
    await prisma.agentCredential.update({ where: { hostId }, data: { credentialHash: sha256(credential), rotatedAt: now } });
  } finally {
    forgetHost(hostId);
  }
  return { agent_credential: credential };
}

/** Revokes a host's credential: its reports are refused until it enrolls again (idempotent). */
export async function revokeAgentCredential(prisma: Db, hostId: string, now = new Date()): Promise<AgentCredentialInfo> {
  const row = await prisma.agentCredential.findUnique({ where: { hostId } });
  if (!row) throw notEnrolled(hostId);
  if (row.revokedAt) return toAgentCredentialInfo(row);
  forgetHost(hostId);
  try {
    return toAgentCredentialInfo(await prisma.agentCredential.update({ where: { hostId }, data: { revokedAt: now } }));
  } finally {
    forgetHost(hostId);
  }
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

/**
 * Whether a presented credential is a current one, and whose. Looked up by its sha256 (the stored form), as
 * before the cache: remembered entries are keyed by that hash too, so the secret itself is never kept or compared.
 * Bumps last_used_at at most once a minute.
 */
export async function verifyAgentCredential(prisma: Db, presented: string, now = new Date()): Promise<AgentCredentialCheck> {
  if (!isWellFormedSecret(presented, AGENT_CREDENTIAL_PREFIX)) return { ok: false, reason: 'invalid' };
  const hash = sha256(presented);
  const at = now.getTime();
  const known = verified.get(hash);
  if (known !== undefined && known.db === prisma && known.expiresAt > at && known.expiresAt - VERIFIED_TTL_MS <= at) {
    if (known.lastUsedAt === null || at - known.lastUsedAt >= LAST_USED_GRANULARITY_MS) {
      known.lastUsedAt = at; // before the write: concurrent reports of the host do not write it again
      await prisma.agentCredential.updateMany({ where: { hostId: known.hostId, credentialHash: hash }, data: { lastUsedAt: now } });
    }
    return { ok: true, hostId: known.hostId };
  }
  if (known !== undefined) forgetHash(hash);

  const startedAt = generation;
  const row = await prisma.agentCredential.findUnique({ where: { credentialHash: hash } });
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  let lastUsedAt = row.lastUsedAt?.getTime() ?? null;
  if (lastUsedAt === null || at - lastUsedAt >= LAST_USED_GRANULARITY_MS) {
    await prisma.agentCredential.updateMany({ where: { hostId: row.hostId }, data: { lastUsedAt: now } });
    lastUsedAt = at;
  }
  // not when a credential changed meanwhile: the row read may be the one just replaced
  if (generation === startedAt) {
    remember(hash, { hostId: row.hostId, db: prisma, expiresAt: at + VERIFIED_TTL_MS, lastUsedAt });
  }
  return { ok: true, hostId: row.hostId };
}

function notEnrolled(hostId: string): ApiError {
  return new ApiError('DAXFLEET_ERR_AGENT_NOT_ENROLLED',
    `host "${hostId}" has no agent credential: enroll its agent with a join token (POST /api/v1/agents/join-tokens)`);
}
