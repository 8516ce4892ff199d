import type { AddressInfo } from 'node:net';
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
