import type { RedisClient } from '@usersys/service-kit';
import { z } from 'zod';
import { validateSettings, type FallbackRateLimiter, type LimitSettings } from './limiter';

export function settingsKey(name: string): string {
  return `ratelimit:settings:${name}`;
}

const storedSettings = z.object({ points: z.number().int().positive(), windowMs: z.number().int().positive(), enabled: z.boolean() });

/**
 * Limit settings shared by every replica through Redis (`ratelimit:settings:<name>`): an admin
 * change is written once and each replica applies it on its next poll (default every second).
 * Until Redis has settings, the configured defaults apply; while Redis is down, the last known
 * settings stay in force.
 */
export class SharedLimitSettings {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly name: string,
    private readonly limiter: FallbackRateLimiter,
    private readonly onChange?: (settings: LimitSettings) => void,
  ) {}

  /** What Redis holds, or null when nothing (or something unreadable) is stored. */
  async load(): Promise<LimitSettings | null> {
    const raw = await this.redis.get(settingsKey(this.name));
    if (!raw) return null;
    try {
      return storedSettings.parse(JSON.parse(raw));
    } catch {
      return null;
    }
  }

  /** Stores new settings for every replica and applies them here at once. */
  async save(settings: LimitSettings): Promise<void> {
    validateSettings(settings);
    await this.redis.set(settingsKey(this.name), JSON.stringify(settings));
    this.apply(settings);
  }

  async refresh(): Promise<void> {
    const shared = await this.load();
    if (shared) this.apply(shared);
  }

  private apply(settings: LimitSettings): void {
    const before = this.limiter.settings;
    this.limiter.update(settings);
    if (before.points !== settings.points || before.windowMs !== settings.windowMs || before.enabled !== settings.enabled) this.onChange?.(this.limiter.settings);
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
