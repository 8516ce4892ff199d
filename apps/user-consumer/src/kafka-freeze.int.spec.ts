import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { createLoginAuditRecord, encodeEvent, eventHeaders, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { KafkaClients, type ReconnectingProducer } from '@usersys/service-kit';
import { freePort, startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import { randomUUID } from 'node:crypto';
import { createdEvent, uniqueName, testConfig, testLog, waitFor, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A private broker frozen with SIGSTOP (a GC pause, a VM stall, a partition where TCP still
// connects): the consumer's Kafka clients must notice and rebuild themselves, without a restart.
describe('user-consumer through a frozen Kafka broker', () => {
  let kafka: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let consumer: TestConsumer;
  let clients: KafkaClients;
  let producer: ReconnectingProducer;

  beforeAll(async () => {
    [kafka, db] = await Promise.all([startPrivateKafka(), createTestDatabase({ migrate: true })]);
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    // The test's own producer keeps retrying each record until Kafka has it (it is not what is tested
    // here; a plain kafkajs producer with concurrent sends loses records when a request times out).
    clients = new KafkaClients({ clientId: 'uc-test-freeze', brokers: [kafka.url] }, testLog);
    producer = clients.producer('test', { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }, 240_000);
  afterAll(async () => {
    await kafka?.thaw().catch(() => {});
    await consumer?.stop();
    await clients?.close();
    await prisma?.$disconnect();
    await db?.drop();
    await kafka?.destroy();
  }, 120_000);

  async function produce(topic: string, key: string, value: Buffer | string, headers: Record<string, string>): Promise<void> {
    for (;;) {
      try {
        await producer.send({ topic, acks: -1, messages: [{ key, value, headers }] });
        return;
      } catch {
        await sleep(500);
      }
    }
  }

  /** One sign-up and one login audit every 200 ms, each sent by its own task so a send blocked by the freeze does not stop the stream. */
  function streamRecords() {
    const events: EventEnvelope[] = [];
    const audits: string[] = [];
    const auditUser = uniqueName('frzaudit');
    const inFlight: Array<Promise<void>> = [];
    let streaming = true;
    const loop = (async () => {
      while (streaming) {
        const event = createdEvent(uniqueName('frz'));
        events.push(event);
        inFlight.push(produce(TOPICS.events, event.username, encodeEvent(event), eventHeaders(event, { traceparent: `00-${randomUUID().replace(/-/g, '')}-${'1'.repeat(16)}-01` })));
        const audit = createLoginAuditRecord({ username: auditUser, clientIp: '10.0.0.1', userAgent: 'jest', result: 'success', reason: 'ok', traceId: null });
        audits.push(audit.auditId);
        inFlight.push(produce(TOPICS.loginAudit, auditUser, JSON.stringify(audit), {}));
        await sleep(200);
      }
    })();
    return {
      events,
      audits,
      stop: async () => {
        streaming = false;
        await loop;
        await Promise.all(inFlight);
      },
    };
  }

  async function expectAllStored(events: EventEnvelope[], audits: string[]): Promise<void> {
    const names = events.map((e) => e.username);
    const applied = () => prisma.user.count({ where: { username: { in: names } } });
    await waitFor('every event applied', async () => (await applied()) === names.length, 180_000, 500).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${await applied()} of ${names.length}`);
    });
    await waitFor('every login audit stored', async () => (await prisma.loginAudit.count({ where: { auditId: { in: audits } } })) === audits.length, 120_000, 500);
    expect(await prisma.processedEvent.count({ where: { eventId: { in: events.map((e) => e.eventId) } } })).toBe(events.length);
  }

  /** Polls /readyz and /healthz for the 20 s the broker stays frozen, then thaws it. */
  async function freezeFor20s(port: () => number | null): Promise<{ ready: Set<number>; health: Set<number> }> {
    const status = async (path: string) => (await fetch(`http://127.0.0.1:${port()}${path}`).catch(() => null))?.status ?? 0;
    await kafka.freeze();
    const ready = new Set<number>();
    const health = new Set<number>();
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      ready.add(await status('/readyz'));
      health.add(await status('/healthz'));
      await sleep(250);
    }
    await kafka.thaw();
    return { ready, health };
  }

  const status = async (port: number, path: string) => (await fetch(`http://127.0.0.1:${port}${path}`).catch(() => null))?.status ?? 0;

  it('keeps consuming events and login audits after a 20 s freeze under traffic; /readyz red during, green after', async () => {
    consumer = await startTestConsumer(testConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: kafka.url, CONSUMER_LOGIN_AUDIT: 'true' }));
    await waitFor('ready', async () => (await status(consumer.port, '/readyz')) === 200, 120_000, 250);
    const stream = streamRecords();
    await waitFor('first rows', async () => (await prisma.user.count()) > 0, 60_000, 250);
    const during = await freezeFor20s(() => consumer.port);
    await sleep(5000);
    await stream.stop();
    await expectAllStored(stream.events, stream.audits);
    expect(during.ready).toContain(503);
    expect(during.health).toEqual(new Set([200])); // a frozen broker is no reason to restart the consumer
    await waitFor('ready again', async () => (await status(consumer.port, '/readyz')) === 200, 120_000, 250);
    await consumer.stop();
  }, 480_000);

  // Every client connects for the first time while the broker is frozen: plain kafkajs clients stay
  // "Broker not connected" for good (the consumer used to fail its start-up).
  it('starts while the broker is frozen and catches up by itself once it answers', async () => {
    const port = await freePort();
    const stream = streamRecords();
    await sleep(2000);
    let starting: Promise<TestConsumer> | null = null;
    const during = freezeFor20s(() => port);
    await sleep(1000);
    starting = startTestConsumer(testConfig({ DATABASE_URL: db.url, KAFKA_BROKERS: kafka.url, CONSUMER_LOGIN_AUDIT: 'true' }), { port });
    const { ready, health } = await during;
    consumer = await starting;
    await sleep(5000);
    await stream.stop();
    await expectAllStored(stream.events, stream.audits);
    expect(ready).toContain(503);
    expect(health).not.toContain(503);
    await waitFor('ready again', async () => (await status(port, '/readyz')) === 200, 120_000, 250);
  }, 480_000);
});
