import { createLogger } from '@usersys/logger';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
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
