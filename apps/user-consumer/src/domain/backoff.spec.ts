import { backoffMs } from './backoff';

describe('backoffMs', () => {
  const policy = { baseMs: 1000, maxMs: 30_000 };
  it('doubles per attempt and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => backoffMs(a, policy, () => 1))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
  it('jitters downwards by at most 20 %', () => {
    expect(backoffMs(3, policy, () => 0)).toBe(3200);
  });
});
