import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { decodeLoginAuditRecord, TOPICS, type LoginAuditRecord } from '@usersys/event-schema';
import { startServices, type RunningServices } from '@usersys/service-runner';
import { freePort, startPrivateKafka, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { Kafka, logLevel } from 'kafkajs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { login, seedUser, testPrisma, uniqueName } from '@usersys/auth-gateway-testing';

// The login audit trail through a Kafka outage: a real gateway process and a real wal-relay process
// over one WAL_DIR (started by the service runner, as npm start does), a private Kafka that is
// stopped while the logins happen. Every record must reach user.login-audit.v1 exactly once after
// Kafka returns, with the contract headers, and the logins must have been answered meanwhile.
const LOG_DIR = path.join(__dirname, '../../../.data/logs/audit-outage-int');

interface AuditMessage {
  key: string;
  record: LoginAuditRecord;
  headers: Record<string, string>;
}

/** Every message on the audit topic, up to the end offsets as they are now (the private broker holds only this test's). */
async function readWholeTopic(brokers: string[]): Promise<AuditMessage[]> {
  const kafka = new Kafka({ clientId: 'audit-outage-spec', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(TOPICS.loginAudit);
  await admin.disconnect();
  const total = ends.reduce((n, p) => n + Number(p.high), 0);
  const consumer = kafka.consumer({ groupId: `audit-outage-spec-${Date.now()}` });
  const messages: AuditMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPICS.loginAudit, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${messages.length} of ${total} audit messages`)), 60_000);
    const done = () => messages.length >= total && (clearTimeout(timer), resolve());
    done();
    void consumer.run({
      eachMessage: async ({ message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        messages.push({ key: String(message.key), record: decodeLoginAuditRecord(message.value!), headers });
        done();
      },
    });
  }).finally(() => consumer.disconnect());
  return messages;
}

async function metricValue(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(pattern.exec(text)?.[1] ?? NaN);
}

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('login audit through a Kafka outage (gateway WAL → wal-relay → Kafka)', () => {
  let kafka: PrivateService;
  let redis: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let walDir: string;
  let services: RunningServices | undefined;
  let restarted: RunningServices | undefined;
  let env: Record<string, string>;
  let gateway: string;
  let relay: string;

  beforeAll(async () => {
    [kafka, redis, db] = await Promise.all([startPrivateKafka(), startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    walDir = await mkdtemp(path.join(os.tmpdir(), 'audit-outage-wal-'));
    const [gatewayPort, relayPort] = [await freePort(), await freePort()];
    env = {
      AUTH_GATEWAY_PORT: String(gatewayPort),
      WAL_RELAY_PORT: String(relayPort),
      WAL_DIR: walDir,
      KAFKA_BROKERS: kafka.url,
      REDIS_URL: redis.url,
      DATABASE_URL: db.url,
      USER_COMMAND_URL: 'http://127.0.0.1:9',
      BCRYPT_COST: '4',
      LOGIN_RATE_LIMIT: '1000000',
      // Not an overload test: on a loaded CI machine the 100 ms default refused some of the parallel compares (503).
      HASH_WAIT_BUDGET: '10s',
      RELAY_RETRY_MAX: '1s',
      OTEL_TRACES_EXPORTER: 'none',
      LOG_LEVEL: 'warn',
    };
    services = await startServices({ only: ['wal-relay', 'auth-gateway'], logDir: LOG_DIR, env });
    gateway = `http://127.0.0.1:${gatewayPort}`;
    relay = `http://127.0.0.1:${relayPort}`;
  }, 240_000);

  afterAll(async () => {
    await restarted?.stop();
    await services?.stop();
    await prisma?.$disconnect();
    await Promise.all([kafka?.destroy(), redis?.destroy(), db?.drop()]);
    if (walDir) await rm(walDir, { recursive: true, force: true });
  }, 120_000);

  it('answers every login while Kafka is down, then delivers each audit record exactly once with the contract headers', async () => {
    const user = await seedUser(prisma);
    const ghosts = Array.from({ length: 10 }, () => uniqueName('ghost'));
    await kafka.stop();

    // 60 logins while the broker is down: successes, wrong passwords, unknown users, 10 at a time.
    const attempts = [
      ...Array.from({ length: 25 }, () => [user.username, user.password] as const),
      ...Array.from({ length: 25 }, (_, i) => [user.username, `wrong-${i}`] as const),
      ...ghosts.map((g) => [g, 'whatever-pw'] as const),
    ];
    const answered: Array<{ status: number; traceId?: string }> = [];
    for (let i = 0; i < attempts.length; i += 10) {
      const batch = await Promise.all(attempts.slice(i, i + 10).map(([u, p]) => login(gateway, u, p)));
      answered.push(...batch.map((r) => ({ status: r.status, traceId: r.headers.get('traceparent')?.split('-')[1] })));
    }
    expect(answered.map((a) => a.status).sort()).toEqual([...Array(25).fill(200), ...Array(35).fill(401)]);

    // The records are in the gateway's WAL, waiting: the relay counts them as its backlog.
    const logName = /kafka_producer_wal_backlog\{log="(auth-gateway-audit-[^"]+)"[^}]*\} (\d+)/;
    const waiting = await poll('the audit records in the relay backlog', async () => {
      const m = logName.exec(await (await fetch(`${relay}/metrics`)).text());
      return m && Number(m[2]) === attempts.length ? m[1] : undefined;
    });
    expect(await metricValue(relay, /wal_relay_published_total\{topic="user\.login-audit\.v1"[^}]*\} (\d+)/)).toBeNaN(); // nothing reached Kafka
    expect(await metricValue(gateway, /login_audit_written_total\{[^}]*\} (\d+)/)).toBeGreaterThanOrEqual(attempts.length);

    await kafka.start();
    await poll('the relay to drain the audit WAL', async () => ((await metricValue(relay, new RegExp(`kafka_producer_wal_backlog\\{log="${waiting}"[^}]*\\} (\\d+)`))) === 0 ? true : undefined), 120_000);

    const messages = (await readWholeTopic([kafka.url])).filter((m) => m.record.username === user.username || ghosts.includes(m.record.username));
    const ids = messages.map((m) => m.record.auditId);
    expect(new Set(ids).size).toBe(ids.length); // exactly once: no record twice
    expect(ids).toHaveLength(attempts.length); // and none missing
    expect(messages.filter((m) => m.record.result === 'success')).toHaveLength(25);
    expect(messages.filter((m) => m.record.reason === 'unknown_user').map((m) => m.record.username).sort()).toEqual([...ghosts].sort());
    for (const m of messages) {
      expect(m.key).toBe(m.record.username);
      expect(m.headers['event-id']).toBe(m.record.auditId);
      expect(m.headers['schema-version']).toBe('1');
      // The relay's publish span is a child of the login's trace, stored with the record.
      expect(m.headers.traceparent).toMatch(new RegExp(`^00-${m.record.traceId}-[0-9a-f]{16}-0[01]$`));
    }
    expect(new Set(messages.map((m) => m.record.traceId))).toEqual(new Set(answered.map((a) => a.traceId)));
  }, 300_000);

  it('a SIGKILLed gateway restarts onto its own audit WAL: what was on disk is shipped once, new records follow', async () => {
    const user = await seedUser(prisma);
    const before = await Promise.all(Array.from({ length: 10 }, () => login(gateway, user.username, user.password)));
    expect(before.map((r) => r.status)).toEqual(Array(10).fill(200));
    // On disk (the group commit finished), then a hard crash.
    await poll('the audit records on disk', async () => ((await metricValue(gateway, /login_audit_pending\{[^}]*\} (\d+)/)) === 0 ? true : undefined));
    const child = services!.processes.get('auth-gateway')!;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;

    // Same host and port → same AUDIT_WAL_NAME: the dead process's lock is taken over, its log continued.
    restarted = await startServices({ only: ['auth-gateway'], logDir: LOG_DIR, env });
    const after = await Promise.all(Array.from({ length: 10 }, () => login(gateway, user.username, 'wrong-password')));
    expect(after.map((r) => r.status)).toEqual(Array(10).fill(401));
    const logs = (await readdir(walDir)).filter((d) => d.startsWith('auth-gateway-audit-'));
    expect(logs).toHaveLength(1);

    const mine = await poll('all 20 records on the topic', async () => {
      const messages = (await readWholeTopic([kafka.url])).filter((m) => m.record.username === user.username);
      return messages.length >= 20 ? messages : undefined;
    });
    expect(mine).toHaveLength(20);
    expect(new Set(mine.map((m) => m.record.auditId)).size).toBe(20);
    expect(mine.filter((m) => m.record.result === 'success')).toHaveLength(10);
  }, 180_000);
});
