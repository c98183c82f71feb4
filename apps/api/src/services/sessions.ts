/**
 * Login sessions: the browser holds a random secret in the httpOnly cookie `daxfleet_session`; the database holds
 * only its sha256 (the row id). Sessions slide: each use pushes the end 8 h ahead (written at most once a minute).
 * Logout deletes the row, so a copied cookie stops working at once.
 */
import type { PrismaClient } from '../db/client.js';
import type { Session, User } from '../../generated/prisma/index.js';
import { newSecret, sha256, TOKEN_PREFIX } from './secrets.js';

export const SESSION_COOKIE = 'daxfleet_session';
export const SESSION_TTL_MS = 8 * 60 * 60 * 1000;
const SLIDE_GRANULARITY_MS = 60 * 1000;
/** session secrets are not bearer tokens: a distinct prefix keeps them from being mistaken for one */
const SESSION_SECRET_PREFIX = 'dxf_ses_';

export interface NewSession {
  /** the cookie value: shown to the browser once, never stored */
  secret: string;
  id: string;
  expiresAt: Date;
}

export async function createSession(
  prisma: PrismaClient, userId: string, sourceIp: string, userAgent: string, now = new Date(),
): Promise<NewSession> {
  const secret = SESSION_SECRET_PREFIX + newSecret(TOKEN_PREFIX).slice(TOKEN_PREFIX.length);
  const id = sha256(secret);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await prisma.session.create({
    data: { id, userId, createdAt: now, expiresAt, sourceIp, userAgent: userAgent.slice(0, 512) },
  });
  // expired sessions of anyone are swept now and then (at login), so the table stays small
  await prisma.session.deleteMany({ where: { expiresAt: { lt: now } } });
  return { secret, id, expiresAt };
}

export type SessionLookup =
  | { ok: true; session: Session; user: User }
  | { ok: false; reason: 'invalid' | 'expired' | 'revoked' };

/** Finds the live session of a cookie value and slides its expiry. A disabled user's session is revoked. */
export async function findSession(prisma: PrismaClient, secret: string, now = new Date()): Promise<SessionLookup> {
  if (!secret.startsWith(SESSION_SECRET_PREFIX) || secret.length > 100) return { ok: false, reason: 'invalid' };
  const id = sha256(secret);
  const session = await prisma.session.findUnique({ where: { id }, include: { user: true } });
  if (!session) return { ok: false, reason: 'invalid' };
  // kept until the next login sweeps it, so the browser hears "expired" (log in again), not "unknown"
  if (session.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (session.user.disabled) return { ok: false, reason: 'revoked' };
  const slid = new Date(now.getTime() + SESSION_TTL_MS);
  if (slid.getTime() - session.expiresAt.getTime() >= SLIDE_GRANULARITY_MS) {
    await prisma.session.updateMany({ where: { id }, data: { expiresAt: slid } });
    session.expiresAt = slid;
  }
  const { user, ...row } = session;
  return { ok: true, session: row, user };
}

export async function deleteSession(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.session.deleteMany({ where: { id } });
}
