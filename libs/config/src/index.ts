export { parseDuration, formatDuration } from './duration';
export { ConfigError, envString, envInt, envBool, envDirName, envDurationMs, envHost, envEnum, envUrl, envUrlList, envList, envPort, envHostPorts } from './env';
export { loadInfraConfig, LOG_LEVELS, DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, DEV_REDIS_USER, DEV_REDIS_PASSWORD, DEFAULT_KAFKA_BROKERS } from './infra';
export type { InfraConfig, LogLevel } from './infra';
export {
  envSecret,
  cacheHmacKey,
  checkRedisUrl,
  isProduction,
  JWT_SECRET,
  INTERNAL_TOKEN,
  CACHE_HMAC_KEY,
  ADMIN_PASSWORD,
  DEV_CACHE_HMAC_KEY,
  DEV_INTERNAL_TOKEN,
  DEV_JWT_SECRET,
  DEV_ADMIN_PASSWORD,
} from './secrets';
export type { SecretSpec, SecretWarning } from './secrets';
