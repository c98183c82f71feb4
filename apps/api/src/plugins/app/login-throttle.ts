/**
 * Slows down password guessing: failed logins are counted per username and per source address; after 5 failures
 * each further failure blocks that key for 2^(failures-4) s (2 s, 4 s, 8 s, … at most 15 min). A blocked login
 * gets 429 with Retry-After, whatever the password. A successful login clears its username's and address's
 * counters. In memory (one hub process); bounded so a flood of made-up usernames cannot exhaust memory.
 */
export const FREE_FAILURES = 5;
const MAX_BLOCK_MS = 15 * 60 * 1000;
/** a key forgets its failures this long after its last one */
const FORGET_AFTER_MS = 60 * 60 * 1000;
const MAX_KEYS = 10_000;

interface KeyState { failures: number; blockedUntil: number; lastFailure: number }

export class LoginThrottle {
  private readonly keys = new Map<string, KeyState>();
  /** the clock (tests replace it) */
  now: () => number = Date.now;

  /** Seconds until one of these keys may try again; 0 when none is blocked. */
  retryAfterSeconds(keys: readonly string[]): number {
    const now = this.now();
    let until = 0;
    for (const key of keys) {
      const state = this.keys.get(key);
      if (state && state.blockedUntil > now) until = Math.max(until, state.blockedUntil);
    }
    return until === 0 ? 0 : Math.max(1, Math.ceil((until - now) / 1000));
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.now();
    if (this.keys.size >= MAX_KEYS) this.prune(now);
    for (const key of keys) {
      const previous = this.keys.get(key);
      const state = previous && now - previous.lastFailure < FORGET_AFTER_MS ? previous : { failures: 0, blockedUntil: 0, lastFailure: now };
      state.failures += 1;
      state.lastFailure = now;
      if (state.failures >= FREE_FAILURES) {
        state.blockedUntil = now + Math.min(MAX_BLOCK_MS, 1000 * 2 ** (state.failures - FREE_FAILURES + 1));
      }
      this.keys.set(key, state);
    }
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.keys.delete(key);
  }

  private prune(now: number): void {
    for (const [key, state] of this.keys) {
      if (now - state.lastFailure >= FORGET_AFTER_MS && state.blockedUntil <= now) this.keys.delete(key);
    }
    // still full (an active flood): drop the oldest entries; blocked attackers stay blocked per address anyway
    while (this.keys.size >= MAX_KEYS) {
      const oldest = this.keys.keys().next();
      if (oldest.done) break;
      this.keys.delete(oldest.value);
    }
  }
}

export function throttleKeys(username: string, sourceIp: string): string[] {
  return [`user:${username.toLowerCase()}`, `ip:${sourceIp}`];
}
