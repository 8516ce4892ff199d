import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient, type PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { createEvent } from '@usersys/event-schema';
import { pendingMarkerKey, PendingMarkerStore } from '@usersys/pending-marker';
import { contactHolder, rejectionKey, requestKey, userCacheKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { call, ensureRequestOutcomeColumns, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

// Integration: one winner per username and the request-state endpoint, against the real service,
// the real Redis and a throw-away PostgreSQL database. The consumer is played by the test: it
// inserts rows and clears markers the way user-consumer does (row committed, then marker cleared).
describe('one winner per username, and request state', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  let service: Awaited<ReturnType<typeof startInProcess>>;
  const redis = new Redis(process.env.REDIS_URL ?? DEFAULT_REDIS_URL, { lazyConnect: true });
  const markers = new PendingMarkerStore(redis, { ttlMs: 0 });
  const names: string[] = [];
  const requestIds: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: true });
    prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    await ensureRequestOutcomeColumns(prisma);
    // A slow hash (cost 12, one worker: hashes queue one after another) keeps the racers in the
    // hash step while the first sign-up's row is committed and its marker cleared (so no wait budget).
    service = await startInProcess({ databaseUrl: db.url, bcryptCost: 12, hashWorkers: 1, hashWaitBudgetMs: 10 * 60_000 });
    await redis.connect();
  }, 120_000);
  afterAll(async () => {
    await service?.cleanup();
    await prisma?.$disconnect();
    await db?.drop();
    for (const u of names) await redis.del(pendingMarkerKey(u), userCacheKey(u), rejectionKey(u));
    for (const id of requestIds) await redis.del(requestKey(id));
    await redis.quit();
  });

  const create = (body: unknown) => call(service.url, 'POST', '/internal/users', body);
  const requestState = (id: string) => call(service.url, 'GET', `/internal/requests/${id}`);

  it('24 sign-ups of one name while the first is applied mid-way: one request id is accepted, everyone else 409', async () => {
    const first = newUser('win');
    names.push(first.username);
    const accepted = await create(first);
    expect(accepted.status).toBe(202);
    const winnerId = accepted.body.requestId as string;
    requestIds.push(winnerId);

    // 23 more: every other one the same client retrying, the rest different people wanting the name.
    const others = Array.from({ length: 23 }, (_, i) => (i % 2 ? first : { ...newUser('win'), username: first.username }));
    const answered: number[] = [];
    const racing = others.map((body, i) => create(body).then((r) => (answered.push(i), r)));
    // Wait until the different sign-ups have passed uniqueness (each holds its email reservation: no
    // row yet) and hash, one at a time in the single worker. Stop waiting once all were seen holding,
    // or as soon as one has answered: on a loaded machine the last may pass uniqueness only after the
    // first finished hashing (and gave its reservation back), so "all at once" may never happen.
    const strangers = others.filter((o) => o !== first);
    const seen = new Set<number>();
    for (let i = 0; i < 4000 && seen.size < strangers.length && !(seen.size > 0 && answered.length > 0); i++) {
      const holders = await Promise.all(strangers.map((o) => contactHolder(redis, 'email', o.email.toLowerCase())));
      holders.forEach((h, n) => h === first.username && seen.add(n));
      await new Promise((r) => setTimeout(r, 5));
    }
    // The consumer applies the first sign-up: the row is committed, then its marker cleared.
    await prisma.user.create({ data: { username: first.username, email: first.email.toLowerCase(), phone: first.phone.replace(/\s/g, ''), passwordHash: '$2b$04$' + 'x'.repeat(53), lastEventId: winnerId } });
    expect(await markers.clear(first.username, winnerId)).toBe('cleared');
    const stillHashing = others.length - answered.length;
    const results = await Promise.all(racing);

    expect(stillHashing).toBeGreaterThan(0); // the window was really open: some came to the marker after it was cleared
    for (const r of results) {
      if (r.status === 202) expect(r.body.requestId).toBe(winnerId); // only the applied request's id, to its own client
      else expect(r).toMatchObject({ status: 409, body: { code: 110002, details: { field: 'username' } } });
    }
    const events = (await walEvents(service.walPath)).filter((e) => e.username === first.username);
    expect(events.map((e) => e.eventId)).toEqual([winnerId]);
    // Whoever won the cleared marker gave it back when PostgreSQL said the name was taken.
    expect(await redis.exists(pendingMarkerKey(first.username))).toBe(0);
  }, 180_000);

  describe('GET /internal/requests/:requestId over real rows', () => {
    const processed = async (eventType: string, outcome: string, reason: string | null) => {
      const id = randomUUID();
      const username = newUser('rq').username;
      await prisma.$executeRawUnsafe('INSERT INTO processed_events (event_id, username, event_type, outcome, reason) VALUES ($1::uuid, $2, $3, $4, $5)', id, username, eventType, outcome, reason);
      return { id, username };
    };
    // The parked payload columns are jsonb today and bytea after the consumer's migration: write
    // whichever the column is.
    const payload = async (table: string, column: string, n: number) => {
      const [{ data_type }] = await prisma.$queryRawUnsafe<{ data_type: string }[]>('SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = $2', table, column);
      return data_type === 'bytea' ? `convert_to($${n}, 'UTF8')` : `$${n}::jsonb`;
    };
    const park = async (status: 'dead' | 'retrying', reason: string | null) => {
      const username = newUser('rq').username;
      const head = createEvent('user.created', username, { email: `${username}@x.io`, phone: '+4915100000000', nickname: null, passwordHash: '$2b$04$' + 'x'.repeat(53), role: 'user' });
      const behind = createEvent('user.updated', username, { nickname: 'later' });
      await prisma.$executeRawUnsafe(
        `INSERT INTO consumer_parked_users (username, head_event_id, status, attempts, head_event, head_headers, reason) VALUES ($1, $2::uuid, $3, 5, ${await payload('consumer_parked_users', 'head_event', 4)}, ${await payload('consumer_parked_users', 'head_headers', 5)}, $6)`,
        username, head.eventId, status, JSON.stringify(head), '{}', reason,
      );
      await prisma.$executeRawUnsafe(
        `INSERT INTO consumer_parked_events (username, event_id, event, headers) VALUES ($1, $2::uuid, ${await payload('consumer_parked_events', 'event', 3)}, ${await payload('consumer_parked_events', 'headers', 4)})`,
        username, behind.eventId, JSON.stringify(behind), '{}',
      );
      return { username, head: head.eventId, behind: behind.eventId };
    };

    it('applied and rejected from processed_events, whatever Redis says', async () => {
      const applied = await processed('user.created', 'applied', null);
      await redis.set(requestKey(applied.id), JSON.stringify({ type: 'create', username: applied.username, acceptedAt: new Date().toISOString() }), 'PX', 60_000);
      requestIds.push(applied.id);
      expect((await requestState(applied.id)).body).toEqual({ requestId: applied.id, type: 'create', username: applied.username, state: 'applied' });
      const taken = await processed('user.created', 'rejected', 'username_taken');
      expect((await requestState(taken.id)).body).toEqual({ requestId: taken.id, type: 'create', username: taken.username, state: 'rejected', reason: 'username_taken' });
      const gone = await processed('user.updated', 'skipped', 'user_not_found');
      expect((await requestState(gone.id)).body).toEqual({ requestId: gone.id, type: 'update', username: gone.username, state: 'rejected', reason: 'user_not_found' });
      const discarded = await processed('user.force_deleted', 'discarded', null);
      expect((await requestState(discarded.id)).body).toEqual({ requestId: discarded.id, type: 'force_delete', username: discarded.username, state: 'rejected', reason: 'discarded_by_operator' });
    });

    it('dead-lettered and waiting behind it; retrying and waiting behind that (type read from the parked payload)', async () => {
      const dead = await park('dead', 'invalid_data');
      expect((await requestState(dead.head)).body).toEqual({ requestId: dead.head, type: 'create', username: dead.username, state: 'dead_lettered', reason: 'invalid_data' });
      expect((await requestState(dead.behind)).body).toEqual({ requestId: dead.behind, type: 'update', username: dead.username, state: 'pending', reason: 'waiting_behind_dead_letter' });
      const retrying = await park('retrying', null);
      expect((await requestState(retrying.head)).body).toEqual({ requestId: retrying.head, type: 'create', username: retrying.username, state: 'pending', reason: 'retrying' });
      expect((await requestState(retrying.behind)).body).toEqual({ requestId: retrying.behind, type: 'update', username: retrying.username, state: 'pending', reason: 'waiting_behind_retry' });
    });

    it('pending from the Redis record of an accepted sign-up; applied once the consumer recorded it; 404 unknown, 400 not a UUID', async () => {
      const user = newUser('rq');
      names.push(user.username);
      const res = await create(user);
      const id = res.body.requestId as string;
      requestIds.push(id);
      expect(await redis.pttl(requestKey(id))).toBeGreaterThan(24 * 3600_000);
      expect((await requestState(id)).body).toEqual({ requestId: id, type: 'create', username: user.username, state: 'pending' });
      await prisma.$executeRawUnsafe("INSERT INTO processed_events (event_id, username, event_type, outcome) VALUES ($1::uuid, $2, 'user.created', 'applied')", id, user.username);
      expect((await requestState(id)).body).toMatchObject({ state: 'applied' });
      expect(await requestState(randomUUID())).toMatchObject({ status: 404, body: { code: 110012 } });
      expect(await requestState('not-a-uuid')).toMatchObject({ status: 400, body: { code: 110001, message: expect.stringMatching(/^requestId/) } });
    });
  });
});
