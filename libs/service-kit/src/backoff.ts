/** Capped exponential backoff with up to 20 % jitter: attempt 1 waits ~base, attempt n ~base·2^(n-1), never more than max. */
export function backoffMs(attempt: number, policy: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const raw = policy.baseMs * 2 ** Math.max(0, attempt - 1);
  const capped = Math.min(raw, policy.maxMs);
  return Math.round(capped * (0.8 + 0.2 * random()));
}
