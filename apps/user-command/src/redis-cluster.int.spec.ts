import { applyMigrations } from '@usersys/db';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { startPrivatePostgres, startPrivateRedisCluster, type PrivateRedisCluster, type PrivateService } from '@usersys/test-infra';
import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady } from '@usersys/service-kit';
import { ScannedRequestRecords } from './adapters/redis-user-keys';
import { call, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// The real user-command on a Redis Cluster (REDIS_CLUSTER_NODES) with a private PostgreSQL: sign-ups
// work, and when a master is killed under load its replica takes over; meanwhile requests whose keys
// live on the dead master may be refused (503, retry), and every accepted (202) one is in the WAL.
const KEY_PREFIX = 'rc-test:';

describe('user-command on a Redis Cluster', () => {
  let pg: PrivateService;
  let cluster: PrivateRedisCluster;
  let service: Awaited<ReturnType<typeof startInProcess>>;

  beforeAll(async () => {
    [pg, cluster] = await Promise.all([startPrivatePostgres(), startPrivateRedisCluster()]);
    await applyMigrations(pg.url);
    service = await startInProcess({ databaseUrl: pg.url, redisUrl: cluster.url, redisClusterNodes: cluster.nodes, redisKeyPrefix: KEY_PREFIX, hashWorkers: 1 });
  }, 180_000);

  afterAll(async () => {
    await service?.cleanup();
    await cluster?.destroy();
    await pg?.destroy();
  });

  it('accepts a sign-up, marks it pending and refuses the same name again', async () => {
    const user = newUser();
    const res = await call(service.url, 'POST', '/internal/users', user);
    expect(res).toMatchObject({ status: 202, body: { username: user.username, state: 'pending' } });
    expect(await call(service.url, 'GET', `/internal/requests/${res.body.requestId}`)).toMatchObject({ status: 200, body: { state: 'pending' } });
    const again = await call(service.url, 'POST', '/internal/users', { ...newUser(), username: user.username });
    expect(again.status).toBe(409);
  });

  it('the lost-WAL settlement finds the request records on every master', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push((await call(service.url, 'POST', '/internal/users', newUser('scan'))).body.requestId as string);
    const redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes, redisKeyPrefix: KEY_PREFIX }, createLogger('test', { level: 'silent' }));
    try {
      expect(await redisReady(redis)).toBe(true);
      const found = new Map<string, string | undefined>();
      for await (const { requestId, record } of new ScannedRequestRecords(redis, KEY_PREFIX).all()) found.set(requestId, record.wal);
      // 12 random ids spread over the three masters' slots; each found once, under its id, with its WAL.
      for (const id of ids) expect(found.get(id)).toBe('user-command'); // the default WAL_NAME
    } finally {
      redis.disconnect();
    }
  });

  it('a master killed under load: refusals for a few seconds at most, nothing accepted lost', async () => {
    const outcomes: Array<{ status: number; requestId?: string }> = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const res = await call(service.url, 'POST', '/internal/users', newUser('rc'));
        outcomes.push({ status: res.status, requestId: res.body?.requestId as string | undefined });
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    try {
      while (outcomes.filter((o) => o.status === 202).length < 20) await new Promise((r) => setTimeout(r, 20));
      await cluster.kill(await cluster.masterOf(pendingMarkerKey('any-user')));
      await cluster.healthy();
      // Go on until sign-ups are accepted again after the take-over.
      const mark = outcomes.length;
      while (outcomes.slice(mark).filter((o) => o.status === 202).length < 20) await new Promise((r) => setTimeout(r, 20));
    } finally {
      stop = true;
      await Promise.all(workers);
    }
    const statuses = new Set(outcomes.map((o) => o.status));
    expect([...statuses].filter((s) => s !== 202 && s !== 503)).toEqual([]);
    const accepted = outcomes.filter((o) => o.status === 202).map((o) => o.requestId);
    const inWal = new Set((await walEvents(service.walPath)).map((e) => e.eventId));
    expect(accepted.filter((id) => !inWal.has(id!))).toEqual([]);
    expect(outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0); // the kill did hit requests
  }, 120_000);
});
