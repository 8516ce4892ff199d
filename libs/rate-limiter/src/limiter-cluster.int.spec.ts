import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
import { randomUUID } from 'node:crypto';
import { FallbackRateLimiter, SharedLimitSettings } from './index';

// The limiter and its shared settings against a real Redis Cluster (3 masters + 3 replicas),
// through the client the gateway builds from REDIS_CLUSTER_NODES; then a master killed under load.
describe('FallbackRateLimiter on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
    // A cluster client opens its connection to each master on first use; opened here, so the first
    // consume on a loaded machine is not judged by the limiter's 100 ms deadline plus a TCP connect.
    if ('nodes' in redis) await Promise.all(redis.nodes('master').map((node) => node.ping()));
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.destroy();
  });

  it('is shared by two limiters (two replicas), for keys on every master', async () => {
    const name = `spec-${randomUUID()}`;
    const a = new FallbackRateLimiter(redis, name, { points: 2, windowMs: 60_000, enabled: true });
    const b = new FallbackRateLimiter(redis, name, { points: 2, windowMs: 60_000, enabled: true });
    const clients = Array.from({ length: 12 }, (_, i) => `10.0.${i}.1`);
    for (const ip of clients) {
      expect(await a.consume(ip)).toMatchObject({ allowed: true, degraded: false });
      expect(await b.consume(ip)).toMatchObject({ allowed: true, degraded: false });
      expect(await a.consume(ip)).toMatchObject({ allowed: false, degraded: false });
    }
  });

  it('shares settings through the cluster', async () => {
    const name = `spec-${randomUUID()}`;
    const a = new FallbackRateLimiter(redis, name, { points: 5, windowMs: 60_000, enabled: true });
    const b = new FallbackRateLimiter(redis, name, { points: 5, windowMs: 60_000, enabled: true });
    await new SharedLimitSettings(redis, name, a).save({ points: 1, windowMs: 60_000, enabled: true });
    await new SharedLimitSettings(redis, name, b).refresh();
    expect(b.settings.points).toBe(1);
  });

  it('falls back while a killed master is replaced, never fails a call, and goes back to the cluster', async () => {
    const name = `spec-${randomUUID()}`;
    const transitions: boolean[] = [];
    const limiter = new FallbackRateLimiter(redis, name, { points: 1_000_000, windowMs: 60_000, enabled: true }, { onDegradedChange: (d) => transitions.push(d) }, { probeIntervalMs: 200 });
    const victimKey = '192.0.2.1';
    const victim = await cluster.masterOf(`ratelimit:${name}:1000000:60:${victimKey}`);
    const clients = [victimKey, ...Array.from({ length: 7 }, (_, i) => `198.51.100.${i}`)];
    let stop = false;
    let calls = 0;
    let degradedDecisions = 0;
    const load = (async () => {
      while (!stop) {
        const results = await Promise.all(clients.map((ip) => limiter.consume(ip))); // a failure would reject here
        calls += results.length;
        degradedDecisions += results.filter((r) => r.degraded).length;
        expect(results.every((r) => r.allowed)).toBe(true);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 300));
      await cluster.kill(victim);
      await cluster.healthy();
      // Back on the cluster once a probe reaches the promoted replica.
      for (let i = 0; i < 100 && (limiter.isDegraded || transitions.length < 2); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      stop = true;
      await load;
    }
    expect(degradedDecisions).toBeGreaterThan(0);
    // One flag for the whole limiter: while only the victim's slots are down, a probe on another
    // client's key may switch back and the victim's next call switch to the fallback again.
    expect(transitions[0]).toBe(true);
    expect(transitions.at(-1)).toBe(false);
    expect(calls).toBeGreaterThan(degradedDecisions);
    expect(await limiter.consume(victimKey)).toMatchObject({ allowed: true, degraded: false });
    await cluster.restart(victim);
  }, 90_000);
});
