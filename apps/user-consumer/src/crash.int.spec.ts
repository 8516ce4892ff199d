import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import type { EventEnvelope } from '@usersys/event-schema';
import { freePort, startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import type { Producer } from 'kafkajs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createdEvent, uniqueName, updatedEvent, connectProducer, produceEvents, SHARED_REDIS, startGroupsAtEnd, testConfig, waitFor } from '@usersys/user-consumer-testing';

const REPO = path.resolve(__dirname, '../../..');
const LOG_DIR = path.join(REPO, '.data/logs/user-consumer-tests');

// The real service process (main.ts), killed with SIGKILL mid-batch and restarted; then stopped with
// SIGTERM. A private Kafka broker: thousands of events per run must not pile up in the shared topics.
describe('user-consumer process: SIGKILL mid-batch, restart, SIGTERM', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let producer: Producer;
  let env: Record<string, string>;
  let child: ChildProcess | undefined;
  let kafka: PrivateService;

  const start = async () => {
    mkdirSync(LOG_DIR, { recursive: true });
    const port = await freePort();
    const proc = spawn(process.execPath, ['--import', 'tsx', 'apps/user-consumer/src/main.ts'], { cwd: REPO, env: { ...process.env, ...env, USER_CONSUMER_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const log = createWriteStream(path.join(LOG_DIR, 'crash.log'), { flags: 'a' });
    proc.stdout!.pipe(log);
    proc.stderr!.pipe(log);
    await waitFor('consumer /readyz', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 60_000);
    return proc;
  };
  const exited = (proc: ChildProcess) => new Promise<number | null>((resolve) => (proc.exitCode !== null ? resolve(proc.exitCode) : proc.once('exit', (code) => resolve(code))));

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    producer = await connectProducer([kafka.url]);
    const config = testConfig({});
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: SHARED_REDIS,
      KAFKA_BROKERS: kafka.url,
      CONSUMER_GROUP_ID: config.groupId,
      CONSUMER_LOGIN_AUDIT: 'false',
      CONSUMER_WRITE_BATCH_MAX: '50',
      OTEL_TRACES_EXPORTER: 'none',
      LOG_LEVEL: 'warn',
    };
    await startGroupsAtEnd(config, [kafka.url]);
  }, 180_000);

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await producer?.disconnect();
    await prisma?.$disconnect();
    await db?.drop();
    await kafka?.destroy();
  }, 60_000);

  it('applies every event exactly once in effect across a SIGKILL, then leaves cleanly on SIGTERM', async () => {
    const names = Array.from({ length: 1500 }, () => uniqueName('crash'));
    const events: EventEnvelope[] = [...names.map((n) => createdEvent(n, { nickname: 'created' })), ...names.map((n) => updatedEvent(n, { nickname: 'final' }))];
    for (let i = 0; i < events.length; i += 500) await produceEvents(producer, events.slice(i, i + 500));

    child = await start();
    await waitFor('some progress', async () => (await prisma.processedEvent.count()) >= 300, 60_000, 50);
    child.kill('SIGKILL');
    await exited(child);
    const atKill = await prisma.processedEvent.count();
    expect(atKill).toBeLessThan(events.length); // killed mid-stream, not after

    child = await start();
    await waitFor('all applied after restart', async () => (await prisma.user.count({ where: { username: { in: names }, nickname: 'final' } })) === names.length, 120_000, 500);
    expect(await prisma.user.count({ where: { username: { in: names } } })).toBe(names.length);
    expect(await prisma.processedEvent.count({ where: { eventId: { in: events.map((e) => e.eventId) } } })).toBe(events.length);

    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  }, 240_000);
});
