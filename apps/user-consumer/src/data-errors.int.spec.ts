import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { encodeEvent, eventHeaders, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import type { Producer } from 'kafkajs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createdEvent, uniqueName, updatedEvent, BROKERS, connectProducer, produceEvents, startGroupsAtEnd, tailTopic, testConfig, waitFor, type TopicMessage, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

const run = promisify(execFile);
const REPO = path.resolve(__dirname, '../../..');

// Issue 12, failure 2: one request must not stall its partition. Real Kafka (shared topics, own
// groups), real Redis, a fresh PostgreSQL database. Two ways to make PostgreSQL refuse an event by
// its data: the raw bytes a client could once get through ("\u0000", a lone "\ud800"), and, since the
// envelope schema may refuse those before they reach the database, a trigger that raises a real
// class-22 error (22P05 / 22021) for chosen usernames while the event itself is valid.
describe('user-consumer: data errors are not outages', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let producer: Producer;
  let consumer: TestConsumer;
  let dlq: Awaited<ReturnType<typeof tailTopic>>;
  let databaseUrl: string;

  const refuseDataFor = (name: string, sqlstate: '22P05' | '22021') => prisma.$executeRawUnsafe('INSERT INTO test_bad_data (username, sqlstate) VALUES ($1, $2)', name, sqlstate);
  const tool = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'tools/dead-letters.ts', ...args], { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: BROKERS.join(',') } });
  const send = (partition: number, messages: Array<{ key: string; value: Buffer; headers: Record<string, string> }>) => producer.send({ topic: TOPICS.events, acks: -1, messages: messages.map((m) => ({ ...m, partition })) });
  const asMessage = (e: EventEnvelope, value: Buffer = encodeEvent(e)) => ({ key: e.username, value, headers: eventHeaders(e, {}) });
  const letterOf = (eventId: string) => waitFor(`dead letter of ${eventId}`, async () => dlq.messages.find((m: TopicMessage) => m.headers['event-id'] === eventId));

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    databaseUrl = db.url;
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await prisma.$executeRawUnsafe('CREATE TABLE test_bad_data (username text PRIMARY KEY, sqlstate text NOT NULL)');
    await prisma.$executeRawUnsafe(`CREATE FUNCTION test_bad_data_check() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE s text; BEGIN SELECT sqlstate INTO s FROM test_bad_data WHERE username = NEW.username;
      IF s IS NOT NULL THEN RAISE EXCEPTION 'refused data for %', NEW.username USING ERRCODE = s; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER test_bad_data_users BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION test_bad_data_check()');
    const config = testConfig({ DATABASE_URL: db.url, CONSUMER_RETRY_MAX_ATTEMPTS: '3' });
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
    await db?.drop();
  }, 60_000);

  it('raw "\\u0000" and "\\ud800" nicknames on the topic are dead-lettered; a later valid event on the same partition is applied', async () => {
    const nul = createdEvent(uniqueName('nul'));
    const surrogate = createdEvent(uniqueName('sur'));
    const after = createdEvent(uniqueName('after'));
    // The bytes a producer could put on the topic, written directly (not through encodeEvent).
    const withNickname = (e: EventEnvelope, escaped: string) => Buffer.from(JSON.stringify(e).replace(/}}$/, `,"nickname":"${escaped}"}}`));
    expect(JSON.parse(withNickname(nul, '\\u0000').toString()).payload.nickname).toBe('\u0000');
    await send(1, [asMessage(nul, withNickname(nul, '\\u0000')), asMessage(surrogate, withNickname(surrogate, '\\ud800')), asMessage(after)]);

    await waitFor('the later event on the same partition applied', async () => prisma.user.findUnique({ where: { username: after.username } }));
    for (const e of [nul, surrogate]) {
      const letter = await letterOf(e.eventId);
      expect(await prisma.user.findUnique({ where: { username: e.username } })).toBeNull();
      // Refused by the database (stage write) today; by the envelope schema (poison) once it refuses such text.
      if (letter.headers['dlq-stage'] === 'write') {
        expect(letter.headers).toMatchObject({ 'dlq-reason': 'invalid data', 'dlq-attempts': '0' });
        expect(letter.headers['dlq-error']).toMatch(/22P05|22P02|22021/);
        expect(await prisma.parkedUser.findUnique({ where: { username: e.username } })).toMatchObject({ headEventId: e.eventId, status: 'dead', reason: 'invalid_data' });
      } else {
        expect(letter.headers['dlq-stage']).toBe('poison');
      }
    }
  }, 60_000);

  it.each(['22P05', '22021'] as const)('a row PostgreSQL refuses with %s: dead letter at once, user parked dead, its later events wait, the partition moves on', async (sqlstate) => {
    const bad = uniqueName('bad');
    const other = uniqueName('other');
    await refuseDataFor(bad, sqlstate);
    const create = createdEvent(bad);
    const update = updatedEvent(bad, { nickname: 'later' });
    const otherCreate = createdEvent(other);
    await send(2, [asMessage(create), asMessage(update), asMessage(otherCreate)]);

    await waitFor('the other user on the same partition applied', async () => prisma.user.findUnique({ where: { username: other } }));
    const letter = await letterOf(create.eventId);
    expect(letter.headers).toMatchObject({ 'dlq-stage': 'write', 'dlq-reason': 'invalid data', 'dlq-attempts': '0' });
    expect(letter.headers['dlq-error']).toContain(sqlstate);
    expect(letter.value).toBe(encodeEvent(create).toString());
    expect(await prisma.parkedUser.findUnique({ where: { username: bad } })).toMatchObject({ headEventId: create.eventId, status: 'dead', reason: 'invalid_data' });
    // The update waits behind the dead letter (its request shows waiting_behind_dead_letter).
    await waitFor('update queued behind the dead letter', async () => (await prisma.parkedEvent.count({ where: { eventId: update.eventId } })) === 1);
    expect(await prisma.processedEvent.findUnique({ where: { eventId: update.eventId } })).toBeNull();
    // Never cycled through the retry topic: a data error is not retried.
    expect(dlq.messages.filter((m) => m.headers['event-id'] === create.eventId)).toHaveLength(1);

    // An operator discards it: outcome discarded; the queued update finds no user.
    await tool('discard', '--event-id', create.eventId);
    await waitFor('user unparked', async () => (await prisma.parkedUser.count({ where: { username: bad } })) === 0, 60_000);
    expect(await prisma.processedEvent.findUnique({ where: { eventId: create.eventId } })).toMatchObject({ outcome: 'discarded', reason: 'discarded_by_operator' });
    expect(await prisma.processedEvent.findUnique({ where: { eventId: update.eventId } })).toMatchObject({ outcome: 'skipped', reason: 'user_not_found' });
  }, 90_000);

  it('a create of an existing username with another event id is rejected: username_taken', async () => {
    const name = uniqueName('taken');
    const first = createdEvent(name, { nickname: 'owner' });
    const second = createdEvent(name, { nickname: 'intruder' });
    await produceEvents(producer, [first, second]);
    await waitFor('second create recorded', async () => prisma.processedEvent.findUnique({ where: { eventId: second.eventId } }));
    expect(await prisma.processedEvent.findUnique({ where: { eventId: first.eventId } })).toMatchObject({ outcome: 'applied', reason: null });
    expect(await prisma.processedEvent.findUnique({ where: { eventId: second.eventId } })).toMatchObject({ outcome: 'rejected', reason: 'username_taken' });
    expect(await prisma.user.findUnique({ where: { username: name } })).toMatchObject({ nickname: 'owner', lastEventId: first.eventId });
  }, 60_000);
});
