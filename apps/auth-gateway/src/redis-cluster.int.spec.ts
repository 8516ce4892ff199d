import { cacheHmacKey } from '@usersys/config';
import { applyMigrations, type PrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivatePostgres, startPrivateRedisCluster, type PrivateRedisCluster, type PrivateService } from '@usersys/test-infra';
import { readCachedUser, revokeSessionsBefore, UserCacheSeal } from '@usersys/user-cache';
import { randomUUID } from 'node:crypto';
import { lockoutKey, RedisLockoutStore } from './adapters/redis-lockout-store';
import { RedisRefreshStore } from './adapters/redis-refresh-store';
import { RedisRevocationLookup } from './adapters/redis-revocations';
import { login, postJson, seedUser, startTestGateway, testPrisma, type TestGateway } from '@usersys/auth-gateway-testing';

// The gateway on a Redis Cluster (REDIS_CLUSTER_NODES) with a private PostgreSQL: login, the user
// cache, token families and the shared limit work across masters; a master killed under login load
// changes no answer (the limiter and lockouts fall back, the cache falls back to PostgreSQL).
describe('auth-gateway on a Redis Cluster', () => {
  let pg: PrivateService;
  let cluster: PrivateRedisCluster;
  let prisma: PrismaClient;
  let redis: RedisClient;
  let gateways: TestGateway[];
  let ip = 0;
  const fromIp = () => ({ 'x-forwarded-for': `10.2.${Math.floor(++ip / 250)}.${ip % 250}` });

  beforeAll(async () => {
    [pg, cluster] = await Promise.all([startPrivatePostgres(), startPrivateRedisCluster()]);
    await applyMigrations(pg.url);
    prisma = testPrisma(pg.url);
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
    const env = { REDIS_URL: cluster.url, REDIS_CLUSTER_NODES: cluster.nodes.join(','), DATABASE_URL: pg.url, TRUST_PROXY: 'loopback', LOGIN_RATE_LIMIT: '3', LOGIN_WINDOW: '1m', LOGIN_UPDATE_FLUSH_INTERVAL: '1h' };
    gateways = [await startTestGateway(env), await startTestGateway(env)];
  }, 180_000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    redis?.disconnect();
    await prisma?.$disconnect();
    await cluster?.destroy();
    await pg?.destroy();
  }, 60_000);

  it('logs in, fills the user cache and rotates the token family', async () => {
    const user = await seedUser(prisma);
    const res = await login(gateways[0].url, user.username, user.password, fromIp());
    expect(res.status).toBe(200);
    expect(await readCachedUser(redis, new UserCacheSeal(cacheHmacKey({})), user.username)).toMatchObject({ username: user.username, state: 'active' });
    const first = await postJson(`${gateways[0].url}/v1/auth/refresh`, { refreshToken: res.body.refreshToken });
    expect(first.status).toBe(200);
    expect((await postJson(`${gateways[1].url}/v1/auth/refresh`, { refreshToken: first.body.refreshToken })).status).toBe(200);
    // The first token again, long after its rotation: reuse, the family is revoked.
    expect((await postJson(`${gateways[1].url}/v1/auth/refresh`, { refreshToken: res.body.refreshToken })).status).toBe(401);
  });

  it('shares the login limit between two gateways', async () => {
    const user = await seedUser(prisma);
    const client = fromIp();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await login(gateways[i % 2].url, user.username, user.password, client)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  // The Redis adapters one by one, over keys on every master.
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

  it('a master killed under login load: every login still answered as before', async () => {
    const users = await Promise.all(Array.from({ length: 8 }, () => seedUser(prisma)));
    const statuses: number[] = [];
    let stop = false;
    const worker = async (i: number) => {
      while (!stop) statuses.push((await login(gateways[i % 2].url, users[i].username, users[i].password, fromIp())).status);
    };
    const workers = users.map((_, i) => worker(i));
    try {
      while (statuses.length < 20) await new Promise((r) => setTimeout(r, 20));
      await cluster.kill(await cluster.masterOf(`user:cache:{${users[0].username}}`));
      await cluster.healthy();
      const mark = statuses.length;
      while (statuses.length < mark + 20) await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // The kill did hit: a limiter switched to its fallback (client keys spread over every master).
    expect((await gateways[0].metric('rate_limiter_degradations_total')) + (await gateways[1].metric('rate_limiter_degradations_total'))).toBeGreaterThan(0);
  }, 120_000);
});
