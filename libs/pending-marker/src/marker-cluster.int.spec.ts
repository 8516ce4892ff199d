import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
import { randomUUID } from 'node:crypto';
import { PendingMarkerStore, pendingMarkerKey } from './index';

// Every step of the marker (SET NX, scripts, MULTI read) against a real Redis Cluster.
describe('PendingMarkerStore on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;
  let store: PendingMarkerStore;
  const value = (eventId = randomUUID()) => ({ eventId, eventType: 'user.created', createdAt: new Date().toISOString() });

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
    store = new PendingMarkerStore(redis, { ttlMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.destroy();
  });

  it('marks, confirms, reads, refreshes and clears for names on every master', async () => {
    // Names until every master holds some (slots are hashed: a fixed few could all land on two).
    const names: string[] = [];
    const masters = new Set<string>();
    while (masters.size < 3 || names.length < 6) {
      const name = `mc_${names.length}_${randomUUID().slice(0, 6)}`;
      names.push(name);
      masters.add(await cluster.masterOf(pendingMarkerKey(name)));
    }
    for (const name of names) {
      const mine = value();
      expect((await store.markIfAbsent(name, mine)).created).toBe(true);
      expect(await store.markIfAbsent(name, value())).toMatchObject({ created: false, existing: { eventId: mine.eventId, confirmed: false } });
      expect(await store.confirm(name, mine.eventId)).toBe(true);
      const read = await store.read(name);
      expect(read?.value).toMatchObject({ eventId: mine.eventId, confirmed: true });
      expect(read!.ttlRemainingMs).toBeGreaterThan(590_000);
      expect(await store.refresh(name)).toBe(true);
      expect(await store.clear(name, randomUUID())).toBe('other');
      expect(await store.clear(name, mine.eventId)).toBe('cleared');
      expect(await store.read(name)).toBeNull();
    }
  });

  it('races: of 20 concurrent marks exactly one wins', async () => {
    const name = `mc_${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => store.markIfAbsent(name, value())));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});
