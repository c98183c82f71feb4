/**
 * Secrets: random bearer secrets with a recognisable prefix (stored only as sha256), scrypt password hashes
 * with a per-user salt, and constant-time comparisons. Nothing here logs or returns a secret it did not make.
 */
import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export const TOKEN_PREFIX = 'dxf_tok_';
export const JOIN_TOKEN_PREFIX = 'dxf_join_';
export const AGENT_CREDENTIAL_PREFIX = 'dxf_agent_';
export type SecretPrefix = typeof TOKEN_PREFIX | typeof JOIN_TOKEN_PREFIX | typeof AGENT_CREDENTIAL_PREFIX;

/** 32 random bytes, base64url (43 characters) */
const SECRET_BYTES = 32;
const SECRET_BODY = /^[A-Za-z0-9_-]{43}$/;

/** `dxf_tok_` + 32 random bytes in base64url */
export function newSecret(prefix: SecretPrefix): string {
  return prefix + randomBytes(SECRET_BYTES).toString('base64url');
}

/** A random key (HMAC command keys): 32 bytes, base64url */
export function newKey(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** A random id for rows (not a secret) */
export function newId(): string {
  return randomBytes(12).toString('base64url');
}

/** Whether `value` looks like a secret this program made with `prefix` (length and alphabet): cheap pre-check. */
export function isWellFormedSecret(value: string, prefix: SecretPrefix): boolean {
  return value.startsWith(prefix) && SECRET_BODY.test(value.slice(prefix.length));
}

/** What lists show of a secret: the prefix and the first 4 random characters (never enough to guess it). */
export function displayPrefix(secret: string, prefix: SecretPrefix): string {
  return secret.slice(0, prefix.length + 4);
}

/** sha256 hex: how tokens, join tokens, agent credentials and session secrets are stored */
export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time string equality (for equal-length inputs; different lengths are unequal without a timing hint on content). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    timingSafeEqual(ab, ab); // same work as a comparison
    return false;
  }
  return timingSafeEqual(ab, bb);
}

/** hex HMAC-SHA256 (hub -> agent command signatures) */
export function hmacSha256Hex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

// scrypt parameters: N=2^15, r=8, p=1 (about 32 MiB, tens of ms): the OWASP-recommended minimum.
const SCRYPT_N = 1 << 15;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_KEYLEN = 32;
const SALT_BYTES = 16;

function scryptAsync(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function scryptOptions(n: number, r: number, p: number): ScryptOptions {
  return { N: n, r, p, maxmem: 128 * n * r * 2 };
}

/** `scrypt$N$r$p$salt$hash` (salt and hash base64url); a fresh random salt per call */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(password, salt, SCRYPT_KEYLEN, scryptOptions(SCRYPT_N, SCRYPT_R, SCRYPT_P));
  return ['scrypt', SCRYPT_N, SCRYPT_R, SCRYPT_P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Checks a password against a stored hash in constant time; a malformed stored hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4] ?? '', 'base64url');
  const expected = Buffer.from(parts[5] ?? '', 'base64url');
  if (salt.length === 0 || expected.length === 0) return false;
  const actual = await scryptAsync(password, salt, expected.length, scryptOptions(n, r, p));
  return timingSafeEqual(actual, expected);
}

/**
 * A hash to verify against when the user does not exist, so an unknown username costs the same time as a
 * wrong password (no user enumeration by timing). Computed once, lazily.
 */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('base64url'));
  return dummyHash;
}

/** A generated password for the first admin: 18 random bytes, base64url (24 characters). */
export function newOneTimePassword(): string {
  return randomBytes(18).toString('base64url');
}
