import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

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

export interface LimiterEvents {
  /** Called once per transition into or out of the local fallback. */
  onDegradedChange?: (degraded: boolean, err?: Error) => void;
  /** Called on every decision made by the fallback (for a counter). */
  onFallbackDecision?: () => void;
}

export interface LimiterOptions {
  /** A Redis call slower than this counts as a failure and the fallback decides (default 100 ms). */
  redisTimeoutMs?: number;
  /**
   * While degraded, Redis is tried again by at most one request per interval (default 1 s); all
   * other requests go straight to the local limiter, so nobody waits on a dead Redis.
   */
  probeIntervalMs?: number;
  now?: () => number;
}

export function validateSettings(settings: LimitSettings): void {
  if (!Number.isInteger(settings.points) || settings.points < 1) throw new RangeError('points must be a positive integer');
  if (!Number.isFinite(settings.windowMs) || settings.windowMs < 1000 || settings.windowMs % 1000 !== 0) throw new RangeError('window must be whole seconds, at least 1s');
  if (typeof settings.enabled !== 'boolean') throw new RangeError('enabled must be a boolean');
}

class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`rate limiter: redis did not answer within ${ms}ms`);
  }
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
  private degraded = false;
  private nextProbeAt = 0;
  private readonly redisTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly redis: Redis,
    readonly name: string,
    settings: LimitSettings,
    private readonly events: LimiterEvents = {},
    options: LimiterOptions = {},
  ) {
    this.redisTimeoutMs = options.redisTimeoutMs ?? 100;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    this.update(settings);
  }

  get settings(): LimitSettings {
    return { ...this.current };
  }

  get isDegraded(): boolean {
    return this.degraded;
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
    if (this.degraded && this.now() < this.nextProbeAt) return this.consumeLocally(key);
    try {
      const res = await this.withTimeout(this.redisLimiter.consume(key));
      this.setDegraded(false);
      return toResult(res, true, false);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        this.setDegraded(false);
        return toResult(err, false, false);
      }
      this.nextProbeAt = this.now() + this.probeIntervalMs;
      this.setDegraded(true, err as Error);
      return this.consumeLocally(key);
    }
  }

  private async consumeLocally(key: string): Promise<ConsumeResult> {
    this.events.onFallbackDecision?.();
    try {
      return toResult(await this.memoryLimiter.consume(key), true, true);
    } catch (rejected) {
      return toResult(rejected as RateLimiterRes, false, true);
    }
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(this.redisTimeoutMs)), this.redisTimeoutMs);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private setDegraded(degraded: boolean, err?: Error): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.events.onDegradedChange?.(degraded, err);
  }
}

function toResult(res: RateLimiterRes, allowed: boolean, degraded: boolean): ConsumeResult {
  return { allowed, remaining: Math.max(0, res.remainingPoints), retryAfterMs: allowed ? 0 : Math.max(1, res.msBeforeNext), degraded };
}
