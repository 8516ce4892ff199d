import { DEV_INTERNAL_TOKEN } from '@usersys/config';
import { startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import { randomBytes } from 'node:crypto';
import { dbClient, poll, servicesInTrace, signUp, startSystem, uniqueUser, untilApplied, type System } from './harness';

// Update, delete and force delete end to end: user-command (called the way the gateway calls it,
// with the internal token and caller headers) → WAL → wal-relay → Kafka → user-consumer → PostgreSQL.
// A private Kafka: the consumer of a fresh group reads its topic from the beginning, and the shared
// topic can hold a long backlog from other runs. Generous waits anyway, no timing assertions.
const WAIT = 90_000;

describe('user-command write paths end to end', () => {
  let system: System;
  let kafka: PrivateService;
  let command: string;
  const db = dbClient();
  const token = process.env.INTERNAL_TOKEN ?? DEV_INTERNAL_TOKEN;

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    system = await startSystem({ KAFKA_BROKERS: kafka.url });
    command = `http://127.0.0.1:${system.services.portOf('user-command')}`;
  }, 4 * WAIT);
  afterAll(async () => {
    await system?.stop();
    await kafka?.destroy();
    await db.$disconnect();
  });

  const internal = async (method: string, path: string, caller: { id?: string; role: string }, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${command}${path}`, {
      method,
      headers: { 'x-internal-token': token, 'x-caller-role': caller.role, ...(caller.id ? { 'x-caller-id': caller.id } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  async function activeUser() {
    const user = uniqueUser('wr');
    await untilApplied(system.gateway, await signUp(system.gateway, user), WAIT);
    return user;
  }

  it('applies a PATCH by the user: new nickname, email (normalised) and password hash in the row, in one trace', async () => {
    const user = await activeUser();
    const before = await db.user.findUniqueOrThrow({ where: { username: user.username } });
    const traceId = randomBytes(16).toString('hex');
    const res = await internal('PATCH', `/internal/users/${user.username}`, { id: user.username, role: 'user' }, { nickname: 'Neo', email: ` New.${user.email} `, password: 'a whole new secret' }, { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` });
    expect(res).toMatchObject({ status: 202, body: { username: user.username, state: 'pending', requestId: expect.any(String) } });
    const row = await poll('update applied', async () => {
      const r = await db.user.findUnique({ where: { username: user.username } });
      return r?.nickname === 'Neo' ? r : undefined;
    }, WAIT);
    expect(row.email).toBe(`new.${user.email.toLowerCase()}`);
    expect(row.passwordHash).not.toBe(before.passwordHash);
    const view = await internal('GET', `/internal/users/${user.username}`, { id: user.username, role: 'user' });
    expect(view.body).toMatchObject({ username: user.username, nickname: 'Neo', state: 'active' });
    expect(view.body).not.toHaveProperty('passwordHash');
    const spans = await poll('update spans in Jaeger', async () => {
      const t = await servicesInTrace(system.jaeger, traceId);
      return t.spanNames.has('checkUserExist') && t.spanNames.has('walAppend') && t.services.has('user-consumer') ? t : undefined;
    }, WAIT, 500);
    expect(spans.spanNames).toContain('ensureContactUniqueness');
    expect(spans.spanNames).toContain('hashPassword');
  }, 4 * WAIT);

  it('soft-deletes for the user, hard-deletes only for an admin, and refuses strangers', async () => {
    const user = await activeUser();
    const path = `/internal/users/${user.username}`;
    expect((await internal('DELETE', path, { id: 'someone_else', role: 'user' })).status).toBe(403);
    expect((await internal('DELETE', `${path}/force`, { id: user.username, role: 'user' })).status).toBe(403);
    expect((await internal('DELETE', path, { id: user.username, role: 'user' })).status).toBe(202);
    await poll('state deleted', async () => ((await internal('GET', `${path}/state`, { id: 'root', role: 'admin' })).body.state === 'deleted' ? true : undefined), WAIT);
    expect((await internal('PATCH', path, { id: user.username, role: 'user' }, { nickname: 'ghost' })).status).toBe(404);
    expect((await internal('DELETE', `${path}/force`, { id: 'root', role: 'admin' })).status).toBe(202);
    await poll('row gone', async () => ((await db.user.findUnique({ where: { username: user.username } })) === null ? true : undefined), WAIT);
  }, 4 * WAIT);

  it('lets exactly one of several concurrent sign-ups with the same email through', async () => {
    const email = uniqueUser('same').email;
    const users = Array.from({ length: 8 }, () => ({ ...uniqueUser('same'), email }));
    const statuses = await Promise.all(users.map(async (u) => (await fetch(`${system.gateway}/v1/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(u) })).status));
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
    const winner = users[statuses.indexOf(202)];
    await poll('winner persisted', async () => ((await db.user.findUnique({ where: { username: winner.username } })) ? true : undefined), WAIT);
    expect(await db.user.count({ where: { email: email.toLowerCase() } })).toBe(1);
  }, 4 * WAIT);
});
