import type { PrismaClient } from '@usersys/db';
import { createTestDatabase, type TestDatabase } from '@usersys/db-testing';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { openApiDocument } from '@usersys/api-contract';
import { login, seedUser, startTestGateway, testPrisma, type TestGateway } from '@usersys/auth-gateway-testing';
import express from 'express';
import { registerGatewayRoutes, type GatewayRouteDeps } from './adapters/routes';

// Edge validation of the gateway through real HTTP, against real Redis and PostgreSQL: login and
// refresh bodies and every `:username` path parameter refuse control characters and unpaired
// surrogates with 400 naming the field (never 5xx: a NUL username used to answer 503), and Node's
// own refusals answer with the JSON `{code, message}` body. user-command is a recording server
// here, to show that nothing refused is forwarded.
describe('gateway edge validation', () => {
  let redisServer: PrivateService;
  let db: TestDatabase;
  let prisma: PrismaClient;
  let upstream: http.Server;
  const forwarded: string[] = [];
  let gw: TestGateway;

  beforeAll(async () => {
    [redisServer, db] = await Promise.all([startPrivateRedis(), createTestDatabase({ migrate: true })]);
    prisma = testPrisma(db.url);
    upstream = http.createServer((req, res) => {
      forwarded.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    gw = await startTestGateway({
      REDIS_URL: redisServer.url,
      DATABASE_URL: db.url,
      USER_COMMAND_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      LOGIN_RATE_LIMIT: '100000',
      WRITE_RATE_LIMIT: '100000',
    });
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await new Promise((r) => upstream?.close(r));
    await prisma?.$disconnect();
    await Promise.all([redisServer?.destroy(), db?.drop()]);
  }, 60_000);

  // C0 (NUL, SOH, tab, newline, US), DEL, C1 (first, NEL, last), lone high and low surrogates.
  const CLASSES: Array<[string, string]> = [
    ['NUL', '\u0000'],
    ['SOH', '\u0001'],
    ['tab', '\t'],
    ['newline', '\n'],
    ['US', '\u001f'],
    ['DEL', '\u007f'],
    ['C1 U+0080', '\u0080'],
    ['C1 NEL', '\u0085'],
    ['C1 U+009F', '\u009f'],
    ['lone high surrogate', '\ud800'],
    ['lone low surrogate', '\udc00'],
  ];
  const escaped = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  const isC0 = (c: string) => c.charCodeAt(0) < 0x20;
  const isSurrogate = (c: string) => c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdfff;
  const MARK = '@@BAD@@';
  const spoiled = (body: Record<string, string>, field: string, insert: string) => {
    const value = body[field];
    return JSON.stringify({ ...body, [field]: `${value.slice(0, 4)}${MARK}${value.slice(4)}` }).replace(MARK, insert);
  };
  const send = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}`, { method, headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as { code: number; message: string; details?: { problems: Array<{ field: string }> } } };
  };
  const expectRefusal = (res: Awaited<ReturnType<typeof send>>, field: string) => {
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(100003);
    expect(res.body.message).toMatch(new RegExp(`^${field}: must not contain control characters`));
    expect(res.body.details?.problems[0].field).toBe(field);
  };

  it('login with a NUL in the username answers 400, not 503, and the gateway keeps working', async () => {
    const user = await seedUser(prisma);
    const before = await gw.metric('login_attempts_total', { reason: 'invalid_request' });
    const res = await login(gw.url, `${user.username}\u0000`, user.password);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 100003, message: expect.stringMatching(/^username: must not contain control characters/) });
    expect(await gw.metric('login_attempts_total', { reason: 'invalid_request' })).toBe(before + 1);
    expect((await login(gw.url, user.username, user.password)).status).toBe(200);
  });

  it('login, refresh and logout: each field with each class, as a JSON escape and as raw bytes → 400 naming the field', async () => {
    const user = await seedUser(prisma);
    const bodies: Array<[string, Record<string, string>, string]> = [
      ['/v1/auth/login', { username: user.username, password: user.password }, 'username'],
      ['/v1/auth/login', { username: user.username, password: user.password }, 'password'],
      ['/v1/auth/refresh', { refreshToken: (await login(gw.url, user.username, user.password)).body.refreshToken as string }, 'refreshToken'],
      ['/v1/auth/logout', { refreshToken: (await login(gw.url, user.username, user.password)).body.refreshToken as string }, 'refreshToken'],
    ];
    for (const [path, body, field] of bodies) {
      for (const [name, c] of CLASSES) {
        const res = await send('POST', path, spoiled(body, field, escaped(c)));
        expect(`${path} ${field} ${name} → ${res.status}`).toBe(`${path} ${field} ${name} → 400`);
        expectRefusal(res, field);
        if (isSurrogate(c)) continue; // no UTF-8 form: raw bytes of a lone surrogate decode to U+FFFD
        const raw = await send('POST', path, Buffer.from(spoiled(body, field, c), 'utf8'));
        if (isC0(c)) expect(raw).toMatchObject({ status: 400, body: { code: 100005 } }); // raw C0 in a string is not JSON
        else expectRefusal(raw, field);
      }
    }
  });

  it('path parameters of every route: a percent-encoded control character → 400 naming username, before authorisation, nothing forwarded', async () => {
    const before = forwarded.length;
    for (const encoded of ['%00', '%01', '%09', '%0A', '%1F', '%7F', '%C2%80', '%C2%85', '%C2%9F']) {
      const name = `ali${encoded}ce`;
      for (const [method, path] of [
        ['GET', `/v1/users/${name}`],
        ['GET', `/v1/users/${name}/state`],
        ['PATCH', `/v1/users/${name}`],
        ['DELETE', `/v1/users/${name}`],
        ['DELETE', `/v1/users/${name}/force`],
        ['POST', `/admin/users/${name}/disable`],
        ['POST', `/admin/users/${name}/enable`],
      ]) {
        const res = await send(method, path, method === 'PATCH' ? '{"nickname":"x"}' : undefined);
        expect(`${method} ${path} → ${res.status}`).toBe(`${method} ${path} → 400`);
        expectRefusal(res, 'username');
      }
    }
    expect(forwarded.length).toBe(before);
  });

  it('malformed percent-encoding in a path → 400 JSON', async () => {
    for (const path of ['/v1/users/%E0%A4%A', '/v1/users/%ED%A0%80/state']) {
      const res = await send('GET', path);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ code: 100009, message: 'request path holds malformed percent-encoding' });
    }
  });

  /** Raw bytes on a socket; the answer read until the server closes the connection. */
  const raw = (bytes: string) =>
    new Promise<{ head: string; body: string }>((resolve, reject) => {
      const { port } = new URL(gw.url);
      const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, body = ''] = Buffer.concat(chunks).toString().split('\r\n\r\n');
        resolve({ head, body });
      });
    });

  it("Node's own refusals answer with {code, message}: 431 for a 20 KB header, 400 for a garbage request line", async () => {
    const big = await raw(`POST /v1/auth/login HTTP/1.1\r\nHost: gw\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`);
    expect(big.head).toMatch(/^HTTP\/1\.1 431 /);
    expect(big.head).toMatch(/\r\ncontent-type: application\/json/i);
    expect(JSON.parse(big.body)).toEqual({ code: 100010, message: 'request headers too large' });

    const garbage = await raw('\u0001\u0002 not http at all\r\n\r\n');
    expect(garbage.head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.body)).toEqual({ code: 100011, message: 'malformed HTTP request' });
  });
  it('sign-up and update bodies are checked at the edge with the contract: 400 110001 like user-command, nothing forwarded', async () => {
    const user = await seedUser(prisma);
    const token = (await login(gw.url, user.username, user.password)).body.accessToken as string;
    const before = forwarded.length;
    const signUp = await send('POST', '/v1/users', JSON.stringify({ username: 'edge_user', password: 'password123', email: 'nope', phone: '+4915100000003' }));
    expect(signUp).toMatchObject({ status: 400, body: { code: 110001, message: expect.stringMatching(/^email: /) } });
    const unknownField = await send('POST', '/v1/users', JSON.stringify({ username: 'edge_user', password: 'password123', email: 'e@example.com', phone: '+4915100000003', role: 'admin' }));
    expect(unknownField).toMatchObject({ status: 400, body: { code: 110001, message: 'role: unknown field' } });
    const patch = await send('PATCH', `/v1/users/${user.username}`, JSON.stringify({ currentPassword: user.password }), { authorization: `Bearer ${token}` });
    expect(patch).toMatchObject({ status: 400, body: { code: 110001, message: expect.stringMatching(/^\(body\): at least one of/) } });
    expect(forwarded.length).toBe(before);
    expect((await send('PATCH', `/v1/users/${user.username}`, '{"nickname":"Edge"}', { authorization: `Bearer ${token}` })).status).toBe(200); // the recording upstream's answer
    expect(forwarded.length).toBe(before + 1);
  });

  it('serves the OpenAPI document at /openapi.json, Swagger UI at /docs with local assets, and the document lists every route of the gateway', async () => {
    const res = await fetch(`${gw.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document).toEqual(openApiDocument());
    expect(document.openapi).toMatch(/^3\.1\./);

    const page = await fetch(`${gw.url}/docs/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('swagger-ui-bundle.js');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThan(0);
    expect(assets.filter((url) => /^(https?:)?\/\//.test(url))).toEqual([]); // no CDN: every asset from this process
    const init = await fetch(`${gw.url}/docs/swagger-ui-init.js`);
    expect(await init.text()).toContain('"url": "/openapi.json"');
    expect((await fetch(`${gw.url}/docs/swagger-ui-bundle.js`)).status).toBe(200);

    // Every route the gateway registers (apart from the operational and documentation ones) is in the document.
    // The service registers its routes through registerGatewayRoutes alone: list them by registering them on an
    // app of our own (registration only stores the dependencies, so none are needed).
    const listing = express();
    registerGatewayRoutes(listing, {} as GatewayRouteDeps);
    const stack = (listing as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } }).router.stack;
    // app.all (the 405 answers) registers every method of a path: those are not routes of their own.
    const routes = stack.flatMap((layer) => (layer.route && Object.keys(layer.route.methods).length < 10 ? Object.keys(layer.route.methods).map((m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`) : []));
    const documented = Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`));
    const undocumented = routes.filter((r) => !documented.includes(r) && !/ \/(healthz|readyz|metrics|openapi\.json)$/.test(r));
    expect(routes.length).toBeGreaterThan(15);
    expect(undocumented).toEqual([]);
    expect(documented.filter((d) => !routes.includes(d))).toEqual([]);
    // And the running gateway serves each of them: OPTIONS answers with the methods its own route table has for the path.
    const sample: Record<string, string> = { username: 'alice', requestId: '0b7e6c1a-2f3d-4e5f-8a9b-1c2d3e4f5a6b' };
    const notServed: string[] = [];
    for (const route of routes) {
      const [method, template] = route.split(' ');
      const options = await fetch(`${gw.url}${template.replace(/\{(\w+)\}/g, (_, name: string) => sample[name] ?? name)}`, { method: 'OPTIONS' });
      if (options.status !== 204 || !(options.headers.get('allow') ?? '').split(', ').includes(method)) notServed.push(route);
    }
    expect(notServed).toEqual([]);
  });
  it('a served path with a method it does not serve → 405 with Allow (OPTIONS → 204 with Allow); an unknown path stays 404', async () => {
    // fetch refuses TRACE: node:http sends it.
    const trace = await new Promise<{ status?: number; allow?: string; body: string }>((resolve, reject) => {
      const req = http.request(`${gw.url}/v1/auth/login`, { method: 'TRACE' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, allow: res.headers.allow, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(trace).toMatchObject({ status: 405, allow: 'OPTIONS, POST' });
    expect(JSON.parse(trace.body)).toMatchObject({ code: 120003 });
    const del = await send('DELETE', '/v1/users');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('OPTIONS, POST');
    const options = await fetch(`${gw.url}/v1/users/alice`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH');
    expect((await send('PUT', '/v1/users/alice/state')).headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(await send('GET', '/v1/nothing-here')).toMatchObject({ status: 404, body: { code: 100004 } });
  });
});
