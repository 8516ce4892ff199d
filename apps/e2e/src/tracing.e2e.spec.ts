import { createPrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { ancestorsOf, JaegerClient, type TraceSpan } from '@usersys/trace-query';
import { poll, startSystem, uniqueUser, type System } from './harness';

// One trace per request, end to end, asserted through Jaeger's query API for each exporter the
// services can be configured with: the spans every service adds share the trace id the gateway
// returned in `traceparent`, with the parent/child shape HTTP edge → user-command → relay (Kafka
// send) → consumer (process) → database write, and a search by the username tag finds the trace.
const json = { 'content-type': 'application/json' };
const ADMIN = { ADMIN_USERNAME: 'e2e_trace_admin', ADMIN_PASSWORD: 'e2e-trace-admin-pw', ADMIN_EMAIL: 'e2e_trace_admin@usersys.local', ADMIN_PHONE: '+19990000002' };
const TRIAGE_ADMIN = { ADMIN_USERNAME: 'e2e_triage_admin', ADMIN_PASSWORD: 'e2e-triage-admin-pw', ADMIN_EMAIL: 'e2e_triage_admin@usersys.local', ADMIN_PHONE: '+19990000003' };

const sampledFlagOf = (res: Response) => res.headers.get('traceparent')!.split('-')[3];
const traceIdOf = (res: Response) => {
  const traceparent = res.headers.get('traceparent');
  expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  return traceparent!.split('-')[1];
};

/** The span named `name` (from `service`) that descends from a span matching `ancestor`. */
function spanUnder(spans: TraceSpan[], service: string, name: string, ancestor: (s: TraceSpan) => boolean): TraceSpan | undefined {
  return spans.find((s) => s.service === service && s.name === name && ancestorsOf(s, spans).some(ancestor));
}

/** The chain gateway root → user-command server span → relayPublish → `processName` → `dbName`, or undefined while any link is missing. */
function writePathIn(spans: TraceSpan[], processName: string, dbName: string) {
  const root = spans.find((s) => s.parentSpanId === null && s.service === 'auth-gateway');
  if (!root) return undefined;
  const command = spans.find((s) => s.service === 'user-command' && s.kind === 'server' && ancestorsOf(s, spans).includes(root));
  const publish = command && spanUnder(spans, 'wal-relay', 'relayPublish', (s) => s === command);
  const processing = publish && spanUnder(spans, 'user-consumer', processName, (s) => s === publish);
  const write = processing && spanUnder(spans, 'user-consumer', dbName, (s) => s === processing);
  return write ? { root, command: command!, publish: publish!, processing: processing!, write } : undefined;
}

// Each service exports its spans in its own batches, and a parent ends after its children, so one
// service's spans (or a root span) can reach Jaeger seconds after the rest: wait for the whole
// chain, not only for some of its names.
function writeTraceIn(jaeger: JaegerClient, traceId: string, processName: string, dbName: string): Promise<TraceSpan[]> {
  return poll(`trace ${traceId} with the whole write path to ${dbName}`, async () => {
    const spans = await jaeger.trace(traceId);
    return writePathIn(spans, processName, dbName) ? spans : undefined;
  }, 60_000, 500);
}

describe.each(['otlp', 'jaeger'])('one trace per request (OTEL_TRACES_EXPORTER=%s)', (exporter) => {
  let system: System;
  let db: TestDatabase;
  let prisma: ReturnType<typeof createPrismaClient>;
  const jaeger = new JaegerClient(process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686');

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2, applicationName: 'e2e-tracing' });
    // A "transient" database failure on demand: inserts and updates of listed usernames raise.
    await prisma.$executeRawUnsafe('CREATE TABLE test_fail (username text PRIMARY KEY)');
    await prisma.$executeRawUnsafe(`CREATE FUNCTION test_fail_check() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF EXISTS (SELECT 1 FROM test_fail WHERE username = NEW.username) THEN RAISE EXCEPTION 'injected failure for %', NEW.username; END IF; RETURN NEW; END $$`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER test_fail_users BEFORE INSERT OR UPDATE ON users FOR EACH ROW EXECUTE FUNCTION test_fail_check()');
    system = await startSystem({ ...ADMIN, OTEL_TRACES_EXPORTER: exporter, DATABASE_URL: db.url, CONSUMER_RETRY_BACKOFF_BASE: '300ms', CONSUMER_RETRY_BACKOFF_MAX: '1s' });
  });
  afterAll(async () => {
    await system?.stop();
    await prisma?.$disconnect();
    await db?.drop();
  });

  const signUp = async () => {
    const user = uniqueUser('trace');
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    return { user, traceId: traceIdOf(res) };
  };
  const untilActive = (username: string) => poll(`${username} active`, async () => ((await prisma.user.findUnique({ where: { username } }))?.state === 'active' ? true : undefined), 60_000);
  const traceWith = (traceId: string, names: string[]) =>
    poll(`trace ${traceId} with ${names.join(', ')}`, async () => {
      const spans = await jaeger.trace(traceId);
      return names.every((n) => spans.some((s) => s.name === n)) ? spans : undefined;
    }, 60_000, 500);
  const writeTrace = (traceId: string, processName: string, dbName: string) => writeTraceIn(jaeger, traceId, processName, dbName);
  const loginAs = async (username: string, password: string) => {
    const res = await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
    expect(res.status).toBe(200);
    return { traceId: traceIdOf(res), token: ((await res.json()) as { accessToken: string }).accessToken };
  };

  /** Gateway root → user-command → relayPublish → process<Op> → <db span>, all in this trace. */
  function expectWritePath(spans: TraceSpan[], processName: string, dbName: string): void {
    const root = spans.find((s) => s.parentSpanId === null);
    expect(root?.service).toBe('auth-gateway');
    const path = writePathIn(spans, processName, dbName);
    expect(path).toBeDefined();
    const { publish, processing } = path!;
    expect(publish.kind).toBe('producer');
    expect(processing.kind).toBe('consumer');
    expect(processing.attributes).toMatchObject({ 'messaging.destination.name': 'user.events.v1', 'event.id': publish.attributes['event.id'] });
  }

  it('create: HTTP edge to database write in the trace the 202 named, found by the username tag', async () => {
    const { user, traceId } = await signUp();
    await untilActive(user.username);
    const spans = await writeTrace(traceId, 'processCreateOperation', 'createUserInDB');
    expect(spans.some((s) => s.name === 'walAppend')).toBe(true);
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([traceId]));
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer']));
    expectWritePath(spans, 'processCreateOperation', 'createUserInDB');
    for (const step of ['checkUserExist', 'ensureContactUniqueness', 'hashPassword', 'markUserPendingCreate', 'walAppend']) {
      expect(spans.some((s) => s.service === 'user-command' && s.name === step)).toBe(true);
    }
    const found = await poll('username tag search', async () => ((await jaeger.traceIdsForUser(user.username)).includes(traceId) ? true : undefined), 30_000, 500);
    expect(found).toBe(true);
  });

  it('update and delete: each its own trace through the relay to the database', async () => {
    const { user } = await signUp();
    await untilActive(user.username);
    const { token } = await loginAs(user.username, user.password);
    const auth = { ...json, authorization: `Bearer ${token}` };

    const patch = await fetch(`${system.gateway}/v1/users/${user.username}`, { method: 'PATCH', headers: auth, body: JSON.stringify({ nickname: 'traced' }) });
    expect(patch.status).toBe(202);
    const updateTrace = traceIdOf(patch);
    expectWritePath(await writeTrace(updateTrace, 'processUpdateOperation', 'updateUserInDB'), 'processUpdateOperation', 'updateUserInDB');
    await poll('nickname applied', async () => ((await prisma.user.findUnique({ where: { username: user.username } }))?.nickname === 'traced' ? true : undefined), 30_000);

    const del = await fetch(`${system.gateway}/v1/users/${user.username}`, { method: 'DELETE', headers: auth });
    expect(del.status).toBe(202);
    const deleteTrace = traceIdOf(del);
    expect(deleteTrace).not.toBe(updateTrace);
    expectWritePath(await writeTrace(deleteTrace, 'processDeleteOperation', 'deleteUserInDB'), 'processDeleteOperation', 'deleteUserInDB');
  });

  it('login: fast-fail, rate limit, credential cache and bcrypt compare under the request span', async () => {
    const { user } = await signUp();
    await untilActive(user.username);
    const { traceId } = await loginAs(user.username, user.password);
    const spans = await traceWith(traceId, ['POST /v1/auth/login', 'fastFail', 'rateLimit', 'credentialCache', 'bcryptCompare']);
    const root = spans.find((s) => s.parentSpanId === null)!;
    expect(root.service).toBe('auth-gateway');
    for (const step of ['fastFail', 'rateLimit', 'credentialCache', 'bcryptCompare']) {
      expect(spanUnder(spans, 'auth-gateway', step, (s) => s === root)).toBeDefined();
    }
  });

  it('a create that fails transiently and goes through user.retry.v1 stays in its trace', async () => {
    const user = uniqueUser('retry');
    await prisma.$executeRawUnsafe('INSERT INTO test_fail (username) VALUES ($1)', user.username);
    const res = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    const traceId = traceIdOf(res);
    // Heal once the first attempt has failed (the user is parked), so the retry succeeds.
    await poll('first attempt failed and parked', async () => ((await prisma.$queryRawUnsafe<{ n: number }[]>('SELECT count(*)::int AS n FROM consumer_parked_users WHERE username = $1', user.username))[0].n > 0 ? true : undefined), 30_000);
    await prisma.$executeRawUnsafe('DELETE FROM test_fail WHERE username = $1', user.username);
    await untilActive(user.username);

    const spans = await poll(`retry span in trace ${traceId}`, async () => {
      const all = await jaeger.trace(traceId);
      // every service exports its own span batches: wait for the relay's too, not only the consumer's
      const complete = all.some((s) => s.name === 'relayPublish') && all.some((s) => s.name === 'processCreateOperation' && s.attributes['messaging.destination.name'] === 'user.retry.v1') && all.some((s) => s.name === 'createUserInDB' && s.status !== 'error');
      return complete ? all : undefined;
    }, 60_000, 500);
    const publish = spans.find((s) => s.name === 'relayPublish')!;
    const attempts = spans.filter((s) => s.name === 'processCreateOperation');
    expect(attempts.map((s) => s.attributes['messaging.destination.name'])).toEqual(expect.arrayContaining(['user.events.v1', 'user.retry.v1']));
    for (const attempt of attempts) {
      expect(attempt.attributes['event.id']).toBe(publish.attributes['event.id']);
      expect(ancestorsOf(attempt, spans)).toContain(publish);
    }
  });
});

// The shipped policy (libs/tracing/src/triage.ts) with the success ratio at 0, so that "not picked"
// is certain: a fast successful login leaves no trace in Jaeger, while a failed one, whose
// traceparent a client reports, is found whole; writes are always kept.
describe('triage: failed requests keep their whole trace, fast successful logins are sampled (TRACE_SUCCESS_SAMPLE_RATIO=0)', () => {
  let system: System;
  let db: TestDatabase;
  let prisma: ReturnType<typeof createPrismaClient>;
  const jaeger = new JaegerClient(process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686');

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2, applicationName: 'e2e-triage' });
    // A slow threshold no request here reaches, so a loaded machine cannot turn "dropped" into "kept
    // as slow" (the slow rule is covered in libs/tracing/src/triage.spec.ts).
    system = await startSystem({ ...TRIAGE_ADMIN, DATABASE_URL: db.url, TRACE_SUCCESS_SAMPLE_RATIO: '0', TRACE_SLOW_MS: '600000' });
  });
  afterAll(async () => {
    await system?.stop();
    await prisma?.$disconnect();
    await db?.drop();
  });

  const login = (body: unknown) => fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify(body) });
  const traceWith = (traceId: string, names: string[]) =>
    poll(`trace ${traceId} with ${names.join(', ')}`, async () => {
      const spans = await jaeger.trace(traceId);
      return names.every((n) => spans.some((s) => s.name === n)) ? spans : undefined;
    }, 60_000, 500);

  it('a sign-up (a write) is kept, a fast successful login is not, a refused login is, with every step under its request span', async () => {
    const user = uniqueUser('triage');
    const created = await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    expect(created.status).toBe(202);
    expect(sampledFlagOf(created)).toBe('01');
    const createSpans = await writeTraceIn(jaeger, traceIdOf(created), 'processCreateOperation', 'createUserInDB');
    expect(new Set(createSpans.map((s) => s.service))).toEqual(new Set(['auth-gateway', 'user-command', 'wal-relay', 'user-consumer']));
    await poll(`${user.username} active`, async () => ((await prisma.user.findUnique({ where: { username: user.username } }))?.state === 'active' ? true : undefined), 60_000);

    const ok = await login({ username: user.username, password: user.password });
    expect(ok.status).toBe(200);
    expect(sampledFlagOf(ok)).toBe('00'); // not sampled: the relay and consumer record nothing for it either
    const okTrace = traceIdOf(ok);

    const refused = await login({ username: user.username, password: 'not-the-password' });
    expect(refused.status).toBe(401);
    const refusedTrace = traceIdOf(refused);
    const spans = await traceWith(refusedTrace, ['POST /v1/auth/login', 'fastFail', 'rateLimit', 'credentialCache', 'bcryptCompare']);
    const root = spans.find((s) => s.parentSpanId === null)!;
    expect(root).toMatchObject({ service: 'auth-gateway', kind: 'server', name: 'POST /v1/auth/login' });
    expect(root.attributes['http.response.status_code']).toBe(401);
    for (const step of ['fastFail', 'rateLimit', 'credentialCache', 'bcryptCompare']) {
      expect(spanUnder(spans, 'auth-gateway', step, (s) => s === root)).toBeDefined();
    }
    expect(new Set(spans.map((s) => s.traceId))).toEqual(new Set([refusedTrace]));

    // The successful login ended before the refused one started and both left through the same
    // export queue in order, so had its spans been sent they would be in Jaeger by now.
    expect(await jaeger.trace(okTrace)).toEqual([]);
  });

  it('a malformed login (400) is kept: the traceparent of any refusal finds its trace', async () => {
    const res = await login({ username: 'x' });
    expect(res.status).toBe(400);
    const spans = await traceWith(traceIdOf(res), ['POST /v1/auth/login']);
    expect(spans.find((s) => s.parentSpanId === null)?.attributes['http.response.status_code']).toBe(400);
  });
});
