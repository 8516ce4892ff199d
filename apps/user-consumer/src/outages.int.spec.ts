import { applyMigrations, createPrismaClient, type PrismaClient } from '@usersys/db';
import { TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { userCacheKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import type { Producer } from 'kafkajs';
import { createdEvent, uniqueName, updatedEvent, connectProducer, produceEvents, startGroupsAtEnd, tailTopic, testConfig, waitFor, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

// These stop dependencies, so each uses PRIVATE PostgreSQL/Redis instances (never the shared ones).
describe('user-consumer through outages', () => {
  let producer: Producer;
  beforeAll(async () => {
    producer = await connectProducer();
  });
  afterAll(async () => {
    await producer?.disconnect();
  });

  describe('PostgreSQL stopped for 30 s during a stream', () => {
    let pg: PrivateService;
    let prisma: PrismaClient;
    let consumer: TestConsumer;

    beforeAll(async () => {
      pg = await startPrivatePostgres();
      await applyMigrations(pg.url);
      prisma = createPrismaClient({ databaseUrl: pg.url, poolMax: 2 });
      const config = testConfig({ DATABASE_URL: pg.url });
      await startGroupsAtEnd(config);
      consumer = await startTestConsumer(config);
    }, 180_000);
    afterAll(async () => {
      await consumer?.stop();
      await prisma?.$disconnect();
      await pg?.destroy();
    }, 60_000);

    it('pauses instead of cycling events through retries, and applies everything once it is back', async () => {
      const dlq = await tailTopic(TOPICS.deadLetter);
      const sent: EventEnvelope[] = [];
      let streaming = true;
      const stream = (async () => {
        while (streaming) {
          const batch = Array.from({ length: 5 }, () => createdEvent(uniqueName('pgout')));
          await produceEvents(producer, batch);
          sent.push(...batch);
          await sleep(250);
        }
      })();
      await waitFor('first rows', async () => (await prisma.user.count()) > 0);
      await pg.stop();
      await sleep(30_000);
      await pg.start();
      await sleep(2_000);
      streaming = false;
      await stream;
      const names = sent.map((e) => e.username);
      await waitFor('every event applied', async () => (await prisma.user.count({ where: { username: { in: names } } })) === names.length, 120_000, 500);
      expect(await prisma.processedEvent.count({ where: { eventId: { in: sent.map((e) => e.eventId) } } })).toBe(sent.length);
      expect(await prisma.parkedUser.count()).toBe(0);
      expect(dlq.messages.filter((m) => m.key?.startsWith('pgout_'))).toEqual([]);
      expect(await metric(consumer.port, 'user_consumer_retries_total{')).toBe(0);
      await dlq.stop();
    }, 240_000);
  });

  describe('Redis stopped', () => {
    let redisService: PrivateService;
    let redis: Redis;
    let consumer: TestConsumer;
    let prisma: PrismaClient;
    let pg: PrivateService;

    beforeAll(async () => {
      [redisService, pg] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
      await applyMigrations(pg.url);
      prisma = createPrismaClient({ databaseUrl: pg.url, poolMax: 2 });
      redis = new Redis(redisService.url, { maxRetriesPerRequest: 1, lazyConnect: true });
      const config = testConfig({ DATABASE_URL: pg.url, REDIS_URL: redisService.url, CONSUMER_RETRY_MAX_ATTEMPTS: '12' });
      await startGroupsAtEnd(config);
      consumer = await startTestConsumer(config);
    }, 180_000);
    afterAll(async () => {
      await consumer?.stop();
      redis?.disconnect();
      await prisma?.$disconnect();
      await Promise.all([redisService?.destroy(), pg?.destroy()]);
    }, 60_000);

    it('still writes correctly (the database decides), and settles the cache once Redis is back', async () => {
      await redisService.stop();
      const names = Array.from({ length: 10 }, () => uniqueName('redisout'));
      const creates = names.map((n) => createdEvent(n, { nickname: 'one' }));
      await produceEvents(producer, creates);
      await produceEvents(producer, creates); // redelivered while the marker cannot be read: still one row
      await produceEvents(producer, names.map((n) => updatedEvent(n, { nickname: 'two' })));
      await waitFor('rows written without Redis', async () => (await prisma.user.count({ where: { username: { in: names }, nickname: 'two' } })) === names.length, 60_000);
      expect(await prisma.user.count({ where: { username: { in: names } } })).toBe(names.length);
      expect(await metric(consumer.port, 'user_consumer_retries_total{type="user.created",stage="bookkeeping"')).toBeGreaterThan(0);

      await redisService.start();
      await redis.connect();
      await waitFor(
        'fresh cache entries after Redis returned',
        async () => {
          const values = await redis.mget(names.map(userCacheKey));
          return values.every((v) => v !== null && (JSON.parse(v) as { nickname: string }).nickname === 'two');
        },
        90_000,
        500,
      );
    }, 240_000);
  });
});
