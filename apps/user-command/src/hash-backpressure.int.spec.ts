import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { contactHolder } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { call, newUser, startInProcess, walEvents } from '@usersys/user-command-testing';

async function metric(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

// The hash pool's wait budget (HASH_WAIT_BUDGET) on the create path, against real Redis, PostgreSQL
// and WAL: one worker, cost-11 hashes (over a hundred ms each) and a 50 ms budget, so while one hash
// runs every other sign-up would wait past the budget.
describe('hash pool backpressure', () => {
  let db: TestDatabase;
  let redisServer: PrivateService;
  let redis: Redis;
  let service: Awaited<ReturnType<typeof startInProcess>>;

  beforeAll(async () => {
    [db, redisServer] = await Promise.all([createTestDatabase({ migrate: true }), startPrivateRedis()]);
    redis = new Redis(redisServer.url);
    service = await startInProcess({ databaseUrl: db.url, redisUrl: redisServer.url, bcryptCost: 11, hashWorkers: 1, hashWaitBudgetMs: 50, hashImpl: 'node-rs' });
  }, 120_000);
  afterAll(async () => {
    redis?.disconnect();
    await service?.cleanup();
    await redisServer?.destroy();
    await db?.drop();
  });

  it('refuses sign-ups over the budget at once with 503 + Retry-After, counted, and writes nothing for them', async () => {
    const users = Array.from({ length: 6 }, () => newUser('bp'));
    const order: number[] = [];
    const results = await Promise.all(users.map((u, i) => call(service.url, 'POST', '/internal/users', u).then((r) => (order.push(i), r))));

    const refused = results.flatMap((r, i) => (r.status === 503 ? [i] : []));
    const accepted = results.flatMap((r, i) => (r.status === 202 ? [i] : []));
    expect(refused.length + accepted.length).toBe(users.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const i of refused) {
      expect(results[i].body).toMatchObject({ code: 110014 });
      expect(Number(results[i].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A refusal does not queue behind the hash that is running: it is answered before it.
    expect(refused).toContain(order[0]);
    expect(await metric(service.url, 'user_command_hash_pool_refused_total')).toBe(refused.length);

    // Nothing written for a refused sign-up: no WAL event, no pending marker, its email and phone released.
    const inWal = new Set((await walEvents(service.walPath)).map((e) => e.username));
    expect([...inWal].sort()).toEqual(accepted.map((i) => users[i].username).sort());
    for (const i of refused) {
      expect(await redis.exists(pendingMarkerKey(users[i].username))).toBe(0);
      expect(await contactHolder(redis, 'email', users[i].email.toLowerCase())).toBeNull();
    }

    // Retried one at a time (what Retry-After asks for), each is accepted.
    for (const i of refused) expect((await call(service.url, 'POST', '/internal/users', users[i])).status).toBe(202);
  }, 120_000);
});
