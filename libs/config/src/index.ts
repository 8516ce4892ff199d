export { parseDuration, formatDuration } from './duration';
export { ConfigError, envString, envInt, envBool, envDurationMs, envEnum, envUrl, envList, envPort } from './env';
export { loadInfraConfig, LOG_LEVELS, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, DEFAULT_KAFKA_BROKERS } from './infra';
export type { InfraConfig, LogLevel } from './infra';
export { runMain } from './run-main';
export { cacheHmacKey, DEV_CACHE_HMAC_KEY } from './secrets';
