import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { Redis } from 'ioredis';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisLockoutStore, lockoutKey } from './adapters/redis-lockout-store';
import { type FailureCounter, type LockoutPolicy, type LockoutStore } from './domain/brute-force-guard';
import { MemoryLockoutStore } from './domain/memory-lockout-store';
import { login, seedUser, startTestGateway, testPrisma, uniqueName, type TestGateway } from '@usersys/auth-gateway-testing';

// Per-account brute-force protection against a private Redis (stopped in the last test), a
// throw-away database and a recording stand-in for user-command. Client addresses come through
// X-Forwarded-For from a trusted loopback proxy.
const THRESHOLD = 3;
const GLOBAL_THRESHOLD = 8;

describe('brute-force lockout', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let redis: Redis;
  let upstream: http.Server;
  const forwarded: Array<{ method: string; url: string; body: string }> = [];
  let gw: TestGateway;
  const ADMIN = { username: 'lock_admin', password: 'lock-admin-password' };
  let adminToken: string;
  let ip = 0;
  const network = () => ({ 'x-forwarded-for': `10.3.0.${++ip}` });
  const from = (address: string) => ({ 'x-forwarded-for': address });

  const call = async (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };
  /** Everything a client sees, except what differs on every response anyway. */
  const answer = (res: { status: number; headers: Headers; body: unknown }) => ({
    status: res.status,
    body: res.body,
    headers: Object.fromEntries([...res.headers].filter(([name]) => name !== 'traceparent' && name !== 'date')),
  });
  const failTimes = async (username: string, times: number, headers: Record<string, string>) => {
    for (let i = 0; i < times; i++) expect((await login(gw.url, username, `wrong-password-${i}`, headers)).status).toBe(401);
  };

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    redis = new Redis(redisServer.url);
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        forwarded.push({ method: req.method!, url: req.url!, body });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ requestId: '0b7e6c1a-2f3d-4e5f-8a9b-1c2d3e4f5a6b', username: 'x', state: 'pending' }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      USER_COMMAND_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      TRUST_PROXY: 'loopback',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      LOGIN_RATE_LIMIT: '10000',
      LOCKOUT_THRESHOLD: String(THRESHOLD),
      LOCKOUT_GLOBAL_THRESHOLD: String(GLOBAL_THRESHOLD),
      LOCKOUT_WINDOW: '15m',
      LOCKOUT_BASE_DURATION: '1m',
      LOCKOUT_MAX_DURATION: '15m',
    });
    adminToken = (await login(gw.url, ADMIN.username, ADMIN.password, network())).body.accessToken as string;
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    redis?.disconnect();
    await new Promise((r) => upstream?.close(r));
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  it('locks a username on one network after LOCKOUT_THRESHOLD wrong passwords: a locked, an unknown and a wrong login answer alike', async () => {
    const user = await seedUser(prisma);
    const attacker = network();
    await failTimes(user.username, THRESHOLD, attacker);
    const before = await gw.metric('login_attempts_total', { result: 'failure', reason: 'locked' });
    const locked = await login(gw.url, user.username, user.password, attacker); // the right password
    const unknown = await login(gw.url, uniqueName('nobody'), user.password, network());
    const other = await seedUser(prisma);
    const wrong = await login(gw.url, other.username, 'wrong-password', network());
    expect(locked.status).toBe(401);
    expect(answer(locked)).toEqual(answer(wrong));
    expect(answer(unknown)).toEqual(answer(wrong));
    expect(locked.body).toEqual({ code: 120101, message: 'invalid username or password' });
    expect(await gw.metric('login_attempts_total', { result: 'failure', reason: 'locked' })).toBe(before + 1);

    // Another network still logs in; the counters live in Redis, shared by every replica.
    expect((await login(gw.url, user.username, user.password, network())).status).toBe(200);
    expect(await redis.exists(lockoutKey(user.username))).toBe(1);
  });

  it('does not count a login while locked, and shows and clears the lock for an admin only', async () => {
    const user = await seedUser(prisma);
    const attacker = network();
    await failTimes(user.username, THRESHOLD + 5, attacker); // the five after the lock are not counted
    const path = `/admin/lockouts/${user.username}`;
    expect((await call('GET', path)).status).toBe(401);
    const userToken = (await login(gw.url, user.username, user.password, network())).body.accessToken as string;
    expect((await call('GET', path, userToken)).status).toBe(403);
    expect((await call('DELETE', path, userToken)).status).toBe(403);

    const shown = await call('GET', path, adminToken);
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({ locked: true, until: expect.any(String), failures: THRESHOLD });
    const until = Date.parse(shown.body.until);
    expect(until - Date.now()).toBeGreaterThan(50_000);
    expect(until - Date.now()).toBeLessThanOrEqual(60_000);

    expect((await call('DELETE', path, adminToken)).status).toBe(204);
    expect((await call('GET', path, adminToken)).body).toEqual({ locked: false, failures: 0 });
    expect((await login(gw.url, user.username, user.password, attacker)).status).toBe(200);
    expect(await call('GET', `/admin/lockouts/${uniqueName('nobody')}`, adminToken)).toMatchObject({ status: 200, body: { locked: false, failures: 0 } });
  });

  it('locks the username on every network at LOCKOUT_GLOBAL_THRESHOLD failures across networks', async () => {
    const user = await seedUser(prisma);
    for (let n = 0; n < GLOBAL_THRESHOLD / 2; n++) await failTimes(user.username, 2, network()); // each network below its own threshold
    expect((await login(gw.url, user.username, user.password, network())).status).toBe(401);
    expect((await call('GET', `/admin/lockouts/${user.username}`, adminToken)).body).toMatchObject({ locked: true, failures: GLOBAL_THRESHOLD });
  });

  it('counts unknown usernames the same way (an unknown name locks like a real one)', async () => {
    const name = uniqueName('ghost');
    await failTimes(name, THRESHOLD, network());
    expect((await call('GET', `/admin/lockouts/${name}`, adminToken)).body).toMatchObject({ locked: true, failures: THRESHOLD });
  });

  /**
   * The keys matching `pattern`, repeating `request` until one of its limiter decisions went through
   * Redis: on a loaded machine a Redis call slower than 100 ms is decided in memory (the limiter's
   * fallback), which writes no key, and Redis is tried again at most once a second.
   */
  async function keysOnceCountedInRedis(pattern: string, request: () => Promise<unknown>): Promise<string[]> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const keys = await redis.keys(pattern);
      if (keys.length > 0) return keys;
      await new Promise((r) => setTimeout(r, 400));
      await request();
    }
    return redis.keys(pattern);
  }

  it('buckets IPv6 clients by /64: addresses of one /64 share the lockout and the per-IP limiter keys', async () => {
    const user = await seedUser(prisma);
    for (const address of ['2001:db8:7:1::a', '2001:0db8:0007:0001:0000:0000:0000:000b', '2001:db8:7:1:ffff:ffff:ffff:ffff']) {
      expect((await login(gw.url, user.username, 'wrong-password', from(address))).status).toBe(401);
    }
    expect((await login(gw.url, user.username, user.password, from('2001:db8:7:1::99'))).status).toBe(401); // same /64: locked
    expect((await login(gw.url, user.username, user.password, from('2001:db8:7:2::1'))).status).toBe(200); // the next /64
    expect((await login(gw.url, user.username, user.password, from('::ffff:10.9.9.9'))).status).toBe(200);
    expect(await redis.hkeys(lockoutKey(user.username))).toEqual(expect.arrayContaining(['net:2001:db8:7:1::/64', 'all']));
    expect(await keysOnceCountedInRedis('ratelimit:login:*:2001:db8:7:1::/64', () => login(gw.url, user.username, user.password, from('2001:db8:7:1::c')))).toHaveLength(1);
    expect(await keysOnceCountedInRedis('ratelimit:login:*:10.9.9.9', () => login(gw.url, user.username, user.password, from('::ffff:10.9.9.9')))).toHaveLength(1); // IPv4-mapped → the IPv4 address
    expect(await redis.keys('ratelimit:login:*:ffff*')).toEqual([]);

    const signUp = () => call('POST', '/v1/users', undefined, { username: uniqueName(), password: 'password123', email: 'ipv6@example.com', phone: '+4915100000001' }, from('2001:db8:7:3::42'));
    await signUp();
    expect(await keysOnceCountedInRedis('ratelimit:write:*:ip:2001:db8:7:3::/64', signUp)).toHaveLength(1);
  });

  describe('currentPassword on PATCH /v1/users/:u', () => {
    let user: { username: string; password: string };
    let token: string;
    const patch = (body: unknown, headers: Record<string, string> = {}, as = token) => call('PATCH', `/v1/users/${user.username}`, as, body, headers);

    beforeAll(async () => {
      user = await seedUser(prisma);
      token = (await login(gw.url, user.username, user.password, network())).body.accessToken as string;
    });

    it('needs it for a password or email change: missing → 401, wrong → 403 (counted), right → forwarded without it', async () => {
      const headers = network();
      const before = forwarded.length;
      expect(await patch({ password: 'new-password-1' }, headers)).toMatchObject({ status: 401, body: { code: 120301 } });
      expect(await patch({ email: 'x@example.com', currentPassword: 'wrong-password' }, headers)).toMatchObject({ status: 403, body: { code: 120302 } });
      expect(forwarded.length).toBe(before);
      expect((await call('GET', `/admin/lockouts/${user.username}`, adminToken)).body).toMatchObject({ failures: 1 });

      expect(await patch({ email: 'x@example.com', nickname: 'N', currentPassword: user.password }, headers)).toMatchObject({ status: 202 });
      expect(forwarded.at(-1)).toMatchObject({ method: 'PATCH', url: `/internal/users/${user.username}` });
      expect(JSON.parse(forwarded.at(-1)!.body)).toEqual({ email: 'x@example.com', nickname: 'N' });

      // Other fields need none; it is stripped whenever sent, also by an admin, who needs none.
      expect(await patch({ nickname: 'M', currentPassword: 'anything' }, headers)).toMatchObject({ status: 202 });
      expect(JSON.parse(forwarded.at(-1)!.body)).toEqual({ nickname: 'M' });
      expect(await patch({ password: 'new-password-2', currentPassword: 'whatever' }, headers, adminToken)).toMatchObject({ status: 202 });
      expect(JSON.parse(forwarded.at(-1)!.body)).toEqual({ password: 'new-password-2' });
    });

    it('counts wrong ones toward the lockout; locked, even the right one gets the same 403', async () => {
      const headers = network();
      for (let i = 0; i < THRESHOLD; i++) expect((await patch({ password: 'new-password-3', currentPassword: `wrong-${i}` }, headers)).status).toBe(403);
      const before = forwarded.length;
      const locked = await patch({ password: 'new-password-3', currentPassword: user.password }, headers);
      const wrong = await patch({ password: 'new-password-3', currentPassword: 'wrong-again' }, headers);
      expect(answer(locked)).toEqual(answer(wrong));
      expect(locked).toMatchObject({ status: 403, body: { code: 120302 } });
      expect(forwarded.length).toBe(before);
      expect((await login(gw.url, user.username, user.password, headers)).status).toBe(401); // the login is locked too
    });
  });

  it('keeps locking with the in-memory fallback while Redis is down, and reports the degradation', async () => {
    const user = await seedUser(prisma);
    await redisServer.stop();
    try {
      const attacker = network();
      await failTimes(user.username, THRESHOLD, attacker);
      expect((await login(gw.url, user.username, user.password, attacker)).status).toBe(401);
      expect((await login(gw.url, user.username, user.password, network())).status).toBe(200);
      expect(await gw.metric('rate_limiter_degraded', { limiter: 'lockout' })).toBe(1);
      expect(await gw.metric('rate_limiter_degradations_total', { limiter: 'lockout' })).toBe(1);
      expect(await gw.metric('rate_limiter_fallback_decisions_total', { limiter: 'lockout' })).toBeGreaterThan(0);
    } finally {
      await redisServer.start();
    }
  }, 60_000);
});

// The Lua script and the in-memory rule must agree: the same failures at the same times leave the
// same counters in both stores.
describe('RedisLockoutStore and MemoryLockoutStore', () => {
  let redisServer: PrivateService;
  let redis: Redis;
  const policy: LockoutPolicy = { threshold: 3, globalThreshold: 7, windowMs: 10_000, baseLockMs: 1000, maxLockMs: 5000 };

  beforeAll(async () => {
    redisServer = await startPrivateRedis();
    redis = new Redis(redisServer.url);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await redisServer?.destroy();
  });

  it('applies the same rule', async () => {
    const stores: LockoutStore[] = [new RedisLockoutStore(redis, policy), new MemoryLockoutStore(policy)];
    // A deterministic walk over time, networks and the odd success: windows run out, locks double and are capped, the username locks.
    let t = 1_700_000_000_000;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const sort = (cs: FailureCounter[]) => [...cs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const maxLocks = { username: 0, network: 0 };
    for (let step = 0; step < 400; step++) {
      t += Math.floor(random() * 1500);
      const network = `n${Math.floor(random() * 3)}`;
      const success = random() < 0.05;
      for (const store of stores) {
        if (success) await store.clearNetwork('walker', network);
        else await store.countFailure('walker', network, t);
      }
      const [fromRedis, fromMemory] = await Promise.all(stores.map((s) => s.readAll('walker')));
      expect({ step, networks: sort(fromRedis.networks), username: fromRedis.username }).toEqual({ step, networks: sort(fromMemory.networks), username: fromMemory.username });
      maxLocks.username = Math.max(maxLocks.username, fromRedis.username?.locks ?? 0);
      maxLocks.network = Math.max(maxLocks.network, ...fromRedis.networks.map((c) => c.locks));
    }
    // The walk did lock the username, and locked a pair again and again (doubling up to the cap).
    expect(maxLocks.username).toBeGreaterThan(0);
    expect(maxLocks.network).toBeGreaterThan(3);
    expect(await redis.pttl(lockoutKey('walker'))).toBeGreaterThan(0);
  });

  it('keeps a key only while it matters: one failure for a window, a lock for a window after it ends', async () => {
    const store = new RedisLockoutStore(redis, policy);
    await store.countFailure('once', 'n1', Date.now());
    const once = await redis.pttl(lockoutKey('once'));
    expect(once).toBeGreaterThan(0);
    expect(once).toBeLessThanOrEqual(policy.windowMs);
    for (let i = 0; i < policy.threshold; i++) await store.countFailure('locked', 'n1', Date.now());
    expect(await redis.pttl(lockoutKey('locked'))).toBeGreaterThan(policy.windowMs); // lock (1 s) + window
  });
});
