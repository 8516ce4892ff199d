import type { EventEnvelope } from '@usersys/event-schema';
import { createLogger } from '@usersys/logger';
import { PendingMarkerStore, pendingMarkerKey } from '@usersys/pending-marker';
import { createRedisClient, redisReady, type RedisClient } from '@usersys/service-kit';
import { startPrivateRedis, startPrivateRedisCluster } from '@usersys/test-infra';
import { contactHolder, readCachedUser, readRejection, reservationKey, reserveContact, UserCacheSeal } from '@usersys/user-cache';
import { randomUUID } from 'node:crypto';
import type { UserRow } from '../domain/ports';
import { createdEvent, uniqueName } from '@usersys/user-consumer-testing/fixtures';
import { RedisBookkeeping } from './redis-bookkeeping';

// The consumer's Redis bookkeeping on one Redis (one pipeline) and on a Redis Cluster (a user's keys
// in one slot, contacts in theirs, several users' steps spread over the masters).
describe.each([
  ['one Redis', async () => ({ ...(await startPrivateRedis()), nodes: [] as string[] })],
  ['a Redis Cluster', startPrivateRedisCluster],
])('RedisBookkeeping on %s', (_mode, start) => {
  let server: { url: string; nodes: string[]; destroy(): Promise<void> };
  let redis: RedisClient;
  let bookkeeping: RedisBookkeeping;
  let markers: PendingMarkerStore;
  const seal = new UserCacheSeal('s'.repeat(32));

  const rowOf = (event: EventEnvelope, updatedAt = new Date()): UserRow => {
    const payload = event.payload as { email: string; phone: string };
    return { username: event.username, accountId: randomUUID(), credentialVersion: 0, email: payload.email, phone: payload.phone, nickname: null, role: 'user', state: 'active', passwordHash: '$2b$04$x', lastEventId: event.eventId, updatedAt };
  };

  /** A sign-up as user-command leaves it: its marker and both contact reservations. */
  const accepted = async (): Promise<EventEnvelope> => {
    const event = createdEvent(uniqueName('bk'));
    const payload = event.payload as { email: string; phone: string };
    await markers.markIfAbsent(event.username, { eventId: event.eventId, eventType: event.type, createdAt: new Date().toISOString() });
    expect(await reserveContact(redis, 'email', payload.email, event.username)).toBe(true);
    expect(await reserveContact(redis, 'phone', payload.phone, event.username)).toBe(true);
    return event;
  };

  beforeAll(async () => {
    server = await start();
    redis = createRedisClient({ redisUrl: server.url, redisClusterNodes: server.nodes }, createLogger('test', { level: 'silent' }));
    expect(await redisReady(redis, 10_000)).toBe(true);
    bookkeeping = new RedisBookkeeping(redis, { rejectionTtlMs: 60_000, userCacheTtlMs: 60_000 }, seal);
    markers = new PendingMarkerStore(redis, { ttlMs: 60_000 });
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await server?.destroy();
  });

  it('reads the markers of many users at once', async () => {
    const events = await Promise.all(Array.from({ length: 12 }, accepted));
    const absent = uniqueName('none');
    const ids = await bookkeeping.markerEventIds([...events.map((e) => e.username), absent]);
    expect(Object.fromEntries(ids)).toEqual(Object.fromEntries([...events.map((e) => [e.username, e.eventId]), [absent, null]]));
  });

  it('settles a batch: markers cleared, reservations released, fresh cache entries, rejections recorded', async () => {
    const applied = await Promise.all(Array.from({ length: 10 }, accepted));
    const rejected = await accepted();
    const results = await bookkeeping.settle([
      ...applied.map((event) => ({ event, result: { eventId: event.eventId, kind: 'applied' as const, row: rowOf(event) } })),
      { event: rejected, result: { eventId: rejected.eventId, kind: 'rejected' as const, field: 'email', row: null } },
    ]);
    expect(results).toEqual(Array(11).fill(null));
    for (const event of [...applied, rejected]) {
      const payload = event.payload as { email: string; phone: string };
      expect(await redis.exists(pendingMarkerKey(event.username))).toBe(0);
      expect(await contactHolder(redis, 'email', payload.email)).toBeNull();
      expect(await contactHolder(redis, 'phone', payload.phone)).toBeNull();
    }
    for (const event of applied) expect(await readCachedUser(redis, seal, event.username)).toMatchObject({ username: event.username, lastEventId: event.eventId });
    expect(await readRejection(redis, rejected.username)).toMatchObject({ eventId: rejected.eventId, reason: 'email is already taken by another user' });
  });

  it('keeps a newer marker, another user\'s reservation and a newer cache entry', async () => {
    const event = await accepted();
    const payload = event.payload as { email: string; phone: string };
    const newer = randomUUID();
    await redis.del(pendingMarkerKey(event.username));
    await markers.markIfAbsent(event.username, { eventId: newer, eventType: 'user.created', createdAt: new Date().toISOString() });
    await redis.del(reservationKey('email', payload.email));
    expect(await reserveContact(redis, 'email', payload.email, 'someone_else')).toBe(true);
    await bookkeeping.refreshRows([rowOf(event, new Date(Date.now() + 60_000))]);
    expect(await bookkeeping.settle([{ event, result: { eventId: event.eventId, kind: 'applied', row: rowOf(event) } }])).toEqual([null]);
    expect((await bookkeeping.markerEventIds([event.username])).get(event.username)).toBe(newer);
    expect(await contactHolder(redis, 'email', payload.email)).toBe('someone_else');
    expect(new Date((await readCachedUser(redis, seal, event.username))!.updatedAt).getTime()).toBeGreaterThan(Date.now());
  });
});
