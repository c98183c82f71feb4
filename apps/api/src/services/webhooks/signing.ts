/**
 * Webhook signatures: every POST carries `x-daxfleet-signature: t=<unix seconds>,v1=<hex>` where the hex is
 * HMAC-SHA256(secret, "<t>.<raw body>") — the scheme Stripe made common, so receivers can reuse their code. The
 * timestamp is signed with the body so a captured request cannot be replayed later than the receiver's tolerance;
 * the delivery id (idempotency key) lets the receiver drop the duplicates at-least-once delivery may produce.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-daxfleet-signature';
export const DELIVERY_HEADER = 'x-daxfleet-delivery';
export const EVENT_HEADER = 'x-daxfleet-event';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
/** a secret the admin sets must be at least this long */
export const MIN_SECRET_LENGTH = 16;
/** how many characters of a generated secret lists show: `whsec_` and 2 of its 43 random ones */
export const SECRET_PREFIX_LENGTH = 8;
/** a secret generateSecret() could have made: 32 random bytes, so 2 shown characters reveal 12 of 256 bits */
const GENERATED_SECRET = /^whsec_[A-Za-z0-9_-]{43}$/;
/** the receiver-side default: refuse signatures older (or newer) than this */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** A new random secret, `whsec_` + 32 bytes base64url (like the hub's API tokens, shown once). */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/**
 * What lists show of a secret (`secret_prefix`): `whsec_` + 2 characters of a generated one; of an admin-chosen one
 * (it may be as short as 16 characters) none of its characters, only "sha256:" + the first 8 hex of its sha256, so
 * an admin can still tell which secret is set.
 */
export function secretPrefix(secret: string): string {
  if (GENERATED_SECRET.test(secret)) return secret.slice(0, SECRET_PREFIX_LENGTH);
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 8)}`;
}

export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${computeSignature(secret, t, body)}`;
}

export interface DeliveryHeadersInput {
  secret: string;
  body: string;
  deliveryId: string;
  eventType: string;
  contentType: string;
  version: string;
  now?: Date;
}

export function deliveryHeaders(input: DeliveryHeadersInput): Record<string, string> {
  return {
    'content-type': input.contentType,
    'user-agent': `daxfleet-hub/${input.version}`,
    [SIGNATURE_HEADER]: signatureHeader(input.secret, input.body, input.now),
    [DELIVERY_HEADER]: input.deliveryId,
    [IDEMPOTENCY_HEADER]: input.deliveryId,
    [EVENT_HEADER]: input.eventType,
  };
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Checks a signature header against the raw body: the header parses, its timestamp is within `toleranceSeconds`
 * of `now`, and one of its v1 signatures matches (several v1 entries are accepted, for a receiver that wants to
 * roll secrets). Constant-time comparison.
 */
export function verifySignature(
  secret: string, header: string | undefined, body: string,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS, now: Date = new Date(),
): VerifyResult {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  let t: number | undefined;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) t = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) v1.push(value);
  }
  if (t === undefined) return { ok: false, reason: 'no timestamp (t=) in the signature header' };
  if (v1.length === 0) return { ok: false, reason: 'no v1= signature in the signature header' };
  const age = Math.abs(Math.floor(now.getTime() / 1000) - t);
  if (age > toleranceSeconds) return { ok: false, reason: `timestamp is ${age} s away from now (tolerance ${toleranceSeconds} s)` };
  const expected = Buffer.from(computeSignature(secret, t, body), 'hex');
  const match = v1.some((sig) => timingSafeEqual(Buffer.from(sig, 'hex'), expected));
  return match ? { ok: true, timestamp: t } : { ok: false, reason: 'signature does not match' };
}
