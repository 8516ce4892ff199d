import type { Redis } from 'ioredis';
import type { FallbackRateLimiter, LimitSettings } from './limiter';

export function settingsKey(name: string): string {
  return `ratelimit:settings:${name}`;
}

/**
 * Limit settings shared by every replica through Redis: an admin change is written once and each
 * replica applies it on its next poll. Until Redis has settings, the configured defaults apply.
 */
export class SharedLimitSettings {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly name: string,
    private readonly limiter: FallbackRateLimiter,
  ) {}

  async load(): Promise<LimitSettings | null> {
    const raw = await this.redis.get(settingsKey(this.name));
    if (!raw) return null;
    const parsed = JSON.parse(raw) as LimitSettings;
    return parsed;
  }

  /** Stores new settings for every replica and applies them here at once. */
  async save(settings: LimitSettings): Promise<void> {
    this.limiter.update(settings);
    await this.redis.set(settingsKey(this.name), JSON.stringify(settings));
  }

  async refresh(): Promise<void> {
    const shared = await this.load();
    if (shared) this.limiter.update(shared);
  }

  start(pollMs = 1000): void {
    const tick = () => {
      this.refresh()
        .catch(() => undefined) // Redis down: keep the settings we have.
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, pollMs).unref();
        });
    };
    this.timer = setTimeout(tick, 0).unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
