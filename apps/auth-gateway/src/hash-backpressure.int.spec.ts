import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { login, seedUser, startTestGateway, testPrisma, type TestGateway } from '@usersys/auth-gateway-testing';

// The bcrypt pool's wait budget (HASH_WAIT_BUDGET): one worker, cost-11 hashes (over a hundred ms
// each) and a 50 ms budget, so while one compare runs every other one would wait past the budget.
describe('bcrypt pool backpressure', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let gw: TestGateway;

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    gw = await startTestGateway({
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      BCRYPT_COST: '11', // the dummy hash at start-up: the pool's first measurement
      LOGIN_BCRYPT_WORKERS: '1',
      HASH_WAIT_BUDGET: '50ms',
      PASSWORD_HASH_IMPL: 'node-rs',
      LOGIN_RATE_LIMIT: '100000',
    });
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  it('a hash written by bcryptjs logs in through the node-rs workers', async () => {
    const user = await seedUser(prisma); // bcryptjs, cost 4
    expect((await login(gw.url, user.username, user.password)).status).toBe(200);
  });

  it('refuses compares over the budget at once with 503 + Retry-After, counted; the refused log in later', async () => {
    const users = await Promise.all(Array.from({ length: 4 }, () => seedUser(prisma, { cost: 11 })));
    const refusedBefore = await gw.metric('auth_gateway_hash_pool_refused_total');
    const order: number[] = [];
    const results = await Promise.all(users.map((u, i) => login(gw.url, u.username, u.password).then((r) => (order.push(i), r))));

    const refused = results.flatMap((r, i) => (r.status === 503 ? [i] : []));
    const accepted = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    expect(refused.length + accepted.length).toBe(users.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const i of refused) {
      expect(results[i].body).toMatchObject({ code: 120106 });
      expect(Number(results[i].headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A refusal does not queue behind the compare that is running: it is answered before it.
    expect(refused).toContain(order[0]);
    expect((await gw.metric('auth_gateway_hash_pool_refused_total')) - refusedBefore).toBe(refused.length);

    // Nothing was held against them (no lockout count, nothing queued): one at a time they log in.
    for (const i of refused) expect((await login(gw.url, users[i].username, users[i].password)).status).toBe(200);
  }, 120_000);
});
