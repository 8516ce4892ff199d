import type { LimiterEvents } from '@usersys/rate-limiter';
import type { FailureCounter, LockoutCounters, LockoutStore } from '../domain/brute-force-guard';

class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`lockout: redis did not answer within ${ms}ms`);
  }
}

/**
 * The rate limiter's fallback rule for the lockout counters: Redis (shared by every replica) while
 * it answers; on an error, a disconnected client or a call slower than `redisTimeoutMs`, this
 * process's memory at once (same rule, counted per replica), with at most one request per
 * `probeIntervalMs` trying Redis again. Counts made in memory are not copied to Redis, and a lock
 * counted in Redis is not seen while degraded. Events as FallbackRateLimiter's (same metrics, limiter="lockout").
 */
export class FallbackLockoutStore implements LockoutStore {
  private degraded = false;
  private nextProbeAt = 0;

  constructor(
    private readonly redisStore: LockoutStore,
    private readonly memoryStore: LockoutStore,
    private readonly isConnected: () => boolean,
    private readonly events: LimiterEvents = {},
    private readonly options: { redisTimeoutMs?: number; probeIntervalMs?: number; now?: () => number } = {},
  ) {}

  get isDegraded(): boolean {
    return this.degraded;
  }

  read(username: string, network: string): Promise<LockoutCounters> {
    return this.run((s) => s.read(username, network));
  }

  countFailure(username: string, network: string, now: number): Promise<void> {
    return this.run((s) => s.countFailure(username, network, now));
  }

  clearNetwork(username: string, network: string): Promise<void> {
    return this.run((s) => s.clearNetwork(username, network));
  }

  readAll(username: string): Promise<{ networks: FailureCounter[]; username?: FailureCounter }> {
    return this.run((s) => s.readAll(username));
  }

  /** An admin's clear: both places, so a replica that was degraded forgets its local lock too. */
  async clearAll(username: string): Promise<void> {
    await this.memoryStore.clearAll(username);
    await this.run((s) => s.clearAll(username));
  }

  private async run<T>(op: (store: LockoutStore) => Promise<T>): Promise<T> {
    const now = (this.options.now ?? Date.now)();
    if (this.degraded && now < this.nextProbeAt) return this.locally(op);
    try {
      if (!this.isConnected()) throw new Error('redis not connected');
      const value = await this.withTimeout(op(this.redisStore));
      this.setDegraded(false);
      return value;
    } catch (err) {
      this.nextProbeAt = now + (this.options.probeIntervalMs ?? 1000);
      this.setDegraded(true, err as Error);
      return this.locally(op);
    }
  }

  private locally<T>(op: (store: LockoutStore) => Promise<T>): Promise<T> {
    this.events.onFallbackDecision?.();
    return op(this.memoryStore);
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.redisTimeoutMs ?? 100;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(ms)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }

  private setDegraded(degraded: boolean, err?: Error): void {
    if (this.degraded === degraded) return;
    this.degraded = degraded;
    this.events.onDegradedChange?.(degraded, err);
  }
}
