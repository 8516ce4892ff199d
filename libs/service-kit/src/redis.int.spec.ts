import { createLogger } from '@usersys/logger';
import { startPrivateRedis, startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
import type { Cluster } from 'ioredis';
import { createRedisClient, redisReady, sendEach, type RedisClient } from './redis';

// The client every app builds from REDIS_URL + REDIS_CLUSTER_NODES, against a real Redis Cluster.
describe('createRedisClient with REDIS_CLUSTER_NODES', () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes.slice(0, 2) }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.destroy();
  });

  it('is a Cluster that logs in as REDIS_URL\'s ACL user and finds every master from two seeds', async () => {
    expect(redis.isCluster).toBe(true);
    expect(await redis.call('ACL', 'WHOAMI')).toBe('usersys');
    expect((redis as Cluster).nodes('master')).toHaveLength(3);
  });

  it('sendEach runs commands on keys in different slots, each with its own outcome', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `send-each:${k}`);
    const masters = new Set(await Promise.all(keys.map((k) => cluster.masterOf(k))));
    expect(masters.size).toBeGreaterThan(1); // the point: one pipeline could not carry these
    await sendEach(redis, keys.map((k) => ['set', k, `v-${k}`]));
    const replies = await sendEach(redis, [...keys.map((k): [string, string] => ['get', k]), ['hget', keys[0], 'x']]);
    expect(replies.slice(0, keys.length)).toEqual(keys.map((k) => [null, `v-${k}`]));
    expect(replies[keys.length][0]).toBeInstanceOf(Error); // WRONGTYPE: one failure, the others stand
  });

  it('a script over keys of two slots is refused, over keys sharing a hash tag it runs', async () => {
    await expect(redis.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, 'tag:a', 'tag:b')).rejects.toThrow(/CROSSSLOT|same slot/);
    await expect(redis.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, 'user:x:{alice}', 'user:y:{alice}')).resolves.toEqual([null, null]);
  });
});

// REDIS_KEY_PREFIX: systems sharing one Redis are kept apart by key prefix (a cluster has only
// database 0). Every way the services send keys must carry it: commands, scripts, defined commands,
// sendEach (a pipeline on one Redis, single commands on a Cluster).
describe.each([
  ['one Redis', async () => ({ ...(await startPrivateRedis()), nodes: [] as string[] })],
  ['a Redis Cluster', startPrivateRedisCluster],
])('REDIS_KEY_PREFIX on %s', (_mode, start) => {
  let server: { url: string; nodes: string[]; destroy(): Promise<void> };
  let prefixed: RedisClient;
  let plain: RedisClient;
  const log = createLogger('test', { level: 'silent' });

  beforeAll(async () => {
    server = await start();
    prefixed = createRedisClient({ redisUrl: server.url, redisClusterNodes: server.nodes, redisKeyPrefix: 'sys-a:' }, log);
    plain = createRedisClient({ redisUrl: server.url, redisClusterNodes: server.nodes }, log);
    expect(await redisReady(prefixed, 10_000)).toBe(true);
    expect(await redisReady(plain, 10_000)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    prefixed?.disconnect();
    plain?.disconnect();
    await server?.destroy();
  });

  it('puts the prefix before every key, also inside scripts and batches', async () => {
    prefixed.defineCommand('specSetTwo', { numberOfKeys: 2, lua: "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[1]) return 1" });
    await prefixed.set('k:{u1}:plain', '1');
    await prefixed.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, 'k:{u1}:eval', '1');
    await sendEach(prefixed, [['specSetTwo', 'k:{u2}:a', 'k:{u2}:b', '1'], ['set', 'k:{u3}:each', '1']]);
    const keys = ['k:{u1}:plain', 'k:{u1}:eval', 'k:{u2}:a', 'k:{u2}:b', 'k:{u3}:each'];
    expect(await Promise.all(keys.map((k) => plain.get(`sys-a:${k}`)))).toEqual(keys.map(() => '1'));
    expect(await Promise.all(keys.map((k) => plain.exists(k)))).toEqual(keys.map(() => 0));
    expect(await prefixed.get('k:{u1}:plain')).toBe('1');
  });
});
