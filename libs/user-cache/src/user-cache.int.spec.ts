import { DEFAULT_REDIS_URL } from '@usersys/config';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  contactHolder,
  deleteCachedUser,
  readCachedUser,
  readRejection,
  readRequestRecord,
  requestKey,
  DEFAULT_REQUEST_TTL_MS,
  recordRejection,
  releaseContact,
  reserveContact,
  reservationKey,
  writeCachedUser,
  writeRequestRecord,
  type CachedUser,
  UserCacheSeal,
  userCacheKey,
  revokeSessionsBefore,
  readRevokedBefore,
  revokedBeforeKey,
} from './index';

// Integration test: talks to the real Redis started by tools/infra.sh.
const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
const seal = new UserCacheSeal('test cache key, 16+ bytes');
const unique = () => `t_${randomUUID().slice(0, 8)}`;

describe('user-cache keys against Redis', () => {
  beforeAll(() => redis.connect());
  afterAll(() => redis.quit());

  it('writes, reads and deletes a cached user', async () => {
    const user: CachedUser = {
      username: unique(), accountId: randomUUID(), credentialVersion: 3, email: 'a@b.c', phone: '+4915112345678', nickname: null, role: 'user', state: 'active',
      passwordHash: '$2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY12', lastEventId: null, updatedAt: new Date().toISOString(),
    };
    await writeCachedUser(redis, seal, user, 60_000);
    expect(await readCachedUser(redis, seal, user.username)).toEqual(user);
    await deleteCachedUser(redis, user.username);
    expect(await readCachedUser(redis, seal, user.username)).toBeNull();
  });

  it('reads an entry written without the seal, with another key or tampered with as a miss', async () => {
    const user: CachedUser = {
      username: unique(), accountId: randomUUID(), credentialVersion: 0, email: 'a@b.c', phone: '+4915112345678', nickname: null, role: 'user', state: 'active',
      passwordHash: '$2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY12', lastEventId: null, updatedAt: new Date().toISOString(),
    };
    await redis.set(userCacheKey(user.username), JSON.stringify({ ...user, role: 'admin' }));
    expect(await readCachedUser(redis, seal, user.username)).toBeNull();
    await writeCachedUser(redis, new UserCacheSeal('another key of at least 16 bytes'), user);
    expect(await readCachedUser(redis, seal, user.username)).toBeNull();
    await writeCachedUser(redis, seal, user);
    const sealed = (await redis.get(userCacheKey(user.username)))!;
    await redis.set(userCacheKey(user.username), sealed.replace('"role":"user"', '"role":"admin"'));
    expect(await readCachedUser(redis, seal, user.username)).toBeNull();
    // Another user's genuine entry copied under this name is not this user's either.
    const other = { ...user, username: unique() };
    await redis.set(userCacheKey(user.username), seal.seal(other));
    expect(await readCachedUser(redis, seal, user.username)).toBeNull();
    await deleteCachedUser(redis, user.username);
  });

  it('raises the revoked-before time of an account, never lowers it', async () => {
    const accountId = randomUUID();
    expect(await readRevokedBefore(redis, accountId)).toBeNull();
    await revokeSessionsBefore(redis, accountId, 2_000, 60_000);
    await revokeSessionsBefore(redis, accountId, 1_000, 1_000);
    expect(await readRevokedBefore(redis, accountId)).toBe(2_000);
    expect(await redis.pttl(revokedBeforeKey(accountId))).toBeGreaterThan(30_000);
    await revokeSessionsBefore(redis, accountId, 3_000);
    expect(await readRevokedBefore(redis, accountId)).toBe(3_000);
    await redis.del(revokedBeforeKey(accountId));
  });

  it('of 20 concurrent reservations of one email by different users exactly one wins; only the holder releases', async () => {
    const email = `${unique()}@example.com`;
    const names = Array.from({ length: 20 }, unique);
    const results = await Promise.all(names.map((n) => reserveContact(redis, 'email', email, n, 60_000)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = names[results.indexOf(true)];
    expect(await contactHolder(redis, 'email', email)).toBe(winner);
    expect(await reserveContact(redis, 'email', email, winner, 60_000)).toBe(true); // same user again: refresh
    const loser = names.find((n) => n !== winner)!;
    expect(await releaseContact(redis, 'email', email, loser)).toBe(false);
    expect(await releaseContact(redis, 'email', email, winner)).toBe(true);
    expect(await redis.exists(reservationKey('email', email))).toBe(0);
  });

  it('records a rejection with its time', async () => {
    const name = unique();
    const eventId = randomUUID();
    await recordRejection(redis, name, { eventId, reason: 'email taken' }, 60_000);
    expect(await readRejection(redis, name)).toMatchObject({ eventId, reason: 'email taken' });
  });

  it('records an accepted request under its id for 25 hours', async () => {
    const requestId = randomUUID();
    const record = { type: 'create' as const, username: unique(), acceptedAt: new Date().toISOString() };
    await writeRequestRecord(redis, requestId, record);
    expect(await readRequestRecord(redis, requestId)).toEqual(record);
    expect(await redis.pttl(requestKey(requestId))).toBeGreaterThan(DEFAULT_REQUEST_TTL_MS - 60_000);
    expect(DEFAULT_REQUEST_TTL_MS).toBeGreaterThanOrEqual(24 * 3600_000);
    expect(await readRequestRecord(redis, randomUUID())).toBeNull();
    await redis.del(requestKey(requestId));
  });
});
