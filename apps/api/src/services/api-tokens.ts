/**
 * API tokens for orchestration: `dxf_tok_` + 32 random bytes, shown once at creation and stored as sha256, with a
 * scope (the role the token acts with), an optional expiry, revocable. `last_used_at` is written at most once a
 * minute per token.
 */
import type { ApiToken, Role } from '@daxfleet/shared';
import type { PrismaClient } from '../db/client.js';
import type { ApiToken as ApiTokenRow } from '../../generated/prisma/index.js';
import { ApiError } from '../errors.js';
import { displayPrefix, isWellFormedSecret, newId, newSecret, sha256, TOKEN_PREFIX } from './secrets.js';
import { roleOf } from './users.js';

const LAST_USED_GRANULARITY_MS = 60 * 1000;

export function toApiToken(row: ApiTokenRow): ApiToken {
  const token: ApiToken = {
    id: row.id,
    name: row.name,
    scope: roleOf({ role: row.scope }),
    prefix: row.prefix,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
  };
  if (row.expiresAt) token.expires_at = row.expiresAt.toISOString();
  if (row.revokedAt) token.revoked_at = row.revokedAt.toISOString();
  if (row.lastUsedAt) token.last_used_at = row.lastUsedAt.toISOString();
  return token;
}

export interface NewApiToken {
  name: string;
  scope: Role;
  createdBy: string;
  /** omitted: no expiry */
  expiresAt?: Date;
}

/** Creates a token; the returned `token` is the only time the secret exists outside the caller's hands. */
export async function createApiToken(prisma: PrismaClient, input: NewApiToken): Promise<ApiToken & { token: string }> {
  const secret = newSecret(TOKEN_PREFIX);
  const row = await prisma.apiToken.create({
    data: {
      id: newId(),
      name: input.name,
      tokenHash: sha256(secret),
      prefix: displayPrefix(secret, TOKEN_PREFIX),
      scope: input.scope,
      createdBy: input.createdBy,
      createdAt: new Date(),
      expiresAt: input.expiresAt ?? null,
    },
  });
  return { ...toApiToken(row), token: secret };
}

export async function listApiTokens(prisma: PrismaClient): Promise<ApiToken[]> {
  const rows = await prisma.apiToken.findMany({ orderBy: { createdAt: 'desc' } });
  return rows.map(toApiToken);
}

/** Revokes a token (idempotent: revoking a revoked token keeps the first revocation time). */
export async function revokeApiToken(prisma: PrismaClient, tokenId: string, now = new Date()): Promise<ApiToken> {
  const row = await prisma.apiToken.findUnique({ where: { id: tokenId } });
  if (!row) throw new ApiError('DAXFLEET_ERR_TOKEN_NOT_FOUND', `no API token with id "${tokenId}": list tokens with GET /api/v1/tokens`);
  if (row.revokedAt) return toApiToken(row);
  return toApiToken(await prisma.apiToken.update({ where: { id: tokenId }, data: { revokedAt: now } }));
}

export type TokenCheck =
  | { ok: true; token: ApiTokenRow }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' };

/** Looks a presented bearer token up by its hash (an index lookup of a hash is constant-time in the secret). */
export async function verifyApiToken(prisma: PrismaClient, presented: string, now = new Date()): Promise<TokenCheck> {
  if (!isWellFormedSecret(presented, TOKEN_PREFIX)) return { ok: false, reason: 'invalid' };
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: sha256(presented) } });
  if (!row) return { ok: false, reason: 'invalid' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_GRANULARITY_MS) {
    await prisma.apiToken.updateMany({ where: { id: row.id }, data: { lastUsedAt: now } });
  }
  return { ok: true, token: row };
}
