import { startServices, type RunningServices } from '@usersys/service-runner';
import { freePort } from '@usersys/test-infra';
import { redisReady, type RedisClient } from '@usersys/service-kit';
import path from 'node:path';
import { poll, servicesInTrace, signUp, startSystem, systemRedis, TEST_DATABASE_URL, uniqueUser, untilApplied, type System } from './harness';

// Login through the real gateway for a user who signed up through the whole write path, the
// gateway's named spans in Jaeger, and an admin change seen by a second gateway PROCESS.
const ADMIN = { ADMIN_USERNAME: 'e2e_gateway_admin', ADMIN_PASSWORD: 'e2e-gateway-admin-pw', ADMIN_EMAIL: 'e2e_gateway_admin@usersys.local', ADMIN_PHONE: '+19990000001' };
const json = { 'content-type': 'application/json' };

describe('login end to end', () => {
  let system: System;
  let second: RunningServices | undefined;
  let redis: RedisClient;

  beforeAll(async () => {
    system = await startSystem(ADMIN);
    redis = systemRedis(system);
    await redisReady(redis);
  });
  afterAll(async () => {
    await second?.stop();
    await system?.stop();
    redis?.disconnect();
  });

  const loginAs = (username: string, password: string) => fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });

  it('signs up, logs in, refreshes, and is refused on someone else’s account', async () => {
    const user = uniqueUser('login');
    await untilApplied(system.gateway, await signUp(system.gateway, user));

    const res = await loginAs(user.username, user.password);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { accessToken: string; refreshToken: string };
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: expect.any(Number) });
    const traceId = res.headers.get('traceparent')!.split('-')[1];

    const refreshed = await fetch(`${system.gateway}/v1/auth/refresh`, { method: 'POST', headers: json, body: JSON.stringify({ refreshToken: tokens.refreshToken }) });
    expect(refreshed.status).toBe(200);

    expect((await loginAs(user.username, 'not-the-password')).status).toBe(401);
    const other = await fetch(`${system.gateway}/v1/users/${ADMIN.ADMIN_USERNAME}`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(other.status).toBe(403);
    const force = await fetch(`${system.gateway}/v1/users/${user.username}/force`, { method: 'DELETE', headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(force.status).toBe(403);

    const spans = await poll(
      'gateway login spans in Jaeger',
      async () => {
        const t = await servicesInTrace(system.jaeger, traceId);
        return ['fastFail', 'rateLimit', 'credentialCache', 'bcryptCompare'].every((n) => t.spanNames.has(n)) ? t : undefined;
      },
      30_000,
      500,
    );
    expect(spans.services).toContain('auth-gateway');
  });

  it('shows an admin change of the login limit on a second gateway process', async () => {
    const port = await freePort();
    second = await startServices({
      only: ['auth-gateway'],
      logDir: path.join(__dirname, '../../../.data/logs/e2e-second-gateway'),
      env: { ...ADMIN, AUTH_GATEWAY_PORT: String(port), ...system.redisEnv, DATABASE_URL: TEST_DATABASE_URL, USER_COMMAND_URL: `http://127.0.0.1:${system.services.portOf('user-command')}`, WAL_DIR: system.walDir, OTEL_TRACES_EXPORTER: 'none' },
    });
    const secondUrl = `http://127.0.0.1:${port}`;
    const login = await loginAs(ADMIN.ADMIN_USERNAME, ADMIN.ADMIN_PASSWORD);
    expect(login.status).toBe(200);
    const auth = { authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}`, ...json };
    try {
      // A high limit, so nothing else in this system is limited by the change.
      const put = await fetch(`${system.gateway}/admin/ratelimit/login`, { method: 'PUT', headers: auth, body: JSON.stringify({ value: 424242, window: '3m' }) });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ code: 100001, message: 'ok', data: { effective: true, value: 424242, window: '3m0s' } });
      const seen = await fetch(`${secondUrl}/admin/ratelimit/login`, { headers: auth });
      expect(await seen.json()).toEqual({ code: 100001, message: 'ok', data: { effective: true, value: 424242, window: '3m0s' } });
    } finally {
      await redis.del('ratelimit:settings:login'); // back to each gateway's configured limit
    }
  });
});
