import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { readCachedUser, UserCacheSeal, userCacheKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { accessEvent, createdEvent, deletedEvent, HASH, uniqueName, updatedEvent, connectProducer, produceEvents, SHARED_REDIS, startGroupsAtEnd, testConfig, waitFor, waitForCommitted, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

// Accounts through the real consumer: real Kafka (shared topic, own group), real Redis, a fresh
// PostgreSQL database. The cache entries it writes are read back through the seal with the key the
// consumer was configured with, as the gateway and user-command read them.
describe('user-consumer: accounts, credential versions, disable and enable', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let producer: Producer;
  let consumer: TestConsumer;
  let seal: UserCacheSeal;
  let groupId: string;
  const names: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    redis = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 1 });
    const config = testConfig({ DATABASE_URL: db.url, CACHE_HMAC_KEY: `test-cache-key-${randomUUID()}` });
    seal = new UserCacheSeal(config.cacheHmacKey);
    groupId = config.groupId;
    await startGroupsAtEnd(config);
    producer = await connectProducer();
    consumer = await startTestConsumer(config);
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await prisma?.$disconnect();
    if (names.length) await redis.del(...names.map(userCacheKey));
    redis?.disconnect();
    await db?.drop();
  }, 60_000);

  const name = () => {
    const n = uniqueName('acc');
    names.push(n);
    return n;
  };
  /** Waits until the consumer recorded the event, then returns its outcome. */
  const outcomeOf = (eventId: string) => waitFor(`outcome of ${eventId}`, () => prisma.processedEvent.findUnique({ where: { eventId }, select: { outcome: true, reason: true } }));

  it('inserts the account id, raises the credential version, disables and enables; each sealed cache entry carries both', async () => {
    const user = name();
    const accountId = randomUUID();
    const events = [
      createdEvent(user, { accountId }),
      updatedEvent(user, { passwordHash: HASH }, accountId),
      accessEvent(user, 'disable', accountId),
      accessEvent(user, 'enable', accountId),
    ];
    const expected = [
      { state: 'active', credentialVersion: 0 },
      { state: 'active', credentialVersion: 1 },
      { state: 'disabled', credentialVersion: 2 },
      { state: 'active', credentialVersion: 2 },
    ];
    for (const [i, event] of events.entries()) {
      await produceEvents(producer, [event]);
      expect(await outcomeOf(event.eventId)).toEqual({ outcome: 'applied', reason: null });
      expect(await prisma.user.findUnique({ where: { username: user }, select: { accountId: true, state: true, credentialVersion: true } })).toEqual({ accountId, ...expected[i] });
      // The cache is set after the row (the offset waits for both): its entry for this event appears.
      const cached = await waitFor('cache entry of this event', async () => {
        const entry = await readCachedUser(redis, seal, user);
        return entry?.lastEventId === event.eventId ? entry : null;
      });
      expect(cached).toMatchObject({ username: user, accountId, ...expected[i] });
    }
  });

  it('skips a disable for a deleted or absent user, and every event meant for a force-deleted account once its name is taken again', async () => {
    const deleted = name();
    const deletedAccount = randomUUID();
    await produceEvents(producer, [createdEvent(deleted, { accountId: deletedAccount }), deletedEvent(deleted, false, deletedAccount)]);
    const disableDeleted = accessEvent(deleted, 'disable', deletedAccount);
    const disableAbsent = accessEvent(name(), 'disable', randomUUID());
    await produceEvents(producer, [disableDeleted, disableAbsent]);
    expect(await outcomeOf(disableDeleted.eventId)).toEqual({ outcome: 'skipped', reason: 'user_deleted' });
    expect(await outcomeOf(disableAbsent.eventId)).toEqual({ outcome: 'skipped', reason: 'user_not_found' });

    const user = name();
    const oldAccount = randomUUID();
    const newAccount = randomUUID();
    const recreate = createdEvent(user, { accountId: newAccount });
    // Produced in one go, in this order (one partition per name): the old account's events arrive
    // after the name was force-deleted and taken by a new account.
    const stale = [updatedEvent(user, { passwordHash: HASH }, oldAccount), accessEvent(user, 'disable', oldAccount), deletedEvent(user, true, oldAccount)];
    const batch = [createdEvent(user, { accountId: oldAccount }), deletedEvent(user, true, oldAccount), recreate, ...stale];
    const [sent] = await produceEvents(producer, batch);
    for (const event of stale) expect(await outcomeOf(event.eventId)).toEqual({ outcome: 'skipped', reason: 'user_not_found' });
    expect(await prisma.user.findUnique({ where: { username: user }, select: { accountId: true, state: true, credentialVersion: true } })).toEqual({ accountId: newAccount, state: 'active', credentialVersion: 0 });
    // Once the whole batch is settled, the cache holds the new account: the skipped events (the
    // force delete above all) wrote no tombstone or old-account entry over it.
    await waitForCommitted(groupId, sent.partition, BigInt(sent.baseOffset!) + BigInt(batch.length - 1));
    expect(await readCachedUser(redis, seal, user)).toMatchObject({ accountId: newAccount, state: 'active', credentialVersion: 0, lastEventId: recreate.eventId });
  });
  it('a password change rejected in the database (its new email taken) still raises the credential version: the revocation user-command promised at the 202 holds, and it names that version', async () => {
    const holder = name();
    const user = name();
    const accountId = randomUUID();
    await produceEvents(producer, [createdEvent(holder), createdEvent(user, { accountId })]);
    const change = updatedEvent(user, { passwordHash: HASH, email: `${holder}@example.com` }, accountId);
    await produceEvents(producer, [change]);
    expect(await outcomeOf(change.eventId)).toMatchObject({ outcome: 'rejected' });
    expect(await prisma.user.findUnique({ where: { username: user }, select: { credentialVersion: true, email: true } })).toEqual({ credentialVersion: 1, email: `${user}@example.com` });
    const cached = await waitFor('cache entry with the raised version', async () => {
      const entry = await readCachedUser(redis, seal, user);
      return entry?.credentialVersion === 1 ? entry : null;
    });
    expect(cached).toMatchObject({ accountId, credentialVersion: 1 });
  });
});
