import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { createLogger } from '@usersys/logger';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { readRevokedBefore, readSessionRevocation, reservationKey, revokedBeforeKey, userCacheKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { call, ensureRequestOutcomeColumns, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// Accounts against the real service (real Redis, a throw-away PostgreSQL database, its WAL read
// back): account ids in the events, sessions revoked at the 202, admin disable/enable, the admin
// action log, and currentPassword never accepted. Its log lines are collected to assert on them.
describe('accounts in user-command', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let service: Awaited<ReturnType<typeof startInProcess>>;
  const logLines: string[] = [];
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true });
  const cleanup: string[] = [];
  const admin = { id: 'root', role: 'admin' as const };

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await ensureRequestOutcomeColumns(prisma);
    const log = createLogger('user-command', { level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
    service = await startInProcess({ databaseUrl: db.url }, log);
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await service?.cleanup();
    await prisma?.$disconnect();
    await db?.drop();
    if (cleanup.length) await redis.del(...cleanup);
    await redis.quit();
  });

  /** A persisted user (as the consumer would have written it), with its account id. */
  const persist = async () => {
    const user = newUser('acc');
    const row = await prisma.user.create({ data: { username: user.username, email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, ''), passwordHash: '$2b$04$' + 'x'.repeat(53) } });
    cleanup.push(userCacheKey(user.username), revokedBeforeKey(row.accountId));
    return { ...user, accountId: row.accountId, path: `/internal/users/${user.username}` };
  };
  const eventsOf = async (username: string) => (await walEvents(service.walPath)).filter((e) => e.username === username);
  const logsAbout = (username: string) => logLines.filter((l) => l.includes(username)).map((l) => JSON.parse(l) as Record<string, unknown>);

  it('a sign-up carries a new account id in its event', async () => {
    const a = newUser('acc');
    const b = newUser('acc');
    cleanup.push(pendingMarkerKey(a.username), pendingMarkerKey(b.username));
    expect((await call(service.url, 'POST', '/internal/users', a)).status).toBe(202);
    expect((await call(service.url, 'POST', '/internal/users', b)).status).toBe(202);
    const [ea] = await eventsOf(a.username);
    const [eb] = await eventsOf(b.username);
    expect(ea).toMatchObject({ type: 'user.created', schemaVersion: 2, accountId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(eb.accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(ea.accountId).not.toBe(eb.accountId);
  });

  it('a password change revokes the account\'s sessions at the 202 and its event names the account; a nickname change revokes nothing', async () => {
    const user = await persist();
    const self = { id: user.username, role: 'user' as const };
    expect((await call(service.url, 'PATCH', user.path, { nickname: 'N' }, self)).status).toBe(202);
    expect(await readRevokedBefore(redis, user.accountId)).toBeNull();
    const before = Date.now();
    const res = await call(service.url, 'PATCH', user.path, { password: 'a brand new password' }, self);
    expect(res.status).toBe(202);
    const revokedAt = await readRevokedBefore(redis, user.accountId);
    expect(revokedAt).toBeGreaterThanOrEqual(before);
    expect(revokedAt).toBeLessThanOrEqual(Date.now());
    // Tokens on the version the change replaces are revoked too (a login with the old password before it is applied).
    expect((await readSessionRevocation(redis, user.accountId))?.minVersion).toBe(1);
    expect(await redis.pttl(revokedBeforeKey(user.accountId))).toBeGreaterThan(24 * 3600_000);
    const events = await eventsOf(user.username);
    expect(events.map((e) => [e.type, e.accountId])).toEqual([
      ['user.updated', user.accountId],
      ['user.updated', user.accountId],
    ]);
    expect(events[1].eventId).toBe(res.body.requestId);
  });

  it('Redis failing at the revocation: 503, nothing in the WAL, the new email released', async () => {
    const user = await persist();
    // A key of the wrong type makes exactly the revocation step fail in the real Redis (WRONGTYPE).
    await redis.hset(revokedBeforeKey(user.accountId), 'x', '1');
    const newEmail = `changed.${user.email.toLowerCase()}`;
    const res = await call(service.url, 'PATCH', user.path, { email: newEmail, password: 'a brand new password' }, admin);
    expect(res).toMatchObject({ status: 503, body: { code: 110006 } });
    const del = await call(service.url, 'DELETE', `${user.path}/force`, undefined, admin);
    expect(del).toMatchObject({ status: 503, body: { code: 110006 } });
    expect(await eventsOf(user.username)).toEqual([]);
    expect(await redis.exists(reservationKey('email', newEmail))).toBe(0);
    // A change that revokes nothing goes through.
    expect((await call(service.url, 'PATCH', user.path, { nickname: 'fine' }, admin)).status).toBe(202);
    expect((await eventsOf(user.username)).map((e) => e.type)).toEqual(['user.updated']);
  });

  it('disable and enable: admin only, 404 for absent or deleted users, 202 with Location, events with the account id, request type disable / enable', async () => {
    const user = await persist();
    const self = { id: user.username, role: 'user' as const };
    expect(await call(service.url, 'POST', `${user.path}/disable`, undefined, self)).toMatchObject({ status: 403, body: { code: 110010 } });
    expect((await call(service.url, 'POST', `${user.path}/enable`, undefined, {})).status).toBe(403);
    expect(await call(service.url, 'POST', `/internal/users/${newUser().username}/disable`, undefined, admin)).toMatchObject({ status: 404, body: { code: 110005 } });

    const before = Date.now();
    const disabled = await call(service.url, 'POST', `${user.path}/disable`, undefined, admin);
    expect(disabled).toMatchObject({ status: 202, body: { requestId: expect.any(String), username: user.username, state: 'pending' } });
    expect(disabled.headers.get('location')).toBe(`/v1/requests/${disabled.body.requestId}`);
    expect(await readRevokedBefore(redis, user.accountId)).toBeGreaterThanOrEqual(before);
    await redis.del(revokedBeforeKey(user.accountId));
    const enabled = await call(service.url, 'POST', `${user.path}/enable`, undefined, admin);
    expect(enabled.status).toBe(202);
    expect(await readRevokedBefore(redis, user.accountId)).toBeNull(); // enabling revokes nothing
    expect((await eventsOf(user.username)).map((e) => [e.type, e.accountId, e.payload, e.eventId])).toEqual([
      ['user.disabled', user.accountId, { requestedBy: 'root' }, disabled.body.requestId],
      ['user.enabled', user.accountId, { requestedBy: 'root' }, enabled.body.requestId],
    ]);
    expect((await call(service.url, 'GET', `/internal/requests/${disabled.body.requestId}`)).body).toMatchObject({ type: 'disable', username: user.username, state: 'pending' });
    expect((await call(service.url, 'GET', `/internal/requests/${enabled.body.requestId}`)).body).toMatchObject({ type: 'enable', username: user.username, state: 'pending' });

    await prisma.user.update({ where: { username: user.username }, data: { state: 'deleted' } });
    await redis.del(userCacheKey(user.username));
    expect((await call(service.url, 'POST', `${user.path}/enable`, undefined, admin)).status).toBe(404);
  });

  it('logs one "admin action" line per admin write, with the names of the changed fields and never their values', async () => {
    const user = await persist();
    const patch = await call(service.url, 'PATCH', user.path, { nickname: 'Secretive', password: 'admin set this pw' }, admin);
    expect(patch.status).toBe(202);
    expect((await call(service.url, 'PATCH', user.path, { nickname: 'self' }, { id: user.username, role: 'user' })).status).toBe(202);
    expect((await call(service.url, 'POST', `${user.path}/disable`, undefined, admin)).status).toBe(202);
    const actions = logsAbout(user.username).filter((l) => l.msg === 'admin action');
    expect(actions.map(({ admin: who, target, action, fields }) => ({ who, target, action, fields }))).toEqual([
      { who: 'root', target: user.username, action: 'update', fields: ['nickname', 'password'] },
      { who: 'root', target: user.username, action: 'disable', fields: [] },
    ]);
    expect(actions[0]).toMatchObject({ level: 'info', requestId: patch.body.requestId });
    const all = logsAbout(user.username).map((l) => JSON.stringify(l)).join('\n');
    expect(all).not.toContain('Secretive');
    expect(all).not.toContain('admin set this pw');
  });

  it('a PATCH carrying currentPassword is a 400 naming the field: nothing in the WAL, the value in no log line', async () => {
    const user = await persist();
    const self = { id: user.username, role: 'user' as const };
    const secret = 'the-current-password-1234';
    const res = await call(service.url, 'PATCH', user.path, { password: 'a brand new password', currentPassword: secret }, self);
    expect(res).toMatchObject({ status: 400, body: { code: 110001, message: 'currentPassword: unknown field', details: { problems: [{ field: 'currentPassword', reason: 'unknown field' }] } } });
    expect(JSON.stringify(res.body)).not.toContain(secret);
    expect((await call(service.url, 'PATCH', user.path, { currentPassword: secret }, admin)).status).toBe(400);
    expect(await eventsOf(user.username)).toEqual([]);
    expect(await readRevokedBefore(redis, user.accountId)).toBeNull();
    expect(logLines.join('\n')).not.toContain(secret);
  });
});
