/** How a retry waits: from `baseMs`, doubling per attempt, never longer than `maxMs`. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Capped doubling without jitter: attempt 1 waits base, attempt n base·2^(n-1), never more than max. */
export function doublingDelayMs(attempt: number, policy: BackoffPolicy): number {
  return Math.min(policy.baseMs * 2 ** Math.max(0, attempt - 1), policy.maxMs);
}

/** Capped exponential backoff with up to 20 % jitter: attempt 1 waits ~base, attempt n ~base·2^(n-1), never more than max. */
export function backoffMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.round(doublingDelayMs(attempt, policy) * (0.8 + 0.2 * random()));
}
