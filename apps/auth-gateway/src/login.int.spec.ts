import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { decodeWalRecord, type LoginAuditRecord } from '@usersys/event-schema';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { cacheHmacKey } from '@usersys/config';
import { userCacheKey, writeCachedUser, readCachedUser, UserCacheSeal } from '@usersys/user-cache';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import { WalReader } from '@usersys/wal';
import { randomUUID } from 'node:crypto';
import { login, postJson, seedUser, startTestGateway, testPrisma, uniqueName, type TestGateway } from '@usersys/auth-gateway-testing';

// Integration test of the login pipeline against real Redis (a private one), PostgreSQL (a
// throw-away database) and the gateway's audit WAL (a temporary directory).
// The gateway under test runs with the default (development) cache key.
const cacheSeal = new UserCacheSeal(cacheHmacKey({}));

describe('POST /v1/auth/login', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let env: Record<string, string>;
  let gw: TestGateway;
  let ip = 0;
  // A distinct client address per test through the trusted proxy (loopback), so limits never collide.
  const fromIp = () => ({ 'x-forwarded-for': `10.1.0.${++ip}` });

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    redis = new Redis(redisServer.url);
    env = { REDIS_URL: redisServer.url, DATABASE_URL: db.url, TRUST_PROXY: 'loopback', LOGIN_RATE_LIMIT: '5', LOGIN_WINDOW: '1m', LOGIN_UPDATE_FLUSH_INTERVAL: '1h' };
    gw = await startTestGateway(env);
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    redis?.disconnect();
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  it('answers 200 with the token shape and fills the user cache from PostgreSQL with SET NX', async () => {
    const user = await seedUser(prisma);
    const res = await login(gw.url, user.username, user.password, fromIp());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(typeof res.body.accessToken).toBe('string');
    expect(typeof res.body.refreshToken).toBe('string');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await readCachedUser(redis, cacheSeal, user.username)).toMatchObject({ username: user.username, state: 'active' });
  });

  it('gives the same 401 for an unknown user and a wrong password, each after a bcrypt compare', async () => {
    const user = await seedUser(prisma);
    const before = await gw.metric('login_bcrypt_compares_total');
    const unknown = await login(gw.url, uniqueName('nobody'), 'whatever-password', fromIp());
    const wrong = await login(gw.url, user.username, 'wrong-password', fromIp());
    expect([unknown.status, wrong.status]).toEqual([401, 401]);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({ code: 120101, message: 'invalid username or password' });
    expect((await gw.metric('login_bcrypt_compares_total')) - before).toBe(2);
  });

  it('answers 400 for a malformed body', async () => {
    expect((await postJson(`${gw.url}/v1/auth/login`, { username: 'x' }, fromIp())).status).toBe(400);
    expect((await postJson(`${gw.url}/v1/auth/login`, { username: 'abc', password: 'p'.repeat(73) }, fromIp())).status).toBe(400);
  });

  it('skips bcrypt on a credential cache hit, and a changed password hash invalidates it', async () => {
    const user = await seedUser(prisma);
    const headers = fromIp();
    expect((await login(gw.url, user.username, user.password, headers)).status).toBe(200);
    const [hits, misses, compares] = [await gw.metric('login_credential_cache_hits_total'), await gw.metric('login_credential_cache_misses_total'), await gw.metric('login_bcrypt_compares_total')];
    expect((await login(gw.url, user.username, user.password, headers)).status).toBe(200);
    expect(await gw.metric('login_credential_cache_hits_total')).toBe(hits + 1);
    expect(await gw.metric('login_bcrypt_compares_total')).toBe(compares);

    // The password changes the way the consumer applies it: new row, fresh cache entry.
    const newPassword = `new-${randomUUID()}`;
    const newHash = bcrypt.hashSync(newPassword, 4);
    await prisma.user.update({ where: { username: user.username }, data: { passwordHash: newHash } });
    const cached = (await readCachedUser(redis, cacheSeal, user.username))!;
    await writeCachedUser(redis, cacheSeal, { ...cached, passwordHash: newHash });

    expect((await login(gw.url, user.username, user.password, headers)).status).toBe(401);
    expect((await login(gw.url, user.username, newPassword, headers)).status).toBe(200);
    expect(await gw.metric('login_credential_cache_misses_total')).toBe(misses + 2);
    expect(await gw.metric('login_credential_cache_hits_total')).toBe(hits + 1);
  });

  it('refuses disabled and deleted accounts before any credential cache hit', async () => {
    const user = await seedUser(prisma);
    const headers = fromIp();
    expect((await login(gw.url, user.username, user.password, headers)).status).toBe(200); // now cached
    const hits = await gw.metric('login_credential_cache_hits_total');
    for (const state of ['disabled', 'deleted'] as const) {
      await prisma.user.update({ where: { username: user.username }, data: { state } });
      await writeCachedUser(redis, cacheSeal, { ...(await readCachedUser(redis, cacheSeal, user.username))!, state });
      const res = await login(gw.url, user.username, user.password, headers);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ code: 120101, message: 'invalid username or password' });
    }
    expect(await gw.metric('login_credential_cache_hits_total')).toBe(hits);
  });

  it('reads PostgreSQL when the cache misses, and never overwrites a cache entry (fill is SET NX)', async () => {
    const user = await seedUser(prisma);
    await redis.del(userCacheKey(user.username));
    expect((await login(gw.url, user.username, user.password, fromIp())).status).toBe(200);
    const cached = (await readCachedUser(redis, cacheSeal, user.username))!;
    await writeCachedUser(redis, cacheSeal, { ...cached, nickname: 'from-consumer' });
    expect((await login(gw.url, user.username, user.password, fromIp())).status).toBe(200);
    expect((await readCachedUser(redis, cacheSeal, user.username))!.nickname).toBe('from-consumer');
  });

  it('answers 429 with Retry-After after LOGIN_RATE_LIMIT attempts from one client IP', async () => {
    const headers = fromIp();
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(gw.url, uniqueName(), 'wrong-password', headers)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await login(gw.url, uniqueName(), 'wrong-password', headers);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 120103 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect((await login(gw.url, uniqueName(), 'wrong-password', fromIp())).status).toBe(401); // another client is not affected
  });

  it('rotates refresh tokens and revokes the family when an old one is reused', async () => {
    const user = await seedUser(prisma);
    const first = await login(gw.url, user.username, user.password, fromIp());
    const refresh = (token: unknown) => postJson(`${gw.url}/v1/auth/refresh`, { refreshToken: token });
    const second = await refresh(first.body.refreshToken);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(second.body.refreshToken).not.toBe(first.body.refreshToken);
    const third = await refresh(second.body.refreshToken);
    expect(third.status).toBe(200);

    const reuse = await refresh(first.body.refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject({ code: 120104 });
    expect((await refresh(third.body.refreshToken)).status).toBe(401); // the whole family is revoked
    expect((await refresh('not-a-token')).status).toBe(401);
    expect((await postJson(`${gw.url}/v1/auth/refresh`, {})).status).toBe(400);

    // A fresh login starts a new family.
    const again = await login(gw.url, user.username, user.password, fromIp());
    expect((await refresh(again.body.refreshToken)).status).toBe(200);
  });

  it('writes the last-login time of N logins of one account as one row update (latest time)', async () => {
    await prisma.$executeRawUnsafe(`CREATE TABLE IF NOT EXISTS login_updates (username text)`);
    await prisma.$executeRawUnsafe(`CREATE OR REPLACE FUNCTION count_login_update() RETURNS trigger AS $$ BEGIN INSERT INTO login_updates VALUES (NEW.username); RETURN NEW; END $$ LANGUAGE plpgsql`);
    await prisma.$executeRawUnsafe(`CREATE OR REPLACE TRIGGER users_last_login AFTER UPDATE OF last_login_at ON users FOR EACH ROW EXECUTE FUNCTION count_login_update()`);
    const user = await seedUser(prisma);
    // An instance of its own starts from an empty queue; its graceful stop writes what is queued.
    const own = await startTestGateway(env);
    let stopped = false;
    try {
      expect(await own.metric('login_last_login_queue_size')).toBe(0);
      const headers = fromIp();
      const before = new Date();
      for (let i = 0; i < 4; i++) expect((await login(own.url, user.username, user.password, headers)).status).toBe(200);
      const after = new Date();
      expect(await own.metric('login_last_login_queue_size')).toBe(1); // one entry for the account
      expect((await prisma.user.findUnique({ where: { username: user.username } }))!.lastLoginAt).toBeNull(); // queued, not written yet

      await own.stop();
      stopped = true;
      const updates = await prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM login_updates WHERE username = $1`, user.username);
      expect(Number(updates[0].n)).toBe(1);
      const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
      expect(row.lastLoginAt!.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(row.lastLoginAt!.getTime()).toBeLessThanOrEqual(after.getTime());
    } finally {
      if (!stopped) await own.stop();
    }
  });

  it('records every attempt, success and failure, in the audit WAL without the password', async () => {
    const user = await seedUser(prisma);
    const unknown = uniqueName('ghost');
    const ok = await login(gw.url, user.username, user.password, { ...fromIp(), 'user-agent': 'audit-test' });
    expect(ok.status).toBe(200);
    expect((await login(gw.url, user.username, 'wrong-password-x', fromIp())).status).toBe(401);
    expect((await login(gw.url, unknown, 'whatever-pw', fromIp())).status).toBe(401);

    // The logins did not wait for the group commit: read the WAL (the path the fixture chose) until all three records are there.
    let raw: Buffer[] = [];
    let found: Array<{ record: LoginAuditRecord }> = [];
    for (let i = 0; i < 100 && found.length < 3; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 50));
      const reader = new WalReader(gw.auditWalPath, null);
      raw = (await reader.read(100_000, 64 * 1024 * 1024)).map((r) => r.payload);
      await reader.close();
      found = [];
      for (const payload of raw) {
        const entry = decodeWalRecord(payload);
        if (entry.kind === 'login-audit' && [user.username, unknown].includes(entry.record.username)) found.push({ record: entry.record });
      }
    }
    const mine = found.filter((f) => f.record.username === user.username).map((f) => f.record);
    expect(mine.map((r) => [r.result, r.reason]).sort()).toEqual([
      ['failure', 'bad_credentials'],
      ['success', 'ok'],
    ]);
    const success = found.find((f) => f.record.result === 'success')!;
    expect(success.record).toMatchObject({ clientIp: expect.stringMatching(/^10\.1\.0\./), userAgent: 'audit-test' });
    expect(found.filter((f) => f.record.username === unknown).map((f) => f.record)).toEqual([expect.objectContaining({ result: 'failure', reason: 'unknown_user' })]);
    const bytes = Buffer.concat(raw).toString('latin1');
    for (const secret of ['wrong-password-x', 'whatever-pw', '"password"', user.password]) expect(bytes).not.toContain(secret);
  });
});
