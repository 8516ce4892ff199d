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
   * other requests go straight to the local fallback, so nobody waits on a dead Redis.
   */
  probeIntervalMs?: number;
  now?: () => number;
}

class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`redis did not answer within ${ms}ms`);
  }
}

/**
 * The project's rule for state shared through Redis with a local stand-in (the rate limiters, the
 * gateway's lockout counters): ask Redis; on an error or a call slower than `redisTimeoutMs`, decide
 * locally at once (never fail open, never fail every request) and report the transition once; while
 * degraded, at most one call per `probeIntervalMs` tries Redis again, and the first success switches back.
 */
export class RedisFallback {
  private degraded = false;
  private nextProbeAt = 0;
  private readonly redisTimeoutMs: number;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly events: LimiterEvents = {},
    options: LimiterOptions = {},
  ) {
    this.redisTimeoutMs = options.redisTimeoutMs ?? 100;
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  get isDegraded(): boolean {
    return this.degraded;
  }

  /** `viaRedis()`, or `locally()` when it fails or while degraded between probes. */
  async run<T>(viaRedis: () => Promise<T>, locally: () => Promise<T>): Promise<T> {
    if (this.degraded && this.now() < this.nextProbeAt) return this.local(locally);
    try {
      const value = await this.withTimeout(viaRedis());
      this.setDegraded(false);
      return value;
    } catch (err) {
      this.nextProbeAt = this.now() + this.probeIntervalMs;
      this.setDegraded(true, err as Error);
      return this.local(locally);
    }
  }

  private local<T>(locally: () => Promise<T>): Promise<T> {
    this.events.onFallbackDecision?.();
    return locally();
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
