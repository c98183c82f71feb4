/**
 * Join tokens: an admin makes a one-time `dxf_join_` token (stored as sha256, 24 h by default); an agent trades it
 * for its own credential (enrollment). Consuming is one transaction: the token is marked used only if it still
 * was unused, and the credential is issued in the same transaction, so two agents racing with one token cannot
 * both enroll.
 */
import type { Static } from 'typebox';
import type { JoinTokenSchema } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { JoinToken as JoinTokenRow } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';
import { issueAgentCredential, type IssuedAgentCredential } from './agent-credentials.js';
import { displayPrefix, isWellFormedSecret, JOIN_TOKEN_PREFIX, newId, newSecret, sha256 } from './secrets.js';

export type JoinTokenInfo = Static<typeof JoinTokenSchema>;
export const DEFAULT_JOIN_TOKEN_HOURS = 24;

export function toJoinToken(row: JoinTokenRow): JoinTokenInfo {
  const info: JoinTokenInfo = {
    id: row.id,
    prefix: row.prefix,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    expires_at: row.expiresAt.toISOString(),
  };
  if (row.usedAt) info.used_at = row.usedAt.toISOString();
  if (row.usedByHost) info.used_by_host = row.usedByHost;
  return info;
}

export async function createJoinToken(
  prisma: PrismaClient, createdBy: string, expiresInHours = DEFAULT_JOIN_TOKEN_HOURS, now = new Date(),
): Promise<JoinTokenInfo & { token: string }> {
  const secret = newSecret(JOIN_TOKEN_PREFIX);
  const row = await prisma.joinToken.create({
    data: {
      id: newId(),
      tokenHash: sha256(secret),
      prefix: displayPrefix(secret, JOIN_TOKEN_PREFIX),
      createdBy,
      createdAt: now,
      expiresAt: new Date(now.getTime() + expiresInHours * 3600 * 1000),
    },
  });
  return { ...toJoinToken(row), token: secret };
}

export async function listJoinTokens(prisma: PrismaClient): Promise<JoinTokenInfo[]> {
  const rows = await prisma.joinToken.findMany({ orderBy: { createdAt: 'desc' } });
  return rows.map(toJoinToken);
}

export async function deleteJoinToken(prisma: PrismaClient, joinTokenId: string): Promise<JoinTokenInfo> {
  const row = await prisma.joinToken.findUnique({ where: { id: joinTokenId } });
  if (!row) {
    throw new ApiError('DAXFLEET_ERR_JOIN_TOKEN_NOT_FOUND',
      `no join token with id "${joinTokenId}": list them with GET /api/v1/agents/join-tokens`);
  }
  await prisma.joinToken.delete({ where: { id: joinTokenId } });
  return toJoinToken(row);
}

/**
 * Enrollment: consumes the join token and issues the host's credential in one transaction. Throws 401
 * DAXFLEET_ERR_AUTH_INVALID (unknown), _EXPIRED, or _JOIN_TOKEN_USED.
 */
export async function consumeJoinToken(
  prisma: PrismaClient, presented: string, hostId: string, now = new Date(),
): Promise<IssuedAgentCredential> {
  if (!isWellFormedSecret(presented, JOIN_TOKEN_PREFIX)) throw unknownJoinToken();
  const tokenHash = sha256(presented);
  return prisma.$transaction(async (tx) => {
    const row = await tx.joinToken.findUnique({ where: { tokenHash } });
    if (!row) throw unknownJoinToken();
    if (row.usedAt) {
      throw new ApiError('DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED',
        'this join token was already used (join tokens work once): ask an admin for a new one');
    }
    if (row.expiresAt.getTime() <= now.getTime()) {
      throw new ApiError('DAXFLEET_ERR_AUTH_EXPIRED', 'this join token has expired: ask an admin for a new one');
    }
    const claimed = await tx.joinToken.updateMany({ where: { id: row.id, usedAt: null }, data: { usedAt: now, usedByHost: hostId } });
    if (claimed.count !== 1) {
      throw new ApiError('DAXFLEET_ERR_AUTH_JOIN_TOKEN_USED',
        'this join token was already used (join tokens work once): ask an admin for a new one');
    }
    return issueAgentCredential(tx, hostId, now);
  });
}

function unknownJoinToken(): ApiError {
  return new ApiError('DAXFLEET_ERR_AUTH_INVALID',
    'unknown join token: copy it exactly as shown when it was made, or ask an admin for a new one');
}
