import type { RedisClient } from '@usersys/service-kit';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RedisFallback, type LimiterEvents, type LimiterOptions } from './redis-fallback';

export interface LimitSettings {
  /** Attempts allowed per window. */
  points: number;
  windowMs: number;
  enabled: boolean;
}

export interface ConsumeResult {
  allowed: boolean;
  remaining: number;
  /** How long until the caller may try again (for `Retry-After`); 0 when allowed. */
  retryAfterMs: number;
  /** True when Redis failed and the local in-memory limiter decided. */
  degraded: boolean;
}

export function validateSettings(settings: LimitSettings): void {
  if (!Number.isInteger(settings.points) || settings.points < 1) throw new RangeError('points must be a positive integer');
  if (!Number.isFinite(settings.windowMs) || settings.windowMs < 1000 || settings.windowMs % 1000 !== 0) throw new RangeError('window must be whole seconds, at least 1s');
  if (typeof settings.enabled !== 'boolean') throw new RangeError('enabled must be a boolean');
}

/**
 * A fixed-window limiter counted in Redis so every replica shares it (rate-limiter-flexible). When
 * Redis errors, times out or is disconnected, the decision falls back at once to a local
 * in-memory limiter with the same settings (never fail-open, never fail every request) and goes
 * back to Redis as soon as a probe succeeds again.
 */
export class FallbackRateLimiter {
  private redisLimiter!: RateLimiterRedis;
  private memoryLimiter!: RateLimiterMemory;
  private current!: LimitSettings;
  private readonly fallback: RedisFallback;

  constructor(
    private readonly redis: RedisClient,
    readonly name: string,
    settings: LimitSettings,
    events: LimiterEvents = {},
    options: LimiterOptions = {},
  ) {
    this.fallback = new RedisFallback(events, options);
    this.update(settings);
  }

  get settings(): LimitSettings {
    return { ...this.current };
  }

  get isDegraded(): boolean {
    return this.fallback.isDegraded;
  }

  /** Applies new settings (a runtime change by an admin); counters restart under a new limit or window. */
  update(settings: LimitSettings): void {
    validateSettings(settings);
    const same = this.current && this.current.points === settings.points && this.current.windowMs === settings.windowMs;
    this.current = { points: settings.points, windowMs: settings.windowMs, enabled: settings.enabled };
    if (same) return;
    const duration = Math.round(settings.windowMs / 1000);
    const keyPrefix = `ratelimit:${this.name}:${settings.points}:${duration}`;
    this.redisLimiter = new RateLimiterRedis({ storeClient: this.redis, keyPrefix, points: settings.points, duration, rejectIfRedisNotReady: true });
    this.memoryLimiter = new RateLimiterMemory({ keyPrefix, points: settings.points, duration });
  }

  async consume(key: string): Promise<ConsumeResult> {
    if (!this.current.enabled) return { allowed: true, remaining: this.current.points, retryAfterMs: 0, degraded: false };
    const viaRedis = () =>
      this.redisLimiter.consume(key).then(
        (res) => toResult(res, true, false),
        (err: unknown) => {
          if (err instanceof RateLimiterRes) return toResult(err, false, false); // a refusal is an answer, not a failure
          throw err;
        },
      );
    return this.fallback.run(viaRedis, () => this.consumeLocally(key));
  }

  private async consumeLocally(key: string): Promise<ConsumeResult> {
    try {
      return toResult(await this.memoryLimiter.consume(key), true, true);
    } catch (rejected) {
      return toResult(rejected as RateLimiterRes, false, true);
    }
  }
}

function toResult(res: RateLimiterRes, allowed: boolean, degraded: boolean): ConsumeResult {
  return { allowed, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext), degraded };
}
