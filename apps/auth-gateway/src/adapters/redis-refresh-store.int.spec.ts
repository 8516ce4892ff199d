import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisRefreshStore, refreshFamilyKey } from './redis-refresh-store';

// The family script against a real Redis: every outcome, and what it keeps (no token, ever).
describe('RedisRefreshStore', () => {
  let server: PrivateService;
  let redis: Redis;
  let store: RedisRefreshStore;
  const at = (nowMs: number) => ({ nowMs, graceMs: 5_000, ttlMs: 60_000 });

  beforeAll(async () => {
    server = await startPrivateRedis();
    redis = new Redis(server.url);
    store = new RedisRefreshStore(redis);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await server?.destroy();
  });

  it('rotates the current generation, replays the previous one within the grace window, then revokes', async () => {
    const fam = randomUUID();
    expect(await store.rotate(fam, 0, at(1_764_000_000_000))).toEqual({ outcome: 'rotated', issuedAtMs: 1_764_000_000_000 });
    expect(JSON.parse((await redis.get(refreshFamilyKey(fam)))!)).toEqual({ gen: 1, iatMs: 1_764_000_000_000, rotatedAt: 1_764_000_000_000 });
    expect(await redis.pttl(refreshFamilyKey(fam))).toBeGreaterThan(50_000);
    expect(await store.rotate(fam, 0, at(1_764_000_005_000))).toEqual({ outcome: 'replayed', issuedAtMs: 1_764_000_000_000 });
    expect(await store.rotate(fam, 1, at(1_764_000_006_000))).toEqual({ outcome: 'rotated', issuedAtMs: 1_764_000_006_000 });
    expect(await store.rotate(fam, 3, at(1_764_000_006_001))).toEqual({ outcome: 'unknown' });
    expect(await store.rotate(fam, 0, at(1_764_000_006_002))).toEqual({ outcome: 'reused' }); // older than the previous one
    expect(await redis.get(refreshFamilyKey(fam))).toBe('revoked');
    expect(await store.rotate(fam, 2, at(1_764_000_006_003))).toEqual({ outcome: 'revoked' });
  });

  it('revokes when the previous generation comes back after the window', async () => {
    const fam = randomUUID();
    await store.rotate(fam, 0, at(1_000_000));
    expect(await store.rotate(fam, 0, at(1_005_001))).toEqual({ outcome: 'reused' });
    expect(await store.rotate(fam, 1, at(1_005_002))).toEqual({ outcome: 'revoked' });
  });

  it('logout: revoke is idempotent, and refuses a malformed family state instead of guessing', async () => {
    const fam = randomUUID();
    await store.revoke(fam, 60_000);
    await store.revoke(fam, 60_000);
    expect(await store.rotate(fam, 0, at(1))).toEqual({ outcome: 'revoked' });
    const broken = randomUUID();
    for (const value of ['not json', '2', '{"gen":1}']) {
      await redis.set(refreshFamilyKey(broken), value);
      expect(await store.rotate(broken, 0, at(1))).toEqual({ outcome: 'unknown' });
    }
  });
});
