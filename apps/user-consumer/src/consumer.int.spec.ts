import { DEV_INTERNAL_TOKEN } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { TOPICS } from '@usersys/event-schema';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { userCacheKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createdEvent, uniqueName, updatedEvent, BROKERS, connectProducer, produceEvents, SHARED_REDIS, startGroupsAtEnd, tailTopic, testConfig, waitFor, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');

// Real Kafka (shared topics, own consumer groups), real Redis, a fresh PostgreSQL database. A trigger
// in that database makes writes for chosen usernames fail, which is how a "transient" failure is made
// without mocking anything: the database answers pings but refuses that one row.
describe('user-consumer against Kafka, Redis and PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let producer: Producer;
  let consumer: TestConsumer;
  let dlq: Awaited<ReturnType<typeof tailTopic>>;
  let databaseUrl: string;

  const failWritesFor = (name: string) => prisma.$executeRawUnsafe('INSERT INTO test_fail (username) VALUES ($1)', name);
  const healWritesFor = (name: string) => prisma.$executeRawUnsafe('DELETE FROM test_fail WHERE username = $1', name);
  const tool = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'tools/dead-letters.ts', ...args], { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: BROKERS.join(',') } });

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    databaseUrl = db.url;
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await prisma.$executeRawUnsafe('CREATE TABLE test_fail (username text PRIMARY KEY)');
    await prisma.$executeRawUnsafe(`CREATE FUNCTION test_fail_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF EXISTS (SELECT 1 FROM test_fail WHERE username = NEW.username) THEN RAISE EXCEPTION 'injected failure for %', NEW.username; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER test_fail_users BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION test_fail_check()');
    redis = new Redis(SHARED_REDIS, { maxRetriesPerRequest: 1 });
    const config = testConfig({ DATABASE_URL: db.url, CONSUMER_RETRY_MAX_ATTEMPTS: '3', CONSUMER_SETTINGS_POLL: '200ms' });
    await startGroupsAtEnd(config);
    dlq = await tailTopic(TOPICS.deadLetter);
    producer = await connectProducer();
    consumer = await startTestConsumer(config);
  }, 60_000);

  afterAll(async () => {
    await consumer?.stop();
    await dlq?.stop();
    await producer?.disconnect();
    await prisma?.$disconnect();
    redis?.disconnect();
    await db?.drop();
  }, 60_000);

  it('stores an event delivered 10 times once', async () => {
    const name = uniqueName();
    const create = createdEvent(name);
    await produceEvents(producer, Array.from({ length: 10 }, () => create));
    // Same key, same partition: once this later update is applied, all ten copies were processed.
    await produceEvents(producer, [updatedEvent(name, { nickname: 'done' })]);
    await waitFor('the update after the copies', async () => (await prisma.user.findUnique({ where: { username: name } }))?.nickname === 'done');
    expect(await prisma.user.count({ where: { username: name } })).toBe(1);
    expect(await prisma.processedEvent.count({ where: { eventId: create.eventId } })).toBe(1);
  });

  it('clears the pending marker, releases reservations and SETs the fresh cache entry', async () => {
    const name = uniqueName();
    const create = createdEvent(name, { nickname: 'cached' });
    const { email } = create.payload as { email: string };
    await redis.set(pendingMarkerKey(name), JSON.stringify({ eventId: create.eventId, eventType: create.type, createdAt: new Date().toISOString() }), 'PX', 600_000);
    await redis.set(`user:reserve:email:${email}`, name, 'PX', 600_000);
    await produceEvents(producer, [create]);
    const cached = await waitFor('cache entry', async () => redis.get(userCacheKey(name)));
    expect(JSON.parse(cached)).toMatchObject({ username: name, nickname: 'cached', state: 'active', lastEventId: create.eventId });
    expect(await redis.exists(pendingMarkerKey(name))).toBe(0);
    expect(await redis.exists(`user:reserve:email:${email}`)).toBe(0);
  });

  it('sends a poison message to the dead-letter topic and goes on with the next one', async () => {
    const name = uniqueName();
    await producer.send({ topic: TOPICS.events, messages: [{ key: name, value: Buffer.from('{"not":"an event"') }] });
    await produceEvents(producer, [createdEvent(name)]);
    await waitFor('row after the poison message', async () => prisma.user.findUnique({ where: { username: name } }));
    const letter = await waitFor('poison in the DLQ', async () => dlq.messages.find((m) => m.key === name));
    expect(letter.headers).toMatchObject({ 'dlq-stage': 'poison', 'dlq-reason': 'invalid event: not JSON' });
  });

  it('keeps order when a create fails transiently: the update waits parked behind it', async () => {
    const name = uniqueName();
    await failWritesFor(name);
    const create = createdEvent(name, { nickname: 'first' });
    const update = updatedEvent(name, { nickname: 'second' });
    await produceEvents(producer, [create, update]);
    await waitFor('update parked behind the create in retry', async () => (await prisma.parkedEvent.count({ where: { eventId: update.eventId } })) === 1);
    expect(await prisma.parkedUser.findUnique({ where: { username: name } })).toMatchObject({ headEventId: create.eventId, status: 'retrying' });
    await healWritesFor(name);
    await waitFor('create then update applied', async () => (await prisma.user.findUnique({ where: { username: name } }))?.nickname === 'second');
    await waitFor('user unparked', async () => (await prisma.parkedUser.count({ where: { username: name } })) === 0);
    expect(await prisma.processedEvent.findMany({ where: { username: name }, select: { eventId: true, outcome: true } })).toEqual(
      expect.arrayContaining([{ eventId: create.eventId, outcome: 'applied' }, { eventId: update.eventId, outcome: 'applied' }]),
    );
  }, 60_000);

  it('dead-letters after the last attempt, keeps the user parked, and the tool replays it (twice is harmless)', async () => {
    const name = uniqueName();
    await failWritesFor(name);
    const create = createdEvent(name, { nickname: 'v1' });
    const update = updatedEvent(name, { nickname: 'v2' });
    await produceEvents(producer, [create, update]);
    const letter = await waitFor('dead letter', async () => dlq.messages.find((m) => m.headers['event-id'] === create.eventId), 60_000);
    expect(letter.headers).toMatchObject({ 'dlq-stage': 'write', 'dlq-attempts': '3', 'dlq-reason': 'retries exhausted' });
    expect(letter.headers['dlq-error']).toContain('injected failure');
    await waitFor('user parked as dead', async () => (await prisma.parkedUser.findUnique({ where: { username: name } }))?.status === 'dead');
    expect(await prisma.user.findUnique({ where: { username: name } })).toBeNull();
    // the gauge the UsersParkedDead alert reads, from the consumer's own /metrics
    const dead = await prisma.parkedUser.count({ where: { status: 'dead' } });
    expect(dead).toBeGreaterThan(0);
    const page = await (await fetch(`http://127.0.0.1:${consumer.port}/metrics`)).text();
    expect(page).toMatch(new RegExp(`^user_consumer_parked_users\\{status="dead"[^}]*\\} ${dead}$`, 'm'));

    const listed = await tool('list', '--username', name, '--json');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ eventId: create.eventId, username: name, stage: 'write', parked: 'dead' })]);

    await healWritesFor(name);
    await tool('replay', '--event-id', create.eventId);
    await waitFor('replayed create and the parked update applied', async () => (await prisma.user.findUnique({ where: { username: name } }))?.nickname === 'v2', 60_000);
    await waitFor('user unparked', async () => (await prisma.parkedUser.count({ where: { username: name } })) === 0);
    const before = await prisma.user.findUnique({ where: { username: name } });

    await tool('replay', '--event-id', create.eventId);
    // Still parked-free and unchanged once the second replay went through (a later sentinel on the same key proves it).
    await produceEvents(producer, [updatedEvent(name, { nickname: 'v3' })]);
    await waitFor('sentinel', async () => (await prisma.user.findUnique({ where: { username: name } }))?.nickname === 'v3');
    const after = await prisma.user.findUnique({ where: { username: name } });
    expect(after).toMatchObject({ id: before!.id, email: before!.email, createdAt: before!.createdAt });
    expect(await prisma.user.count({ where: { username: name } })).toBe(1);
    expect(await prisma.processedEvent.count({ where: { eventId: create.eventId } })).toBe(1);
  }, 120_000);

  it('discard drops the dead letter and releases the parked events', async () => {
    const name = uniqueName();
    await failWritesFor(name);
    const update = updatedEvent(name, { nickname: 'never' });
    await produceEvents(producer, [createdEvent(name), update]);
    await waitFor('user parked as dead', async () => (await prisma.parkedUser.findUnique({ where: { username: name } }))?.status === 'dead', 60_000);
    await healWritesFor(name);
    await tool('discard', '--username', name);
    await waitFor('user unparked', async () => (await prisma.parkedUser.count({ where: { username: name } })) === 0);
    // The update found no user (the create was discarded) and was skipped, deliberately.
    expect(await prisma.processedEvent.findUnique({ where: { eventId: update.eventId } })).toMatchObject({ outcome: 'skipped' });
    expect(await prisma.user.findUnique({ where: { username: name } })).toBeNull();
  }, 120_000);

  it('degrade switch at run time: core columns only, the repair job fills the rest later', async () => {
    const admin = `http://127.0.0.1:${consumer.port}/admin/degrade`;
    const headers = { 'content-type': 'application/json', 'x-internal-token': DEV_INTERNAL_TOKEN };
    expect((await fetch(admin, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"degrade":true}' })).status).toBe(401);
    const on = await fetch(admin, { method: 'PUT', headers, body: JSON.stringify({ degrade: true }) });
    expect(await on.json()).toMatchObject({ code: 100001, data: { degrade: true, source: 'redis' } });
    try {
      const name = uniqueName();
      await produceEvents(producer, [createdEvent(name, { nickname: 'deferred' })]);
      const row = await waitFor('degraded row', async () => prisma.user.findUnique({ where: { username: name } }));
      expect(row.nickname).toBeNull();
      await fetch(admin, { method: 'PUT', headers, body: JSON.stringify({ degrade: false }) });
      await waitFor('repaired row', async () => (await prisma.user.findUnique({ where: { username: name } }))?.nickname === 'deferred', 30_000);
    } finally {
      await redis.del('user-consumer:settings:degrade');
    }
  }, 60_000);
});
