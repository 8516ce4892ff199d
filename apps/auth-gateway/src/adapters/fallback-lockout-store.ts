import { RedisFallback, type LimiterEvents, type LimiterOptions } from '@usersys/rate-limiter';
import type { FailureCounter, LockoutCounters, LockoutStore } from '../domain/brute-force-guard';

/**
 * The lockout counters under the rate limiter's fallback rule (RedisFallback): Redis, shared by every
 * replica, while it answers; on an error, a disconnected client or a call slower than
 * `redisTimeoutMs`, this process's memory at once (the same rule, counted per replica), with at most
 * one call per `probeIntervalMs` trying Redis again. Counts made in memory are not copied to Redis,
 * and a lock counted in Redis is not seen while degraded. Reported like the limiters (same events).
 */
export class FallbackLockoutStore implements LockoutStore {
  private readonly fallback: RedisFallback;

  constructor(
    private readonly redisStore: LockoutStore,
    private readonly memoryStore: LockoutStore,
    private readonly isConnected: () => boolean,
    events: LimiterEvents = {},
    options: LimiterOptions = {},
  ) {
    this.fallback = new RedisFallback(events, options);
  }

  get isDegraded(): boolean {
    return this.fallback.isDegraded;
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

  private run<T>(op: (store: LockoutStore) => Promise<T>): Promise<T> {
    const viaRedis = async () => {
      if (!this.isConnected()) throw new Error('redis is not connected');
      return op(this.redisStore);
    };
    return this.fallback.run(viaRedis, () => op(this.memoryStore));
  }
}
