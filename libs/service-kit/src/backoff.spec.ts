import { backoffMs, doublingDelayMs } from './backoff';

describe('backoffMs', () => {
  const policy = { baseMs: 1000, maxMs: 30_000 };
  it('doubles per attempt and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => backoffMs(a, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
  it('jitters downwards by at most 20 %', () => {
    expect(backoffMs(3, policy, () => 0)).toBe(3200);
  });
  it('doubles from base to the cap, jitter only shortens', () => {
    const rebuilds = { baseMs: 500, maxMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6, 9].map((a) => backoffMs(a, rebuilds, () => 1))).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(backoffMs(2, rebuilds, () => 0)).toBe(800);
  });
});

describe('doublingDelayMs', () => {
  it('waits base on the first attempt, doubles per attempt, stops at the cap, no jitter', () => {
    expect([1, 2, 3, 4, 5, 6, 60].map((a) => doublingDelayMs(a, { baseMs: 250, maxMs: 5000 }))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
  it('treats attempt 0 as the first', () => {
    expect(doublingDelayMs(0, { baseMs: 100, maxMs: 2000 })).toBe(100);
  });
  it('stays at the cap however many attempts (no overflow to Infinity or NaN)', () => {
    expect(doublingDelayMs(5000, { baseMs: 100, maxMs: 2000 })).toBe(2000);
  });
});
