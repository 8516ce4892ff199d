import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { pendingMarkerKey, PENDING_MARKER_FLOOR_MS, PENDING_MARKER_MAX_JITTER_MS } from '@usersys/pending-marker';
import { cacheHmacKey, DEFAULT_REDIS_URL } from '@usersys/config';
import { readCachedUser, recordRejection, rejectionKey, reservationKey, userCacheKey, UserCacheSeal, writeCachedUser } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { call, ensureRequestOutcomeColumns, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// The service under test runs with the default (development) cache key.
const cacheSeal = new UserCacheSeal(cacheHmacKey({}));

// Integration: the real service in-process against the real Redis and a throw-away PostgreSQL
// database; the WAL is read back with WalReader. Names are unique per test, so the shared Redis is safe.
/** A caller the state endpoint answers whatever the user (the user or an admin may read it). */
const anAdmin = { id: 'root', role: 'admin' as const };

describe('user-command against real Redis and PostgreSQL', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let service: Awaited<ReturnType<typeof startInProcess>>;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true });
  const created: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await ensureRequestOutcomeColumns(prisma);
    service = await startInProcess({ databaseUrl: db.url, hashWorkers: 2 });
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await service?.cleanup();
    await prisma?.$disconnect();
    await db?.drop();
    for (const u of created) await redis.del(pendingMarkerKey(u), userCacheKey(u), rejectionKey(u));
    await redis.quit();
  });

  const create = (body: unknown) => call(service.url, 'POST', '/internal/users', body);
  const persist = async (user: ReturnType<typeof newUser>) => {
    created.push(user.username);
    return prisma.user.create({ data: { username: user.username, email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, ''), passwordHash: '$2b$04$' + 'x'.repeat(53) } });
  };
  const eventsFor = async (pred: (e: { username: string; payload: Record<string, unknown> }) => boolean) => (await walEvents(service.walPath)).filter((e) => pred(e as never));

  it('accepts a sign-up: 202, Location, event in the WAL with the hash only, marker with floor-and-jitter TTL', async () => {
    const user = newUser();
    created.push(user.username);
    const res = await create(user);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ requestId: expect.any(String), username: user.username, state: 'pending' });
    expect(res.headers.get('location')).toBe(`/v1/requests/${res.body.requestId}`);
    const [event] = await eventsFor((e) => e.username === user.username);
    expect(event).toMatchObject({ eventId: res.body.requestId, type: 'user.created', payload: { email: user.email.toLowerCase(), phone: user.phone.replace(/\s/g, '') } });
    expect(JSON.stringify(event)).not.toContain(user.password);
    const ttl = await redis.pttl(pendingMarkerKey(user.username));
    expect(ttl).toBeGreaterThan(PENDING_MARKER_FLOOR_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(PENDING_MARKER_FLOOR_MS + PENDING_MARKER_MAX_JITTER_MS);
    expect(await redis.get(reservationKey('email', user.email.toLowerCase()))).toBe(user.username);
    expect(await call(service.url, 'GET', `/internal/users/${user.username}/state`, undefined, anAdmin)).toMatchObject({ status: 200, body: { state: 'pending' } });
    expect(await call(service.url, 'GET', `/internal/requests/${res.body.requestId}`)).toMatchObject({ status: 200, body: { requestId: res.body.requestId, type: 'create', username: user.username, state: 'pending' } });
    const retry = await create(user); // the same client again: the in-flight request's id, no second event
    expect(retry).toMatchObject({ status: 202, body: { requestId: res.body.requestId } });
    expect(retry.headers.get('location')).toBe(`/v1/requests/${res.body.requestId}`);
    expect(await eventsFor((e) => e.username === user.username)).toHaveLength(1);
  });

  it('of 24 concurrent sign-ups of one username exactly one is accepted and only one event reaches the WAL', async () => {
    const base = newUser('race');
    created.push(base.username);
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => create(i % 2 ? base : { ...newUser('race'), username: base.username })));
    const accepted = new Set(results.filter((r) => r.status === 202).map((r) => r.body.requestId));
    expect(accepted.size).toBe(1);
    expect(results.filter((r) => !(r.status === 202 || (r.status === 409 && r.body.code === 110002))).map((r) => `${r.status} ${r.body.code} ${r.body.message}`)).toEqual([]);
    const events = await eventsFor((e) => e.username === base.username);
    expect(events.map((e) => e.eventId)).toEqual([...accepted]);
    // Losers released what they reserved; the winner keeps its own.
    const winner = events[0].payload as { email: string };
    const held = await redis.keys(`user:reserve:email:race.*`);
    for (const key of held) expect(key === reservationKey('email', winner.email) || (await redis.get(key)) !== base.username).toBe(true);
  });

  it('of 24 concurrent sign-ups with one email under different usernames exactly one is accepted', async () => {
    const email = newUser('same').email;
    const users = Array.from({ length: 24 }, () => ({ ...newUser('same'), email }));
    created.push(...users.map((u) => u.username));
    const results = await Promise.all(users.map(create));
    const winners = results.filter((r) => r.status === 202);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409).every((r) => r.body.code === 110003 && (r.body.details as { field: string }).field === 'email')).toBe(true);
    const events = await eventsFor((e) => e.payload.email === email.toLowerCase());
    expect(events).toHaveLength(1);
    expect(events[0].eventId).toBe(winners[0].body.requestId);
  });

  it('refuses a username, email or phone of a persisted user (cache first, then the database) and writes nothing', async () => {
    const existing = newUser();
    await persist(existing);
    const before = (await walEvents(service.walPath)).length;
    expect((await create({ ...newUser(), username: existing.username })).body).toMatchObject({ code: 110002, details: { field: 'username' } });
    expect((await create({ ...newUser(), email: ` ${existing.email.toUpperCase()} ` })).body).toMatchObject({ code: 110003, details: { field: 'email' } });
    expect((await create({ ...newUser(), phone: existing.phone.replace(/ /g, '-') })).body).toMatchObject({ code: 110004, details: { field: 'phone' } });
    // A name only the cache knows (the consumer wrote it) is refused without the row.
    const cachedOnly = newUser();
    created.push(cachedOnly.username);
    await writeCachedUser(redis, cacheSeal, { username: cachedOnly.username, accountId: randomUUID(), credentialVersion: 0, email: 'c@x.io', phone: '+4915100000000', nickname: null, role: 'user', state: 'active', passwordHash: 'h', lastEventId: null, updatedAt: new Date().toISOString() }, 60_000);
    expect((await create(cachedOnly)).status).toBe(409);
    expect(await redis.exists(reservationKey('email', cachedOnly.email.toLowerCase()))).toBe(0);
    expect((await walEvents(service.walPath)).length).toBe(before);
  });

  it('answers 400 naming the field, 413 for an oversized body, 401 without the token; nothing in the WAL', async () => {
    const before = (await walEvents(service.walPath)).length;
    const bad = await create({ ...newUser(), password: 'x'.repeat(73) });
    expect(bad).toMatchObject({ status: 400, body: { code: 110001, message: expect.stringMatching(/^password/) } });
    expect((await create({ ...newUser(), admin: true })).body).toMatchObject({ code: 110001, details: { problems: [{ field: 'admin', reason: 'unknown field' }] } });
    const big = await create({ ...newUser(), nickname: 'n'.repeat(20_000) });
    expect(big).toMatchObject({ status: 413, body: { code: 100006 } });
    const anon = await fetch(`${service.url}/internal/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(newUser()) });
    expect(anon.status).toBe(401);
    expect((await walEvents(service.walPath)).length).toBe(before);
  });

  it('reads, updates and deletes an existing user with caller checks, 404 and 409 rules', async () => {
    const user = newUser();
    await persist(user);
    const self = { id: user.username, role: 'user' as const };
    const path = `/internal/users/${user.username}`;

    const view = await call(service.url, 'GET', path, undefined, self);
    expect(view.status).toBe(200);
    expect(Object.keys(view.body).sort()).toEqual(['createdAt', 'email', 'lastLoginAt', 'nickname', 'phone', 'role', 'state', 'updatedAt', 'username']);
    expect((await call(service.url, 'GET', path, undefined, { id: 'someone_else', role: 'user' })).status).toBe(403);

    const patch = await call(service.url, 'PATCH', path, { nickname: 'Al', email: 'NEW.' + user.email, password: 'brand new pw' }, self);
    expect(patch).toMatchObject({ status: 202, body: { requestId: expect.any(String), username: user.username, state: 'pending' } });
    expect(patch.headers.get('location')).toBe(`/v1/requests/${patch.body.requestId}`);
    expect(await readCachedUser(redis, cacheSeal, user.username)).toMatchObject({ username: user.username, state: 'active' }); // filled on the miss
    expect(await redis.get(reservationKey('email', 'new.' + user.email.toLowerCase()))).toBe(user.username);
    expect((await call(service.url, 'PATCH', path, { nickname: 'x' }, { id: 'intruder', role: 'user' })).status).toBe(403);
    expect((await call(service.url, 'PATCH', path, {}, self)).status).toBe(400);
    expect((await call(service.url, 'DELETE', `${path}/force`, undefined, self)).status).toBe(403);
    const del = await call(service.url, 'DELETE', path, undefined, self);
    expect(del.status).toBe(202);
    const force = await call(service.url, 'DELETE', `${path}/force`, undefined, { id: 'root', role: 'admin' });
    expect(force.status).toBe(202);
    const events = await eventsFor((e) => e.username === user.username);
    expect(events.map((e) => e.type)).toEqual(['user.updated', 'user.deleted', 'user.force_deleted']);
    expect(events.map((e) => e.eventId)).toEqual([patch, del, force].map((r) => r.body.requestId));
    for (const [r, type] of [[patch, 'update'], [del, 'delete'], [force, 'force_delete']] as const) {
      expect(await call(service.url, 'GET', `/internal/requests/${r.body.requestId}`)).toMatchObject({ status: 200, body: { type, username: user.username, state: 'pending' } });
    }
    expect(events[0].payload).toMatchObject({ nickname: 'Al', email: 'new.' + user.email.toLowerCase(), passwordHash: expect.stringMatching(/^\$2[aby]\$04\$/) });
    expect(events[1].payload).toEqual({ requestedBy: user.username });

    const nobody = `/internal/users/${newUser().username}`;
    const admin = { id: 'root', role: 'admin' as const };
    expect((await call(service.url, 'PATCH', nobody, { nickname: 'x' }, admin)).status).toBe(404);
    expect((await call(service.url, 'DELETE', nobody, undefined, admin)).status).toBe(404);
    expect((await call(service.url, 'GET', nobody, undefined, admin)).status).toBe(404);

    const pending = newUser();
    created.push(pending.username);
    expect((await create(pending)).status).toBe(202);
    const pendingPath = `/internal/users/${pending.username}`;
    expect((await call(service.url, 'PATCH', pendingPath, { nickname: 'x' }, admin)).body).toMatchObject({ code: 110011 });
    expect((await call(service.url, 'DELETE', `${pendingPath}/force`, undefined, admin)).status).toBe(409);
  });

  it('the state endpoint answers only the user and an admin (like the gateway; the anonymous creator follows its request id)', async () => {
    const owner = newUser();
    await persist(owner);
    const path = `/internal/users/${owner.username}/state`;
    expect(await call(service.url, 'GET', path)).toMatchObject({ status: 403, body: { code: 110010 } });
    expect(await call(service.url, 'GET', path, undefined, { id: 'someone_else', role: 'user' })).toMatchObject({ status: 403, body: { code: 110010 } });
    expect(await call(service.url, 'GET', `/internal/users/${newUser().username}/state`)).toMatchObject({ status: 403 }); // not 404: says nothing to a stranger
    expect(await call(service.url, 'GET', path, undefined, { id: owner.username, role: 'user' })).toMatchObject({ status: 200, body: { state: 'active' } });
    expect(await call(service.url, 'GET', path, undefined, anAdmin)).toMatchObject({ status: 200, body: { state: 'active' } });
  });

  it('reports the state: active and deleted from the row, rejected with the reason the consumer recorded', async () => {
    const active = newUser();
    await persist(active);
    expect((await call(service.url, 'GET', `/internal/users/${active.username}/state`, undefined, anAdmin)).body).toEqual({ state: 'active' });
    const lost = newUser();
    created.push(lost.username);
    await recordRejection(redis, lost.username, { eventId: '5f0c3a4e-8d0e-4d9b-9b7a-0c1d2e3f4a5b', reason: 'email taken by a concurrent sign-up' }, 60_000);
    expect((await call(service.url, 'GET', `/internal/users/${lost.username}/state`, undefined, anAdmin)).body).toEqual({ state: 'rejected', reason: 'email taken by a concurrent sign-up' });
    await prisma.user.update({ where: { username: active.username }, data: { state: 'deleted' } });
    expect((await call(service.url, 'GET', `/internal/users/${active.username}/state`, undefined, anAdmin)).body).toEqual({ state: 'deleted' });
    expect((await call(service.url, 'GET', `/internal/users/${newUser().username}/state`, undefined, anAdmin)).status).toBe(404);
  });
});
