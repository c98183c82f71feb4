/**
 * Hub -> agent commands are signed with the host's command key (issued at enrollment, held by the hub and by
 * the agent only): x-daxfleet-signature = hex HMAC-SHA256(command_key, `${timestamp}.${nonce}.${rawBody}`).
 * The agent refuses a missing or wrong signature, a timestamp more than 5 minutes off its clock, and a nonce it
 * saw in the last 10 minutes, so a recorded command cannot be replayed and nothing but its hub can command it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const COMMANDS_PATH = '/api/v1/agent/commands';
export const TIMESTAMP_HEADER = 'x-daxfleet-timestamp';
export const NONCE_HEADER = 'x-daxfleet-nonce';
export const SIGNATURE_HEADER = 'x-daxfleet-signature';
/** how far the command's timestamp may be from the agent's clock */
export const MAX_CLOCK_SKEW_MS = 300_000;
/** how long a nonce is remembered (longer than the two-sided skew window, so a replay is always caught) */
export const NONCE_TTL_MS = 600_000;

export function signCommand(commandKey: string, timestamp: string, nonce: string, rawBody: string): string {
  return createHmac('sha256', commandKey).update(`${timestamp}.${nonce}.${rawBody}`).digest('hex');
}

/** The three headers for a command body, with a fresh timestamp and nonce. */
export function commandHeaders(commandKey: string, rawBody: string, now = Date.now()): Record<string, string> {
  const timestamp = String(now);
  const nonce = randomBytes(16).toString('base64url');
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: signCommand(commandKey, timestamp, nonce, rawBody),
  };
}

/** Nonces seen within NONCE_TTL_MS; expired ones are dropped as new ones arrive. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  /** false when the nonce was already seen (a replay); otherwise remembers it */
  remember(nonce: string, now = Date.now()): boolean {
    for (const [n, expires] of this.seen) {
      // insertion order is time order: stop at the first one still valid
      if (expires > now) break;
      this.seen.delete(n);
    }
    if (this.seen.has(nonce)) return false;
    this.seen.set(nonce, now + NONCE_TTL_MS);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export type CommandRefusal = 'missing' | 'malformed' | 'stale' | 'signature' | 'replayed';

export interface SignedHeaders {
  timestamp: string | undefined;
  nonce: string | undefined;
  signature: string | undefined;
}

/**
 * Checks a command's headers against the raw body; returns why it is refused, or undefined when it is genuine
 * (the nonce is then remembered, so the same request is refused the second time).
 */
export function verifyCommand(
  commandKey: string, headers: SignedHeaders, rawBody: string, nonces: NonceCache, now = Date.now(),
): CommandRefusal | undefined {
  const { timestamp, nonce, signature } = headers;
  if (timestamp === undefined || nonce === undefined || signature === undefined) return 'missing';
  if (!/^\d{1,16}$/.test(timestamp) || !/^[A-Za-z0-9_-]{8,128}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(signature)) {
    return 'malformed';
  }
  if (Math.abs(now - Number(timestamp)) > MAX_CLOCK_SKEW_MS) return 'stale';
  const expected = Buffer.from(signCommand(commandKey, timestamp, nonce, rawBody), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'signature';
  // only genuine commands reach the cache: forged requests cannot fill it
  if (!nonces.remember(nonce, now)) return 'replayed';
  return undefined;
}

export const REFUSAL_MESSAGES: Record<CommandRefusal, string> = {
  missing: `unsigned command: send ${TIMESTAMP_HEADER}, ${NONCE_HEADER} and ${SIGNATURE_HEADER} (only the hub this agent enrolled with can command it)`,
  malformed: `malformed signature headers: ${TIMESTAMP_HEADER} is unix milliseconds, ${NONCE_HEADER} 8-128 base64url characters, ${SIGNATURE_HEADER} 64 hex digits`,
  stale: `command timestamp is more than ${MAX_CLOCK_SKEW_MS / 1000} s away from this agent's clock: check the clocks of hub and agent (NTP)`,
  signature: 'command signature does not match this agent\'s command key: only the hub this agent enrolled with can command it',
  replayed: 'command nonce was already used: a command is executed once; send a new one',
};
