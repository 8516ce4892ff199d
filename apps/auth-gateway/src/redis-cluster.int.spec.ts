import { cacheHmacKey } from '@usersys/config';
import { applyMigrations, type PrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivatePostgres, startPrivateRedisCluster, type PrivateRedisCluster, type PrivateService } from '@usersys/test-infra';
import { readCachedUser, UserCacheSeal } from '@usersys/user-cache';
import { login, postJson, seedUser, startTestGateway, testPrisma, type TestGateway } from './testing/gateway-fixture';

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
