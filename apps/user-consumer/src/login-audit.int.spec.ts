import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { createLoginAuditRecord, TOPICS } from '@usersys/event-schema';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { uniqueName, connectProducer, startGroupsAtEnd, tailTopic, testConfig, waitFor, startTestConsumer, type TestConsumer } from '@usersys/user-consumer-testing';

// The login-audit sink: records the gateway would publish, produced here to the real topic.
describe('login-audit sink', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let producer: Producer;
  let consumer: TestConsumer;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    // Records whose username ends in "_refused" are refused by PostgreSQL as invalid data (SQLSTATE
    // 22021, what a NUL byte gives), whatever the schema lets through.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.username LIKE '%\\_refused' THEN RAISE EXCEPTION 'refused data' USING ERRCODE = '22021'; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER test_refuse_audit BEFORE INSERT ON login_audit FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()');
    const config = testConfig({ DATABASE_URL: db.url, CONSUMER_LOGIN_AUDIT: 'true' });
    await startGroupsAtEnd(config);
    producer = await connectProducer();
    consumer = await startTestConsumer(config);
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

  it('dead-letters a record the database refuses by its data (a NUL in the username, SQLSTATE 22021) and stores the rest of the batch', async () => {
    const dlq = await tailTopic(TOPICS.deadLetter);
    const name = uniqueName('audit');
    const record = (username: string) => createLoginAuditRecord({ username, clientIp: '10.0.0.3', userAgent: 'jest', result: 'failure', reason: 'bad_credentials', traceId: null });
    const good = Array.from({ length: 5 }, () => record(name));
    const refused = record(`${name}_refused`);
    const nul = { ...record(name), username: `${name}\u0000` }; // raw, as a client could have sent it
    const batch = [good[0], refused, good[1], nul, ...good.slice(2)];
    await producer.send({ topic: TOPICS.loginAudit, acks: -1, messages: batch.map((r) => ({ key: name, value: JSON.stringify(r) })) });
    await waitFor('the good records stored', async () => (await prisma.loginAudit.count({ where: { username: name } })) === good.length);
    const dead = await waitFor('both refused records dead-lettered', async () => {
      const ids = [refused.auditId, nul.auditId];
      const mine = dlq.messages.filter((m) => ids.some((id) => m.value.includes(id)));
      return mine.length === 2 ? mine : undefined;
    });
    const byTrigger = dead.find((m) => m.value.includes(refused.auditId))!;
    expect(byTrigger.headers).toMatchObject({ 'dlq-stage': 'poison', 'dlq-reason': 'invalid data' });
    expect(byTrigger.headers['dlq-error']).toContain('22021');
    expect(await prisma.loginAudit.count({ where: { auditId: { in: [refused.auditId, nul.auditId] } } })).toBe(0);
    await dlq.stop();
  }, 60_000);
});
