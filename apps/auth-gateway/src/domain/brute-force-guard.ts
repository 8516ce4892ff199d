import { doublingDelayMs } from '@usersys/service-kit';

/**
 * Per-account brute-force protection (in the spirit of Keycloak's brute-force detection).
 *
 * Failures are counted per (username, client network) and per username across all networks:
 * - `threshold` failures of one pair within `windowMs` lock that pair for `baseLockMs`, doubled for
 *   each further lock in a row, at most `maxLockMs`; the streak is forgotten once a whole window
 *   passes after a lock without a new one;
 * - `globalThreshold` failures of one username within the window, from any networks, lock the
 *   username everywhere, with the same durations. It is softer (higher) on purpose: an attacker on
 *   one network cannot lock the real user out elsewhere, only the whole internet together can.
 * A failure while the pair or the username is locked is not counted again (the lock already says
 * enough, and a locked attacker must not extend it for ever). A success clears the pair only.
 * Unknown usernames are counted the same way, so a lock reveals nothing about which names exist.
 */
export interface LockoutPolicy {
  threshold: number;
  globalThreshold: number;
  windowMs: number;
  baseLockMs: number;
  maxLockMs: number;
}

/** One counter: of a (username, network) pair, or of a username across networks. Times in ms. */
export interface FailureCounter {
  /** Failures in the window that started at `windowStart`. */
  failures: number;
  windowStart: number;
  /** 0 when never locked. */
  lockedUntil: number;
  /** Locks in a row: the next lock lasts baseLockMs * 2^locks (capped). */
  locks: number;
}

export interface LockoutCounters {
  network?: FailureCounter;
  username?: FailureCounter;
}

export const EMPTY_COUNTER: FailureCounter = { failures: 0, windowStart: 0, lockedUntil: 0, locks: 0 };

/** How long the n-th lock in a row lasts (n from 1). */
export function lockDurationMs(policy: LockoutPolicy, n: number): number {
  return doublingDelayMs(n, { baseMs: policy.baseLockMs, maxMs: policy.maxLockMs });
}

export function isLocked(counter: FailureCounter | undefined, now: number): boolean {
  return counter !== undefined && counter.lockedUntil > now;
}

/**
 * One failure added to an unlocked counter. A new window starts with the first failure after the
 * window ran out or after a lock ended (the failures that caused a lock stay visible until then).
 * The Lua script of the Redis adapter implements exactly this; both are tested with the same cases.
 */
export function addFailure(policy: LockoutPolicy, counter: FailureCounter | undefined, threshold: number, now: number): FailureCounter {
  const c = counter ?? EMPTY_COUNTER;
  const locks = c.locks > 0 && now >= c.lockedUntil + policy.windowMs ? 0 : c.locks;
  const fresh = c.failures === 0 || now - c.windowStart >= policy.windowMs || c.lockedUntil > c.windowStart;
  const failures = fresh ? 1 : c.failures + 1;
  const windowStart = fresh ? now : c.windowStart;
  if (failures < threshold) return { failures, windowStart, lockedUntil: c.lockedUntil, locks };
  return { failures, windowStart, lockedUntil: now + lockDurationMs(policy, locks + 1), locks: locks + 1 };
}

/** A failed attempt: both counters move, unless either is locked (then nothing changes). */
export function countFailure(policy: LockoutPolicy, counters: LockoutCounters, now: number): LockoutCounters {
  if (isLocked(counters.network, now) || isLocked(counters.username, now)) return counters;
  return { network: addFailure(policy, counters.network, policy.threshold, now), username: addFailure(policy, counters.username, policy.globalThreshold, now) };
}

/** Where the counters live: Redis (shared by every replica) or process memory (the fallback). */
export interface LockoutStore {
  read(username: string, network: string): Promise<LockoutCounters>;
  /** countFailure, applied atomically. */
  countFailure(username: string, network: string, now: number): Promise<void>;
  clearNetwork(username: string, network: string): Promise<void>;
  /** Every network's counter of the username and its counter across networks. */
  readAll(username: string): Promise<{ networks: FailureCounter[]; username?: FailureCounter }>;
  clearAll(username: string): Promise<void>;
}

export interface LockCheck {
  locked: boolean;
  /** The pair has a counter (so a success has something to clear). */
  tracked: boolean;
}

export interface LockoutStatus {
  locked: boolean;
  /** End of the longest lock in force. */
  until?: Date;
  /** Failures across networks in the current window. */
  failures: number;
}

export class BruteForceGuard {
  constructor(
    private readonly store: LockoutStore,
    readonly policy: LockoutPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async check(username: string, network: string): Promise<LockCheck> {
    const counters = await this.store.read(username, network);
    const now = this.now();
    return { locked: isLocked(counters.network, now) || isLocked(counters.username, now), tracked: counters.network !== undefined };
  }

  /** A wrong password (or an unknown name, or a refused account): counted unless locked. */
  failed(username: string, network: string): Promise<void> {
    return this.store.countFailure(username, network, this.now());
  }

  /** The right password on an unlocked pair: that network starts again from zero; the username's count stays. */
  async succeeded(username: string, network: string, check: LockCheck): Promise<void> {
    if (check.tracked) await this.store.clearNetwork(username, network);
  }

  async status(username: string): Promise<LockoutStatus> {
    const { networks, username: across } = await this.store.readAll(username);
    const now = this.now();
    const until = Math.max(0, ...[...networks, ...(across ? [across] : [])].filter((c) => isLocked(c, now)).map((c) => c.lockedUntil));
    const failures = across && now - across.windowStart < this.policy.windowMs ? across.failures : 0;
    return until > 0 ? { locked: true, until: new Date(until), failures } : { locked: false, failures };
  }

  clear(username: string): Promise<void> {
    return this.store.clearAll(username);
  }
}
