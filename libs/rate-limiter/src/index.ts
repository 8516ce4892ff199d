export { FallbackRateLimiter, validateSettings } from './limiter';
export type { LimitSettings, ConsumeResult, LimiterEvents, LimiterOptions } from './limiter';
export { SharedLimitSettings, settingsKey } from './shared-settings';
export { clientNetwork } from './client-network';
