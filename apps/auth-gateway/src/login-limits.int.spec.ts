import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { login, seedUser, startTestGateway, testPrisma, uniqueName, type TestGateway } from '@usersys/auth-gateway-testing';

// Fast-fail, client-IP trust, the last-login overflow path, and the limiter falling back when its
// Redis stops (a private Redis: the shared one is never touched).
describe('login protection', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let gw: TestGateway;

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    // No TRUST_PROXY: the socket address is the client, whatever X-Forwarded-For says.
    gw = await startTestGateway({
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      LOGIN_RATE_LIMIT: '1000',
      LOGIN_FAST_FAIL_THRESHOLD: '2',
      LOGIN_FAST_FAIL_MESSAGE: 'busy, try again',
      LOGIN_UPDATE_BUFFER: '1',
      LOGIN_UPDATE_FLUSH_INTERVAL: '1h',
      LOGIN_BCRYPT_WORKERS: '1',
      // The burst must queue at the bcrypt worker: this file tests the fast-fail gate, not the pool's wait budget.
      HASH_WAIT_BUDGET: '1m',
    });
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  it('fast-fails a burst above LOGIN_FAST_FAIL_THRESHOLD with 503 and the configured message, counted', async () => {
    const user = await seedUser(prisma, { cost: 10 }); // each compare takes long enough for the burst to pile up
    const before = await gw.metric('login_fast_fail_total');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => login(gw.url, user.username, i === 0 ? user.password : `wrong-${i}-password`)));
    const busy = results.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status !== 503).length).toBeGreaterThanOrEqual(2);
    for (const r of busy) expect(r.body).toEqual({ code: 120102, message: 'busy, try again' });
    expect((await gw.metric('login_fast_fail_total')) - before).toBe(busy.length);
    expect(await gw.metric('login_in_flight')).toBe(0);
  });

  it('does not let a spoofed X-Forwarded-For escape the per-IP limit', async () => {
    const other = await startTestGateway({ REDIS_URL: redisServer.url, DATABASE_URL: db.url, LOGIN_RATE_LIMIT: '3', LOGIN_WINDOW: '1m' });
    try {
      // The same limiter name in the same Redis: give this instance its own counter by changing the limit (key includes it).
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await login(other.url, uniqueName(), 'wrong-password', { 'x-forwarded-for': `203.0.113.${i}` })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await other.stop();
    }
  });

  it('writes the last-login row directly when the queue is full instead of dropping it', async () => {
    const [a, b] = [await seedUser(prisma), await seedUser(prisma)];
    // An instance of its own starts with an empty queue (the burst above left one on gw); its graceful stop drains the queue.
    const queue = await startTestGateway({ REDIS_URL: redisServer.url, DATABASE_URL: db.url, LOGIN_RATE_LIMIT: '1000', LOGIN_UPDATE_BUFFER: '1', LOGIN_UPDATE_FLUSH_INTERVAL: '1h' });
    let stopped = false;
    try {
      expect(await queue.metric('login_last_login_queue_size')).toBe(0);
      const direct = await queue.metric('login_last_login_direct_writes_total');
      expect((await login(queue.url, a.username, a.password)).status).toBe(200); // queued (buffer 1)
      expect(await queue.metric('login_last_login_queue_size')).toBe(1);
      expect((await login(queue.url, b.username, b.password)).status).toBe(200); // queue full → direct write
      expect(await queue.metric('login_last_login_direct_writes_total')).toBe(direct + 1);
      const rows = await prisma.user.findMany({ where: { username: { in: [a.username, b.username] } }, orderBy: { username: 'asc' } });
      const at = Object.fromEntries(rows.map((r) => [r.username, r.lastLoginAt]));
      expect(at[a.username]).toBeNull();
      expect(at[b.username]).toBeInstanceOf(Date);
      await queue.stop();
      stopped = true;
      expect((await prisma.user.findUnique({ where: { username: a.username } }))!.lastLoginAt).toBeInstanceOf(Date);
    } finally {
      if (!stopped) await queue.stop();
    }
  });

  it('keeps limiting with the local fallback while Redis is stopped, logs/counts the transition once, and returns to Redis', async () => {
    const limited = await startTestGateway({ REDIS_URL: redisServer.url, DATABASE_URL: db.url, LOGIN_RATE_LIMIT: '4', LOGIN_WINDOW: '1m' });
    try {
      const user = await seedUser(prisma);
      expect((await login(limited.url, user.username, user.password)).status).toBe(200);
      expect(await limited.metric('rate_limiter_degradations_total', { limiter: 'login' })).toBe(0);

      await redisServer.stop();
      // Logins still work (user lookup falls back to PostgreSQL; issuing tokens needs no Redis) and
      // are still limited, by the local limiter, until it says 429.
      const statuses = [(await login(limited.url, user.username, user.password)).status];
      for (let i = 0; i < 4; i++) statuses.push((await login(limited.url, user.username, 'wrong-password')).status);
      expect(statuses).toEqual([200, 401, 401, 401, 429]);
      expect(await limited.metric('rate_limiter_degradations_total', { limiter: 'login' })).toBe(1);
      expect(await limited.metric('rate_limiter_degraded', { limiter: 'login' })).toBe(1);
      expect(await limited.metric('rate_limiter_fallback_decisions_total', { limiter: 'login' })).toBe(5);

      await redisServer.start();
      // Back on Redis: its counter still holds the one attempt from before the outage.
      let res = await login(limited.url, user.username, 'wrong-password');
      // The degraded gauge is set in the same call that switches the limiter (RedisFallback.setDegraded).
      for (let i = 0; i < 100 && (await limited.metric('rate_limiter_degraded', { limiter: 'login' })) === 1; i++) {
        await new Promise((r) => setTimeout(r, 200));
        res = await login(limited.url, user.username, 'wrong-password');
      }
      expect(await limited.metric('rate_limiter_degraded', { limiter: 'login' })).toBe(0);
      expect(await limited.metric('rate_limiter_degradations_total', { limiter: 'login' })).toBe(1);
      expect([401, 429]).toContain(res.status);
    } finally {
      await limited.stop();
    }
  }, 90_000);
});
