import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivateRedisCluster, type PrivateRedisCluster } from '@usersys/test-infra';
import { randomUUID } from 'node:crypto';
import {
  contactHolder,
  fillCachedUser,
  readCachedUser,
  readRejection,
  readRequestRecord,
  readSessionRevocation,
  recordRejection,
  releaseContact,
  reserveContact,
  revokeSessionsBefore,
  UserCacheSeal,
  writeCachedUser,
  writeRequestRecord,
  type CachedUser,
} from './index';

// The shared user keys (cache, reservations, rejections, requests, revocations) against a real Redis Cluster.
describe('user-cache keys on a Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisClient;
  const seal = new UserCacheSeal('k'.repeat(32));
  const user = (username: string): CachedUser => ({ username, accountId: randomUUID(), credentialVersion: 0, email: `${username}@example.com`, phone: '+4915112345678', nickname: null, role: 'user', state: 'active', passwordHash: '$2b$04$x', lastEventId: null, updatedAt: new Date().toISOString() });

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = createRedisClient({ redisUrl: cluster.url, redisClusterNodes: cluster.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await cluster?.destroy();
  });

  it('fills, writes and reads cache entries; records rejections and requests', async () => {
    for (let i = 0; i < 6; i++) {
      const name = `ucc_${i}_${randomUUID().slice(0, 6)}`;
      expect(await fillCachedUser(redis, seal, user(name))).toBe(true);
      expect(await fillCachedUser(redis, seal, user(name))).toBe(false);
      const fresh = { ...user(name), nickname: 'fresh' };
      await writeCachedUser(redis, seal, fresh);
      expect(await readCachedUser(redis, seal, name)).toEqual(fresh);
      await recordRejection(redis, name, { eventId: 'e', reason: 'email is already taken by another user' });
      expect(await readRejection(redis, name)).toMatchObject({ eventId: 'e' });
      const requestId = randomUUID();
      await writeRequestRecord(redis, requestId, { type: 'create', username: name, acceptedAt: new Date().toISOString() });
      expect(await readRequestRecord(redis, requestId)).toMatchObject({ username: name });
    }
  });

  it('reserves a contact for one user only and releases only its own', async () => {
    const email = `c.${randomUUID()}@example.com`;
    expect(await reserveContact(redis, 'email', email, 'alice')).toBe(true);
    expect(await reserveContact(redis, 'email', email, 'bob')).toBe(false);
    expect(await releaseContact(redis, 'email', email, 'bob')).toBe(false);
    expect(await contactHolder(redis, 'email', email)).toBe('alice');
    expect(await releaseContact(redis, 'email', email, 'alice')).toBe(true);
    expect(await reserveContact(redis, 'email', email, 'bob')).toBe(true);
  });

  it('only ever raises a session revocation', async () => {
    const account = randomUUID();
    await revokeSessionsBefore(redis, account, 2000, 60_000, 3);
    await revokeSessionsBefore(redis, account, 1000, 60_000, 1);
    expect(await readSessionRevocation(redis, account)).toEqual({ beforeMs: 2000, minVersion: 3 });
  });
});
