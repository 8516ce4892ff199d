import { pendingMarkerKey, pendingMarkerTtlMs, PENDING_MARKER_FLOOR_MS } from './index';

describe('pending marker TTL', () => {
  it('never goes below the 10-minute floor', () => {
    expect(pendingMarkerTtlMs(60_000, () => 0)).toBe(PENDING_MARKER_FLOOR_MS);
    expect(pendingMarkerTtlMs(0, () => 0)).toBe(600_000);
  });

  it('keeps a longer configured TTL', () => {
    expect(pendingMarkerTtlMs(20 * 60_000, () => 0)).toBe(1_200_000);
  });

  it('adds 0 to 5 s of jitter, spread over the whole range', () => {
    expect(pendingMarkerTtlMs(0, () => 0.999999)).toBe(605_000);
    const samples = Array.from({ length: 2000 }, () => pendingMarkerTtlMs(0) - PENDING_MARKER_FLOOR_MS);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThanOrEqual(5000);
    expect(new Set(samples.map((s) => Math.min(4, Math.floor(s / 1000)))).size).toBe(5);
  });

  it('uses the contract key, the username as hash tag', () => expect(pendingMarkerKey('alice')).toBe('user:pending:{alice}'));
});
