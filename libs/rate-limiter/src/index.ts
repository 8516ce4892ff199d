export { FallbackRateLimiter } from './limiter';
export type { LimitSettings, ConsumeResult, LimiterEvents } from './limiter';
export { SharedLimitSettings, settingsKey } from './shared-settings';
