import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { login, seedUser, startTestGateway, testPrisma, type TestGateway } from '@usersys/auth-gateway-testing';

interface Forwarded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

// The write front door and the admin API against real Redis and PostgreSQL. user-command is
// replaced by a recording HTTP server here: what is under test is the gateway's authorisation,
// limits and the identity it forwards (the e2e spec runs the real user-command).
const REQUEST = '0b7e6c1a-2f3d-4e5f-8a9b-1c2d3e4f5a6b';
const UNKNOWN_REQUEST = '99999999-2f3d-4e5f-8a9b-1c2d3e4f5a6b';

describe('write front door and admin API', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let upstream: http.Server;
  const forwarded: Forwarded[] = [];
  let a: TestGateway;
  let b: TestGateway;
  let env: Record<string, string>;
  const ADMIN = { username: 'root_admin', password: 'root-admin-password' };
  let adminToken: string;
  let alice: { username: string; password: string; token: string };

  const call = async (gw: TestGateway, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
  };

  /** Polls a replica's GET /admin/ratelimit/login (its limiter's settings) until `settled` holds. */
  const untilLimit = async (gw: TestGateway, settled: (data: { effective: boolean; value: number; window: string }) => boolean) => {
    for (let i = 0; i < 50 && !settled((await call(gw, 'GET', '/admin/ratelimit/login', adminToken)).body.data); i++) await new Promise((r) => setTimeout(r, 100));
  };

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        forwarded.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        if (req.url === `/internal/requests/${UNKNOWN_REQUEST}` || req.url === '/internal/users/nobody_here/disable') {
          res.writeHead(404, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ code: 110012, message: 'request not found' }));
        }
        res.writeHead(req.method === 'GET' ? 200 : 202, { 'content-type': 'application/json', ...(req.method === 'GET' ? {} : { location: `/v1/requests/${REQUEST}` }) });
        res.end(JSON.stringify(req.method === 'GET' ? { ok: true } : { requestId: REQUEST, username: 'x', state: 'pending' }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    env = {
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      USER_COMMAND_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      INTERNAL_TOKEN: 'test-internal-token',
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      WRITE_RATE_LIMIT: '3',
      LOGIN_RATE_LIMIT: '1000',
    };
    a = await startTestGateway(env);
    b = await startTestGateway(env); // a second replica: same Redis, same database
    adminToken = (await login(a.url, ADMIN.username, ADMIN.password)).body.accessToken as string;
    const seeded = await seedUser(prisma);
    alice = { ...seeded, token: (await login(a.url, seeded.username, seeded.password)).body.accessToken as string };
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await new Promise((r) => upstream?.close(r));
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  it('created the admin account once at start-up (two replicas, one row) with a bcrypt hash', async () => {
    const rows = await prisma.user.findMany({ where: { username: ADMIN.username } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ role: 'admin', state: 'active' });
    expect(rows[0].passwordHash).toMatch(/^\$2[aby]\$04\$/);
    expect(adminToken).toEqual(expect.any(String));
  });

  it('applies the authorisation matrix before forwarding anything', async () => {
    const bob = await seedUser(prisma);
    const bobToken = (await login(a.url, bob.username, bob.password)).body.accessToken as string;
    const u = alice.username;
    const cases: Array<[string, string, string | undefined, number]> = [
      ['GET', `/v1/users/${u}`, undefined, 401],
      ['GET', `/v1/users/${u}`, 'garbage.token.value', 401],
      ['GET', `/v1/users/${u}`, bobToken, 403],
      ['GET', `/v1/users/${u}`, alice.token, 200],
      ['GET', `/v1/users/${u}`, adminToken, 200],
      ['GET', `/v1/users/${u}/state`, undefined, 401],
      ['GET', `/v1/users/${u}/state`, bobToken, 403],
      ['GET', `/v1/users/${u}/state`, alice.token, 200],
      ['GET', `/v1/users/${u}/state`, adminToken, 200],
      ['PATCH', `/v1/users/${u}`, undefined, 401],
      ['PATCH', `/v1/users/${u}`, bobToken, 403],
      ['PATCH', `/v1/users/${u}`, alice.token, 202],
      ['PATCH', `/v1/users/${u}`, adminToken, 202],
      ['DELETE', `/v1/users/${u}`, undefined, 401],
      ['DELETE', `/v1/users/${u}`, bobToken, 403],
      ['DELETE', `/v1/users/${u}`, alice.token, 202],
      ['DELETE', `/v1/users/${u}/force`, undefined, 401],
      ['DELETE', `/v1/users/${u}/force`, alice.token, 403],
      ['DELETE', `/v1/users/${u}/force`, adminToken, 202],
      ['POST', `/admin/users/${u}/disable`, undefined, 401],
      ['POST', `/admin/users/${u}/disable`, alice.token, 403],
      ['POST', `/admin/users/${u}/disable`, adminToken, 202],
      ['POST', `/admin/users/${u}/enable`, undefined, 401],
      ['POST', `/admin/users/${u}/enable`, alice.token, 403],
      ['POST', `/admin/users/${u}/enable`, adminToken, 202],
    ];
    for (const [method, path, token, status] of cases) {
      const before = forwarded.length;
      const res = await call(b, method, path, token, method === 'PATCH' ? { nickname: 'N' } : undefined);
      expect(`${method} ${path} as ${token === adminToken ? 'admin' : token === alice.token ? 'owner' : token ? 'other/invalid' : 'anonymous'} → ${res.status}`).toBe(
        `${method} ${path} as ${token === adminToken ? 'admin' : token === alice.token ? 'owner' : token ? 'other/invalid' : 'anonymous'} → ${status}`,
      );
      expect(forwarded.length - before).toBe(status < 400 ? 1 : 0);
      if (status === 401) expect(res.body).toMatchObject({ code: 120201 });
      if (status === 403) expect(res.body).toMatchObject({ code: 120202 });
    }
  });

  it('forwards the caller identity, the client IP and the internal credential', async () => {
    await call(a, 'PATCH', `/v1/users/${alice.username}`, alice.token, { nickname: 'Alice' });
    const patch = forwarded.at(-1)!;
    expect(patch).toMatchObject({ method: 'PATCH', url: `/internal/users/${alice.username}`, body: JSON.stringify({ nickname: 'Alice' }) });
    expect(patch.headers).toMatchObject({ 'x-internal-token': 'test-internal-token', 'x-caller-id': alice.username, 'x-caller-role': 'user', 'x-client-ip': '127.0.0.1' });

    const signUp = await call(a, 'POST', '/v1/users', undefined, { username: 'newbie', password: 'password123', email: 'newbie@example.com', phone: '+4915100000002' }, { 'x-forwarded-for': '6.6.6.6' });
    expect(signUp.status).toBe(202);
    expect(signUp.headers.get('location')).toBe(`/v1/requests/${REQUEST}`);
    expect(signUp.body).toEqual({ requestId: REQUEST, username: 'x', state: 'pending' });
    const post = forwarded.at(-1)!;
    expect(post.headers['x-caller-role']).toBe('anonymous');
    expect(post.headers['x-caller-id']).toBeUndefined();
    expect(post.headers['x-client-ip']).toBe('127.0.0.1'); // no trusted proxy: the header is ignored

    await call(a, 'GET', `/v1/users/${alice.username}/state`, alice.token);
    expect(forwarded.at(-1)!.url).toBe(`/internal/users/${alice.username}/state`);
  });

  it('forwards admin disable/enable to user-command as the admin and relays its answer', async () => {
    const disabled = await call(a, 'POST', `/admin/users/${alice.username}/disable`, adminToken);
    expect(disabled).toMatchObject({ status: 202, body: { requestId: REQUEST, state: 'pending' } });
    expect(disabled.headers.get('location')).toBe(`/v1/requests/${REQUEST}`);
    expect(forwarded.at(-1)).toMatchObject({ method: 'POST', url: `/internal/users/${alice.username}/disable`, body: '{}' });
    expect(forwarded.at(-1)!.headers).toMatchObject({ 'x-internal-token': 'test-internal-token', 'x-caller-id': ADMIN.username, 'x-caller-role': 'admin' });
    await call(a, 'POST', `/admin/users/${alice.username}/enable`, adminToken);
    expect(forwarded.at(-1)).toMatchObject({ method: 'POST', url: `/internal/users/${alice.username}/enable` });
    expect(await call(a, 'POST', '/admin/users/nobody_here/disable', adminToken)).toMatchObject({ status: 404, body: { code: 110012 } });
  });

  it('lets anyone follow a request id (no token), refuses a non-UUID with 400 and passes a 404 through', async () => {
    const followed = await call(a, 'GET', `/v1/requests/${REQUEST}`);
    expect(followed.status).toBe(200);
    expect(forwarded.at(-1)).toMatchObject({ method: 'GET', url: `/internal/requests/${REQUEST}` });
    expect(forwarded.at(-1)!.headers).toMatchObject({ 'x-internal-token': 'test-internal-token', 'x-caller-role': 'anonymous' });
    expect(await call(a, 'GET', `/v1/requests/${UNKNOWN_REQUEST}`)).toMatchObject({ status: 404, body: { code: 110012 } });
    const before = forwarded.length;
    for (const bad of ['alice', `${REQUEST}x`, '..%2Fusers%2Falice']) {
      const res = await call(a, 'GET', `/v1/requests/${bad}`);
      expect(res).toMatchObject({ status: 400, body: { code: 100003, message: expect.stringMatching(/^requestId/) } });
    }
    expect(forwarded.length).toBe(before);
  });

  it('limits writes per caller (WRITE_RATE_LIMIT), shared by the replicas', async () => {
    const carol = await seedUser(prisma);
    const token = (await login(a.url, carol.username, carol.password)).body.accessToken as string;
    const statuses = [];
    for (const gw of [a, b, a, b]) statuses.push((await call(gw, 'PATCH', `/v1/users/${carol.username}`, token, { nickname: 'C' })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await call(a, 'PATCH', `/v1/users/${carol.username}`, token, { nickname: 'C' });
    expect(limited.body).toMatchObject({ code: 120203 });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another caller has its own budget.
    const dave = await seedUser(prisma);
    const daveToken = (await login(a.url, dave.username, dave.password)).body.accessToken as string;
    expect((await call(a, 'PATCH', `/v1/users/${dave.username}`, daveToken, { nickname: 'D' })).status).toBe(202);
  });

  it('reads and changes the login limit for every replica (the shape of docs/api.md), admin only', async () => {
    expect((await call(a, 'GET', '/admin/ratelimit/login')).status).toBe(401);
    expect((await call(a, 'GET', '/admin/ratelimit/login', alice.token)).status).toBe(403);
    expect((await call(a, 'PUT', '/admin/ratelimit/login', alice.token, { value: 1 })).status).toBe(403);
    expect(await call(a, 'GET', '/admin/ratelimit/login', adminToken)).toMatchObject({ status: 200, body: { code: 100001, message: 'ok', data: { effective: true, value: 1000, window: '2m0s' } } });

    for (const bad of [{}, { value: 0 }, { value: 1.5 }, { value: 2 ** 53 }, { value: 5, window: 'soon' }, { value: 5, window: '1500ms' }, { value: 5, effective: 'yes' }]) {
      expect((await call(a, 'PUT', '/admin/ratelimit/login', adminToken, bad)).status).toBe(400);
    }
    const put = await call(a, 'PUT', '/admin/ratelimit/login', adminToken, { value: 2, window: '30s' });
    expect(put).toMatchObject({ status: 200, body: { code: 100001, message: 'ok', data: { effective: true, value: 2, window: '30s' } } });

    // The other replica answers with the new limit, and enforces it.
    expect(await call(b, 'GET', '/admin/ratelimit/login', adminToken)).toMatchObject({ body: { data: { effective: true, value: 2, window: '30s' } } });
    // What B answers is what its limiter applies (the GET reads through to Redis): wait until it says 2.
    await untilLimit(b, (data) => data.value === 2);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(b.url, 'nobody_here', 'wrong-password', {})).status);
    expect(statuses).toEqual([401, 401, 429]);

    // effective:false switches limiting off everywhere.
    expect((await call(b, 'PUT', '/admin/ratelimit/login', adminToken, { value: 2, effective: false })).body).toMatchObject({ data: { effective: false, value: 2, window: '30s' } });
    await untilLimit(a, (data) => data.effective === false);
    for (let i = 0; i < 4; i++) expect((await login(a.url, 'nobody_here', 'wrong-password')).status).toBe(401);
    await call(a, 'PUT', '/admin/ratelimit/login', adminToken, { value: 1000, window: '2m', effective: true });
  });
});
