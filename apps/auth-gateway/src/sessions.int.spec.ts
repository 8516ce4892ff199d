import { cacheHmacKey } from '@usersys/config';
import { applyMigrations, type PrismaClient } from '@usersys/db';
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { cachedUserOf, deleteCachedUser, revokeSessionsBefore, userCacheKey, UserCacheSeal, writeCachedUser } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshFamilyKey } from './adapters/redis-refresh-store';
import { loadConfig } from './config';
import { TokenService } from './domain/tokens';
import { claimsOf, withAlgNone, withChangedPayload, login, postJson, seedUser, startTestGateway, testPrisma, type TestGateway } from '@usersys/auth-gateway-testing';

// Sessions against a real (private) Redis and PostgreSQL, both of which this file stops: tokens
// and forgeries, refresh rotation with its grace window, logout, and the per-request account check
// (credential version, state, deleted and re-registered accounts, revoked-before, Redis down).
// user-command is a stub answering 200: what is under test is whether a request gets past the
// gateway's authentication. The consumer's part is played by writing the row and the sealed cache.
const BOUND_MS = 1000; // SESSION_CHECK_CACHE_TTL's default: the documented bound after the 202
const GRACE_MS = 1000; // REFRESH_GRACE in this file (default 5s), to keep the waits short
const seal = new UserCacheSeal(cacheHmacKey({}));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const afterTheBound = () => sleep(BOUND_MS + 200);
/** Retries while the gateway answers 503 (a restarted store it has not reconnected to yet). */
async function untilNot503<T extends { status: number }>(call: () => Promise<T>): Promise<T> {
  let res = await call();
  for (let i = 0; i < 50 && res.status === 503; i++) {
    await sleep(200);
    res = await call();
  }
  return res;
}

describe('sessions: tokens, refresh, logout and the account check', () => {
  let redisServer: PrivateService;
  let pg: PrivateService;
  let prisma: PrismaClient;
  let redis: Redis;
  let upstream: http.Server;
  let gw: TestGateway;

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${gw.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
  /** A route that needs an authenticated owner (or admin): 200 from the stub once past the gateway. */
  const profile = (username: string, token?: string) => get(`/v1/users/${username}`, token);
  const refresh = (refreshToken: unknown) => postJson(`${gw.url}/v1/auth/refresh`, { refreshToken });
  const logout = (body: unknown) => postJson(`${gw.url}/v1/auth/logout`, body);
  const session = async (user: { username: string; password: string }) => {
    const res = await login(gw.url, user.username, user.password);
    expect(res.status).toBe(200);
    return { access: res.body.accessToken as string, refresh: res.body.refreshToken as string };
  };
  /** What the consumer does when it applies a change: the row, then the sealed cache entry. */
  const applyAsConsumer = async (username: string, data: { credentialVersion?: { increment: number }; state?: 'disabled' | 'deleted'; role?: 'user' | 'admin' }) => {
    const row = await prisma.user.update({ where: { username }, data });
    await writeCachedUser(redis, seal, cachedUserOf(row));
  };

  beforeAll(async () => {
    [redisServer, pg] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
    await applyMigrations(pg.url);
    prisma = testPrisma(pg.url);
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined); // stopped on purpose below
    upstream = http.createServer((req, res) => (req.resume(), res.writeHead(200, { 'content-type': 'application/json' }), res.end('{"ok":true}')));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({
      REDIS_URL: redisServer.url,
      DATABASE_URL: pg.url,
      USER_COMMAND_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      REFRESH_GRACE: `${GRACE_MS}ms`,
      LOGIN_RATE_LIMIT: '100000',
    });
  }, 180_000);
  afterAll(async () => {
    await gw?.stop();
    redis?.disconnect();
    await prisma?.$disconnect();
    upstream?.closeAllConnections();
    await new Promise((r) => upstream?.close(r));
    await Promise.all([redisServer?.destroy(), pg?.destroy()]);
  }, 60_000);

  it('issues tokens naming the account: sub, aid, ver, iat_ms (and the session start)', async () => {
    const user = await seedUser(prisma);
    const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
    const { access, refresh: rt } = await session(user);
    expect(claimsOf(access)).toMatchObject({ sub: user.username, aid: row.accountId, ver: row.credentialVersion, iat_ms: expect.any(Number), auth_ms: expect.any(Number), role: 'user' });
    expect(claimsOf(rt)).toMatchObject({ sub: user.username, aid: row.accountId, ver: row.credentialVersion, fam: expect.any(String), gen: 0 });
    expect((await profile(user.username, access)).status).toBe(200);
  });

  it('refuses forged tokens: alg none, a changed payload, refresh as access and the reverse, expired', async () => {
    const user = await seedUser(prisma);
    const other = await seedUser(prisma);
    const { access, refresh: rt } = await session(user);
    const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
    const config = loadConfig({});
    const past = await new TokenService(config.jwt, { rotate: async () => ({ outcome: 'unknown' as const }), revoke: async () => undefined }).issue(
      { username: user.username, accountId: row.accountId, credentialVersion: row.credentialVersion, role: 'user' },
      Date.now() - config.jwt.refreshTtlMs - 60_000,
    );
    const asAccess: Array<[string, string]> = [
      ['alg none', withAlgNone(access)],
      ['role changed, old signature', withChangedPayload(access, { role: 'admin' })],
      ['sub changed, old signature', withChangedPayload(access, { sub: other.username })],
      ['a refresh token', rt],
      ['expired', past.accessToken],
    ];
    for (const [what, token] of asAccess) {
      const res = await profile(what.startsWith('sub') ? other.username : user.username, token);
      expect(`${what} -> ${res.status} ${res.body.code}`).toBe(`${what} -> 401 120201`);
    }
    const asRefresh: Array<[string, string]> = [
      ['alg none', withAlgNone(rt)],
      ['generation changed, old signature', withChangedPayload(rt, { gen: 1 })],
      ['an access token', access],
      ['expired', past.refreshToken],
    ];
    for (const [what, token] of asRefresh) {
      const res = await refresh(token);
      expect(`${what} -> ${res.status} ${res.body.code}`).toBe(`${what} -> 401 120104`);
    }
    // The genuine ones still work: nothing above did any harm.
    expect((await profile(user.username, access)).status).toBe(200);
    expect((await refresh(rt)).status).toBe(200);
  });

  it('refresh inside the grace window: two concurrent refreshes get the same pair; the same token after the window revokes the family', async () => {
    const { refresh: rt } = await session(await seedUser(prisma));
    const [a, b] = await Promise.all([refresh(rt), refresh(rt)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body).toEqual(a.body);
    expect(a.body.refreshToken).not.toBe(rt);
    await sleep(GRACE_MS + 200);
    expect(await refresh(rt)).toMatchObject({ status: 401, body: { code: 120104 } });
    expect((await refresh(a.body.refreshToken)).status).toBe(401); // the newer token went with the family
  });

  it('replay after rotation: an older generation revokes the family', async () => {
    const first = await session(await seedUser(prisma));
    const second = await refresh(first.refresh);
    const third = await refresh(second.body.refreshToken);
    expect([second.status, third.status]).toEqual([200, 200]);
    expect(await refresh(first.refresh)).toMatchObject({ status: 401, body: { code: 120104 } });
    expect((await refresh(third.body.refreshToken)).status).toBe(401);
  });

  it('logout revokes the family (204, idempotent); 400 without a string refreshToken, 401 for a forged one', async () => {
    const user = await seedUser(prisma);
    const first = await session(user);
    const second = await refresh(first.refresh);
    expect((await logout({ refreshToken: second.body.refreshToken })).status).toBe(204);
    expect((await refresh(second.body.refreshToken)).status).toBe(401);
    expect((await logout({ refreshToken: second.body.refreshToken })).status).toBe(204);
    expect((await logout({ refreshToken: first.refresh })).status).toBe(204);
    for (const body of [{}, { refreshToken: 42 }, { refreshToken: '' }]) expect(await logout(body)).toMatchObject({ status: 400, body: { code: 100003 } });
    for (const token of [first.access, withAlgNone(first.refresh), 'garbage']) expect(await logout({ refreshToken: token })).toMatchObject({ status: 401, body: { code: 120104 } });
    // Another session of the same account is not affected.
    expect((await refresh((await session(user)).refresh)).status).toBe(200);
  });

  it.each([
    ['a raised credential version (password change)', { credentialVersion: { increment: 1 } }],
    ['the account disabled', { state: 'disabled' as const, credentialVersion: { increment: 1 } }],
    ['the account deleted', { state: 'deleted' as const, credentialVersion: { increment: 1 } }],
    ['only the state disabled (version unchanged)', { state: 'disabled' as const }],
  ])('refuses old access and refresh tokens within the bound after %s', async (_what, change) => {
    const user = await seedUser(prisma);
    const old = await session(user);
    expect((await profile(user.username, old.access)).status).toBe(200);
    await applyAsConsumer(user.username, change);
    await afterTheBound();
    expect(await profile(user.username, old.access)).toMatchObject({ status: 401, body: { code: 120201 } });
    expect(await refresh(old.refresh)).toMatchObject({ status: 401, body: { code: 120104 } });
  });

  it('a raised version leaves new sessions working; a force-deleted row refuses every token', async () => {
    const user = await seedUser(prisma);
    const old = await session(user);
    await applyAsConsumer(user.username, { credentialVersion: { increment: 1 } });
    await afterTheBound();
    const fresh = await session(user);
    expect(claimsOf(fresh.access).ver).toBe(1);
    expect((await profile(user.username, fresh.access)).status).toBe(200);
    expect((await profile(user.username, old.access)).status).toBe(401);

    await prisma.user.delete({ where: { username: user.username } });
    await deleteCachedUser(redis, user.username);
    await afterTheBound();
    expect((await profile(user.username, fresh.access)).status).toBe(401);
    expect((await refresh(fresh.refresh)).status).toBe(401);
  });

  it('re-registration: the name taken again by a new account refuses the old owner’s tokens', async () => {
    const user = await seedUser(prisma);
    const old = await session(user);
    await prisma.user.delete({ where: { username: user.username } });
    await deleteCachedUser(redis, user.username);
    const again = await seedUser(prisma, { username: user.username }); // a new account_id for the same name
    const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
    await writeCachedUser(redis, seal, cachedUserOf(row));
    await afterTheBound();
    expect(row.accountId).not.toBe(claimsOf(old.access).aid);
    expect((await profile(user.username, old.access)).status).toBe(401);
    expect((await refresh(old.refresh)).status).toBe(401);
    const theirs = await session(again);
    expect((await profile(user.username, theirs.access)).status).toBe(200);
  });

  it('revoked-before (set by user-command at the 202) refuses every session that began before it, before the consumer runs', async () => {
    const user = await seedUser(prisma);
    const a = await session(user);
    const b = await session(user);
    const rotated = await refresh(b.refresh);
    const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
    await revokeSessionsBefore(redis, row.accountId, Date.now());
    await afterTheBound();
    for (const token of [a.access, b.access, rotated.body.accessToken as string]) expect((await profile(user.username, token)).status).toBe(401);
    for (const token of [a.refresh, rotated.body.refreshToken]) expect((await refresh(token)).status).toBe(401);
    await sleep(5);
    const after = await session(user); // the row is unchanged: a login after the revocation starts a valid session
    expect((await profile(user.username, after.access)).status).toBe(200);
  });

  it('after the 202 and before the consumer applies the change, a login with the old password gets no working session', async () => {
    const user = await seedUser(prisma);
    const row = (await prisma.user.findUnique({ where: { username: user.username } }))!;
    // What user-command does when it accepts a password change (a frozen Kafka: the consumer never runs).
    await revokeSessionsBefore(redis, row.accountId, Date.now(), undefined, row.credentialVersion + 1);
    await sleep(5);
    const thief = await session(user); // the old password still matches the row and the cache
    expect((await profile(user.username, thief.access)).status).toBe(401);
    expect((await refresh(thief.refresh)).status).toBe(401);
    await applyAsConsumer(user.username, { credentialVersion: { increment: 1 } });
    await afterTheBound();
    const owner = await session(user); // the password did not change in this test: it stands for the new one
    expect((await profile(user.username, owner.access)).status).toBe(200);
  });

  it('authorises with the account’s current role, not the role in the token', async () => {
    const target = await seedUser(prisma);
    const admin = await seedUser(prisma, { role: 'admin' });
    const { access } = await session(admin);
    expect((await profile(target.username, access)).status).toBe(200);
    await applyAsConsumer(admin.username, { role: 'user' });
    await afterTheBound();
    expect(await profile(target.username, access)).toMatchObject({ status: 403, body: { code: 120202 } });
    expect((await get(`/v1/users/${target.username}/state`, access)).status).toBe(403);
    expect((await get(`/v1/users/${admin.username}/state`, access)).status).toBe(200);
    expect((await get(`/v1/users/${admin.username}/state`)).status).toBe(401);
  });

  it('a database error during refresh is not a reuse: the client’s retry with the same token rotates', async () => {
    const user = await seedUser(prisma);
    const { refresh: rt } = await session(user);
    await redis.del(userCacheKey(user.username)); // the check has to ask PostgreSQL
    await afterTheBound();
    await pg.stop();
    try {
      expect((await refresh(rt)).status).toBe(503);
      expect(await redis.exists(refreshFamilyKey(claimsOf(rt).fam as string))).toBe(0); // nothing was rotated
    } finally {
      await pg.start();
    }
    const retry = await untilNot503(() => refresh(rt));
    expect(retry.status).toBe(200);
    expect(claimsOf(retry.body.refreshToken as string).gen).toBe(1);
  }, 60_000);

  it('while Redis is down: a version raised in PostgreSQL is refused, a valid token works; refresh and logout answer 503; with PostgreSQL down too, 503', async () => {
    const bumped = await seedUser(prisma);
    const valid = await seedUser(prisma);
    const b = await session(bumped);
    const v = await session(valid);
    await redisServer.stop();
    try {
      // The consumer applied the change (PostgreSQL) but could not write the cache, and the
      // revoked-before marker is gone with Redis: the account's version alone refuses the token.
      await prisma.user.update({ where: { username: bumped.username }, data: { credentialVersion: { increment: 1 } } });
      await afterTheBound();
      expect((await profile(bumped.username, b.access)).status).toBe(401);
      expect((await profile(valid.username, v.access)).status).toBe(200);
      expect(await refresh(v.refresh)).toMatchObject({ status: 503, body: { code: 120105 } });
      expect(await logout({ refreshToken: v.refresh })).toMatchObject({ status: 503, body: { code: 120105 } });
      expect(await gw.metric('session_revocation_unknown')).toBe(1);

      await pg.stop();
      try {
        await afterTheBound();
        expect((await profile(valid.username, v.access)).status).toBe(503);
      } finally {
        await pg.start();
      }
    } finally {
      await redisServer.start();
    }
    expect((await untilNot503(() => refresh(v.refresh))).status).toBe(200); // the 503s were not reuses
  }, 90_000);
});
