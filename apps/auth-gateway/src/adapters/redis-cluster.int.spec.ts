import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
import { revokeSessionsBefore } from '@usersys/user-cache';
import { randomUUID } from 'node:crypto';
import { lockoutKey, RedisLockoutStore } from './redis-lockout-store';
import { RedisRefreshStore } from './redis-refresh-store';
import { RedisRevocationLookup } from './redis-revocations';

// The gateway's Redis adapters (lockout counters, token families, revocations) against a real
// Redis Cluster, through the client the gateway builds from REDIS_CLUSTER_NODES.
describe('gateway Redis adapters on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.destroy();
  });

  it('counts failures and locks per username (one hash per user, one slot)', async () => {
    const store = new RedisLockoutStore(redis, { threshold: 2, globalThreshold: 5, windowMs: 60_000, baseLockMs: 1000, maxLockMs: 10_000 });
    for (let i = 0; i < 6; i++) {
      const name = `lc_${i}_${randomUUID().slice(0, 6)}`;
      const now = Date.now();
      await store.countFailure(name, '10.0.0.0/24', now);
      await store.countFailure(name, '10.0.0.0/24', now + 1);
      const counters = await store.read(name, '10.0.0.0/24');
      expect(counters.network).toMatchObject({ failures: 2, locks: 1 });
      expect(counters.network!.lockedUntil).toBeGreaterThan(now);
      expect((await store.readAll(name)).networks).toHaveLength(1);
      await store.clearAll(name);
      expect(await redis.exists(lockoutKey(name))).toBe(0);
    }
  });

  it('rotates, replays and revokes token families', async () => {
    const store = new RedisRefreshStore(redis);
    const at = (nowMs: number) => ({ nowMs, graceMs: 5_000, ttlMs: 60_000 });
    for (let i = 0; i < 6; i++) {
      const fam = randomUUID();
      expect(await store.rotate(fam, 0, at(1000))).toEqual({ outcome: 'rotated', issuedAtMs: 1000 });
      expect(await store.rotate(fam, 0, at(2000))).toEqual({ outcome: 'replayed', issuedAtMs: 1000 });
      expect(await store.rotate(fam, 1, at(3000))).toEqual({ outcome: 'rotated', issuedAtMs: 3000 });
      expect(await store.rotate(fam, 0, at(20_000))).toEqual({ outcome: 'reused' });
      expect(await store.rotate(fam, 2, at(20_001))).toEqual({ outcome: 'revoked' });
    }
  });

  it('reads the revocations user-command raises', async () => {
    const lookup = new RedisRevocationLookup(redis);
    const account = randomUUID();
    expect(await lookup.revokedBefore(account)).toBeNull();
    await revokeSessionsBefore(redis, account, 5000, 60_000, 2);
    expect(await lookup.revokedBefore(account)).toEqual({ beforeMs: 5000, minVersion: 2 });
  });
});
