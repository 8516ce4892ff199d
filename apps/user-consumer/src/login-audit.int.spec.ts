import { createPrismaClient, createTestDatabase, type PrismaClient, type TestDatabase } from '@usersys/db';
import { createLoginAuditRecord, TOPICS } from '@usersys/event-schema';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { startConsumer, type RunningConsumer } from './app';
import { uniqueName } from './testing/fixtures';
import { connectProducer, startGroupsAtEnd, tailTopic, testConfig, testLog, waitFor } from './testing/harness';

// The login-audit sink: records the gateway would publish, produced here to the real topic.
describe('login-audit sink', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let producer: Producer;
  let consumer: RunningConsumer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    const config = testConfig({ DATABASE_URL: db.url, CONSUMER_LOGIN_AUDIT: 'true' });
    await startGroupsAtEnd(config);
    producer = await connectProducer();
    consumer = await startConsumer(config, testLog);
  }, 60_000);
  afterAll(async () => {
    await consumer?.stop();
    await producer?.disconnect();
    await prisma?.$disconnect();
    await db?.drop();
  }, 60_000);

  it('stores each record once (by auditId) in batches and dead-letters off-schema ones', async () => {
    const dlq = await tailTopic(TOPICS.deadLetter);
    const name = uniqueName('audit');
    const records = Array.from({ length: 40 }, (_, i) =>
      createLoginAuditRecord({ username: name, clientIp: '10.0.0.1', userAgent: 'jest', result: i % 2 ? 'success' : 'failure', reason: i % 2 ? 'ok' : 'bad_credentials', traceId: randomUUID().replace(/-/g, '') }),
    );
    const send = (values: unknown[]) =>
      producer.send({ topic: TOPICS.loginAudit, acks: -1, messages: values.map((v) => ({ key: name, value: typeof v === 'string' ? v : JSON.stringify(v), headers: { traceparent: `00-${randomUUID().replace(/-/g, '')}-${'1'.repeat(16)}-01` } })) });
    await send(records);
    await send([{ ...records[0], auditId: 'not-a-uuid' }, 'not json']);
    await send(records.slice(0, 10)); // redelivery
    const sentinel = createLoginAuditRecord({ username: name, clientIp: '10.0.0.2', userAgent: null, result: 'success', reason: 'ok', traceId: null });
    await send([sentinel]);
    await waitFor('sentinel stored', async () => prisma.loginAudit.findUnique({ where: { auditId: sentinel.auditId } }));
    expect(await prisma.loginAudit.count({ where: { username: name } })).toBe(41);
    expect(await prisma.loginAudit.findUnique({ where: { auditId: records[1].auditId } })).toMatchObject({ username: name, clientIp: '10.0.0.1', result: 'success', reason: 'ok', traceId: records[1].traceId });
    const dead = await waitFor('two dead letters', async () => {
      const mine = dlq.messages.filter((m) => m.key === name);
      return mine.length === 2 ? mine : undefined;
    });
    expect(dead.map((m) => m.headers['dlq-reason'])).toEqual([expect.stringContaining('auditId'), expect.stringContaining('invalid login-audit record')]);
    await dlq.stop();
  }, 60_000);
});
