import type { Logger } from '@usersys/logger';
import type { RedisClient } from '@usersys/service-kit';

/** Shared by every consumer replica; absent = the CONSUMER_DEGRADE start value. */
export const DEGRADE_KEY = 'user-consumer:settings:degrade';

/**
 * The degrade switch: when on, writes carry only the core columns (login and uniqueness need them)
 * and the rest waits in consumer_deferred_columns for the repair job. Read from Redis every poll
 * interval, so flipping it once (admin endpoint or `redis-cli SET`) reaches every replica; while
 * Redis is unreachable the last known value stays in force.
 */
export class DegradeSwitch {
  private value: boolean;
  private source: 'config' | 'redis' = 'config';
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    private readonly fallback: boolean,
    private readonly log: Logger,
    private readonly onChange: (on: boolean) => void = () => {},
  ) {
    this.value = fallback;
    onChange(fallback);
  }

  get enabled(): boolean {
    return this.value;
  }

  describe(): { degrade: boolean; source: 'config' | 'redis' } {
    return { degrade: this.value, source: this.source };
  }

  async refresh(): Promise<void> {
    const raw = await this.redis.get(DEGRADE_KEY);
    this.apply(raw === null ? this.fallback : raw === 'on' || raw === 'true' || raw === '1', raw === null ? 'config' : 'redis');
  }

  async set(on: boolean): Promise<void> {
    await this.redis.set(DEGRADE_KEY, on ? 'on' : 'off');
    this.apply(on, 'redis');
  }

  start(pollMs: number): void {
    void this.refresh().catch(() => {});
    this.timer = setInterval(() => void this.refresh().catch(() => {}), pollMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private apply(on: boolean, source: 'config' | 'redis'): void {
    this.source = source;
    if (on === this.value) return;
    this.value = on;
    this.onChange(on);
    this.log.warn({ degrade: on, step: 'degradeSwitch', status: on ? 'on' : 'off' }, on ? 'degrade switch ON: writing core columns only' : 'degrade switch OFF: writing all columns; repair job fills deferred ones');
  }
}
