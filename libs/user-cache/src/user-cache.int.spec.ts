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
} from './index';

// Integration test: talks to the real Redis started by tools/infra.sh.
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
const unique = () => `t_${randomUUID().slice(0, 8)}`;

describe('user-cache keys against Redis', () => {
  beforeAll(() => redis.connect());
  afterAll(() => redis.quit());

  it('writes, reads and deletes a cached user', async () => {
    const user: CachedUser = {
      username: unique(), email: 'a@b.c', phone: '+4915112345678', nickname: null, role: 'user', state: 'active',
      passwordHash: '$2b$04$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY12', lastEventId: null, updatedAt: new Date().toISOString(),
    };
    await writeCachedUser(redis, user, 60_000);
    expect(await readCachedUser(redis, user.username)).toEqual(user);
    await deleteCachedUser(redis, user.username);
    expect(await readCachedUser(redis, user.username)).toBeNull();
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
