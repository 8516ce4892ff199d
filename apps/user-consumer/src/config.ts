import { CACHE_HMAC_KEY, checkRedisUrl, envBool, envDurationMs, envHost, envInt, envPort, envSecret, envString, INTERNAL_TOKEN, loadInfraConfig, type InfraConfig, type SecretWarning } from '@usersys/config';

export interface ConsumerConfig extends InfraConfig {
  port: number;
  host: string;
  groupId: string;
  rejectionTtlMs: number;
  userCacheTtlMs: number;
  dbPoolMax: number;
  dbStatementTimeoutMs: number;
  sessionTimeoutMs: number;
  /** Longest a fetch waits at the broker for new data (it returns at once when data arrives): the idle poll rate. */
  fetchMaxWaitMs: number;
  /** Partitions of user.events.v1 processed at the same time (each in order). */
  partitionsConcurrency: number;
  /** Most events written in one database statement. */
  writeBatchMax: number;
  retry: RetryPolicy;
  /** Start value of the degrade switch; the Redis key `user-consumer:settings:degrade` overrides it at run time. */
  degrade: boolean;
  settingsPollMs: number;
  /** Credential for the admin endpoint (same secret the gateway uses towards user-command). */
  internalToken: string;
  /** Seals the user cache entries it writes (shared with the gateway and user-command). */
  cacheHmacKey: string;
  /** Also run the login-audit sink (its own consumer group `<groupId>-login-audit`). */
  loginAudit: boolean;
  /** Secrets left at development values (and similar), logged once each at start-up (main.ts). */
  secretWarnings: SecretWarning[];
}

export interface RetryPolicy {
  /** Deliveries through user.retry.v1 before the event goes to user.dlq.v1. */
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ConsumerConfig {
  const secretWarnings: SecretWarning[] = [];
  const internalToken = envSecret(env, INTERNAL_TOKEN, secretWarnings);
  const cacheHmacKey = envSecret(env, CACHE_HMAC_KEY, secretWarnings);
  const infra = loadInfraConfig(env);
  checkRedisUrl(env, infra.redisUrl, secretWarnings);
  return {
    ...infra,
    port: envPort(env, 'USER_CONSUMER_PORT', 9465),
    host: envHost(env, 'USER_CONSUMER_HOST', '127.0.0.1'),
    groupId: envString(env, 'CONSUMER_GROUP_ID', 'user-consumer'),
    rejectionTtlMs: envDurationMs(env, 'REJECTION_TTL', '24h'),
    userCacheTtlMs: envDurationMs(env, 'USER_CACHE_TTL', '10m', { minMs: 1000 }),
    dbPoolMax: envInt(env, 'CONSUMER_DB_POOL_MAX', 10, { min: 1, max: 200 }),
    dbStatementTimeoutMs: envDurationMs(env, 'CONSUMER_DB_STATEMENT_TIMEOUT', '10s', { minMs: 100 }),
    sessionTimeoutMs: envDurationMs(env, 'CONSUMER_SESSION_TIMEOUT', '30s', { minMs: 6000 }),
    fetchMaxWaitMs: envDurationMs(env, 'CONSUMER_FETCH_MAX_WAIT', '2s', { minMs: 10 }),
    partitionsConcurrency: envInt(env, 'CONSUMER_PARTITIONS_CONCURRENCY', 6, { min: 1, max: 64 }),
    writeBatchMax: envInt(env, 'CONSUMER_WRITE_BATCH_MAX', 500, { min: 1, max: 5000 }),
    retry: {
      maxAttempts: envInt(env, 'CONSUMER_RETRY_MAX_ATTEMPTS', 5, { min: 1, max: 50 }),
      baseMs: envDurationMs(env, 'CONSUMER_RETRY_BACKOFF_BASE', '1s', { minMs: 10 }),
      maxMs: envDurationMs(env, 'CONSUMER_RETRY_BACKOFF_MAX', '30s', { minMs: 10 }),
    },
    degrade: envBool(env, 'CONSUMER_DEGRADE', false),
    settingsPollMs: envDurationMs(env, 'CONSUMER_SETTINGS_POLL', '2s', { minMs: 100 }),
    internalToken,
    cacheHmacKey,
    loginAudit: envBool(env, 'CONSUMER_LOGIN_AUDIT', true),
    secretWarnings,
  };
}
