import { DEFAULT_REDIS_URL } from '@usersys/config';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { FallbackRateLimiter, SharedLimitSettings } from './index';

// Integration test against the real Redis from tools/infra.sh, plus an unreachable one for the fallback.
const url = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

describe('FallbackRateLimiter', () => {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  const dead = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 60_000, lazyConnect: true });
  beforeAll(async () => {
    if (redis.status !== 'ready') await new Promise((r) => redis.once('ready', r));
  });
  afterAll(async () => {
    redis.disconnect();
    dead.disconnect();
  });

  it('allows `points` per window per key and then answers with a retry time', async () => {
    const limiter = new FallbackRateLimiter(redis, `spec-${randomUUID()}`, { points: 3, windowMs: 60_000, enabled: true });
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await limiter.consume('10.0.0.1'));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[3].retryAfterMs).toBeGreaterThan(50_000);
    expect(results.every((r) => !r.degraded)).toBe(true);
    expect((await limiter.consume('10.0.0.2')).allowed).toBe(true);
  });

  it('is shared by two limiters (two replicas) through Redis', async () => {
    const name = `spec-${randomUUID()}`;
    const a = new FallbackRateLimiter(redis, name, { points: 2, windowMs: 60_000, enabled: true });
    const b = new FallbackRateLimiter(redis, name, { points: 2, windowMs: 60_000, enabled: true });
    expect((await a.consume('ip')).allowed).toBe(true);
    expect((await b.consume('ip')).allowed).toBe(true);
    expect((await a.consume('ip')).allowed).toBe(false);
  });

  it('falls back to the local limiter at once when Redis is unreachable, and reports the transition once', async () => {
    const transitions: boolean[] = [];
    const limiter = new FallbackRateLimiter(dead, `spec-${randomUUID()}`, { points: 2, windowMs: 60_000, enabled: true }, { onDegradedChange: (d) => transitions.push(d) });
    const started = Date.now();
    const results = [await limiter.consume('ip'), await limiter.consume('ip'), await limiter.consume('ip')];
    expect(Date.now() - started).toBeLessThan(500);
    expect(results.map((r) => [r.allowed, r.degraded])).toEqual([
      [true, true],
      [true, true],
      [false, true],
    ]);
    expect(transitions).toEqual([true]);
  });

  it('can be switched off, and settings changed by one replica reach another', async () => {
    const name = `spec-${randomUUID()}`;
    const a = new FallbackRateLimiter(redis, name, { points: 1, windowMs: 60_000, enabled: true });
    const b = new FallbackRateLimiter(redis, name, { points: 1, windowMs: 60_000, enabled: true });
    await new SharedLimitSettings(redis, name, a).save({ points: 1, windowMs: 60_000, enabled: false });
    await new SharedLimitSettings(redis, name, b).refresh();
    expect(b.settings.enabled).toBe(false);
    for (let i = 0; i < 5; i++) expect((await b.consume('ip')).allowed).toBe(true);
    await redis.del(`ratelimit:settings:${name}`);
  });

  it('refuses invalid settings', () => {
    expect(() => new FallbackRateLimiter(redis, 'x', { points: 0, windowMs: 60_000, enabled: true })).toThrow(/points/);
    expect(() => new FallbackRateLimiter(redis, 'x', { points: 1, windowMs: 1500, enabled: true })).toThrow(/window/);
  });
});

describe('FallbackRateLimiter when its Redis stops and comes back', () => {
  let priv: PrivateService;
  let client: Redis;
  beforeAll(async () => {
    priv = await startPrivateRedis();
    client = new Redis(priv.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  }, 60_000);
  afterAll(async () => {
    client.disconnect();
    await priv.destroy();
  }, 60_000);

  it('degrades once when Redis stops, decides locally meanwhile, and returns to Redis when it is back', async () => {
    const transitions: boolean[] = [];
    let fallbackDecisions = 0;
    const limiter = new FallbackRateLimiter(
      client,
      `spec-${randomUUID()}`,
      { points: 100, windowMs: 60_000, enabled: true },
      { onDegradedChange: (d) => transitions.push(d), onFallbackDecision: () => fallbackDecisions++ },
      { probeIntervalMs: 100 },
    );
    expect(await limiter.consume('ip')).toMatchObject({ allowed: true, degraded: false });

    await priv.stop();
    for (let i = 0; i < 5; i++) expect(await limiter.consume('ip')).toMatchObject({ allowed: true, degraded: true });
    expect(transitions).toEqual([true]);
    expect(fallbackDecisions).toBe(5);

    await priv.start();
    let result = await limiter.consume('ip');
    for (let i = 0; i < 200 && result.degraded; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await limiter.consume('ip');
    }
    expect(result).toMatchObject({ allowed: true, degraded: false });
    expect(transitions).toEqual([true, false]);
    expect(limiter.isDegraded).toBe(false);
  }, 60_000);
});
