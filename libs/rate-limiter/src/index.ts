export { FallbackRateLimiter, validateSettings } from './limiter';
export type { LimitSettings, ConsumeResult } from './limiter';
export { RedisFallback, type LimiterEvents, type LimiterOptions } from './redis-fallback';
export { SharedLimitSettings, settingsKey } from './shared-settings';
export { clientNetwork } from './client-network';
