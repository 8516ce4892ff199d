import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import pino from 'pino';
import { AppError, closeServer, COMMON_ERRORS, createMetrics, createServiceApp, listen } from './index';

describe('createServiceApp', () => {
  const log = pino({ level: 'silent' });
  let base = '';
  let failReady = false;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    const app = createServiceApp({
      metrics: createMetrics('spec'),
      log,
      readiness: { redis: async () => (failReady ? Promise.reject(new Error('connection refused')) : 'PONG') },
      routes: (a) => {
        a.post('/echo', (req, res) => {
          res.json(req.body);
        });
        a.get('/things/:id', (req, res) => {
          res.json({ id: req.params.id });
        });
        a.get('/teapot', () => {
          throw new AppError({ code: 199999, status: 418, message: 'short and stout' });
        });
      },
    });
    server = await listen(app, 0, '127.0.0.1', log);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => closeServer(server));

  it('serves healthz, readyz and metrics', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { redis: 'ok' } });
    failReady = true;
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(((await notReady.json()) as { checks: Record<string, string> }).checks.redis).toBe('connection refused');
    failReady = false;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('http_request_duration_seconds_bucket');
    expect(metrics).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers errors in the contract shape', async () => {
    const teapot = await fetch(`${base}/teapot`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ code: 199999, message: 'short and stout' });
    const bad = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{oops' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: number }).code).toBe(COMMON_ERRORS.INVALID_JSON.code);
    const big = await fetch(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'y'.repeat(20_000) }) });
    expect(big.status).toBe(413);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });

  /** Sends raw bytes and reads the answer until the server closes the connection. */
  const raw = (bytes: string | Buffer) =>
    new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
      const { port } = server.address() as AddressInfo;
      const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c) => chunks.push(c));
      socket.on('error', reject);
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString();
        const [head, body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), headers: head, body });
      });
    });

  it("answers Node's own refusals with the JSON body: 431 for oversized headers, 400 for a garbage request line", async () => {
    const big = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.headers).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(big.body)).toEqual({ code: COMMON_ERRORS.HEADERS_TOO_LARGE.code, message: 'request headers too large' });

    const garbage = await raw('THIS IS NOT HTTP\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toEqual({ code: COMMON_ERRORS.MALFORMED_REQUEST.code, message: 'malformed HTTP request' });

    const nulInHeader = await raw(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n', 'latin1'));
    expect(nulInHeader.status).toBe(400);
    expect(JSON.parse(nulInHeader.body)).toMatchObject({ code: COMMON_ERRORS.MALFORMED_REQUEST.code });
  });

  it('answers 400 JSON for malformed percent-encoding in a path parameter', async () => {
    const bad = await fetch(`${base}/things/%E0%A4%A`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: COMMON_ERRORS.MALFORMED_PATH.code, message: 'request path holds malformed percent-encoding' });
    expect(await (await fetch(`${base}/things/%C3%A9`)).json()).toEqual({ id: 'é' });
  });

  it('answers 503 on /healthz only when a liveness check fails', async () => {
    let wedged = false;
    const app = createServiceApp({ metrics: createMetrics('spec_live'), log, readiness: {}, liveness: { kafka: async () => (wedged ? Promise.reject(new Error('a kafka call has not settled for 300s')) : undefined) } });
    const live = await listen(app, 0, '127.0.0.1', log);
    const url = `http://127.0.0.1:${(live.address() as AddressInfo).port}/healthz`;
    try {
      expect(await (await fetch(url)).json()).toEqual({ status: 'ok', checks: { kafka: 'ok' } });
      wedged = true;
      const res = await fetch(url);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'restart needed', checks: { kafka: 'a kafka call has not settled for 300s' } });
    } finally {
      await closeServer(live);
    }
  });
});

describe('closeServer', () => {
  const log = pino({ level: 'silent' });

  /** One keep-alive request; its status, whether the server asked to close, or the error code. */
  const get = (agent: http.Agent, port: number, path: string) =>
    new Promise<{ status: number; connection: string } | { error: string }>((resolve) => {
      http
        .get({ host: '127.0.0.1', port, path, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, connection: String(res.headers.connection) }));
        })
        .on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    });

  it('ends while kept-alive clients keep sending, answering the request in flight with Connection: close', async () => {
    const app = createServiceApp({
      metrics: createMetrics('spec_close'),
      log,
      readiness: {},
      routes: (a) => a.get('/slow/:ms', (req, res) => void setTimeout(() => res.json({ ok: true }), Number(req.params.ms))),
    });
    const server = await listen(app, 0, '127.0.0.1', log);
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    let sending = true;
    const answers: Array<{ status: number; connection: string } | { error: string }> = [];
    // Four clients, each sending again as soon as it has its answer, on its kept-alive connection
    // (so at the close each is almost always in the middle of a request).
    const clients = [0, 1, 2, 3].map(async () => {
      while (sending) answers.push(await get(agent, port, '/slow/20'));
    });
    const inFlight = get(agent, port, '/slow/300');
    await new Promise((r) => setTimeout(r, 100));

    // The grace is far longer than the test's timeout: the server must close because its connections do.
    await closeServer(server, { graceMs: 60_000 });
    sending = false;
    await Promise.all(clients);
    agent.destroy();

    expect(await inFlight).toEqual({ status: 200, connection: 'close' });
    expect(answers.filter((a) => 'status' in a && a.status !== 200)).toEqual([]);
    // After the close, a client finds nobody listening: refused, never a reset (a request cut off,
    // or sent on a connection the server was closing).
    expect(answers.filter((a) => 'error' in a && a.error !== 'ECONNREFUSED')).toEqual([]);
  }, 20_000);
});
