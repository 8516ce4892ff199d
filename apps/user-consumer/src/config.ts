import { envDurationMs, envInt, envPort, envString, loadInfraConfig, type InfraConfig } from '@usersys/config';

export interface ConsumerConfig extends InfraConfig {
  port: number;
  host: string;
  groupId: string;
  rejectionTtlMs: number;
  dbPoolMax: number;
  sessionTimeoutMs: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): ConsumerConfig {
  return {
    ...loadInfraConfig(env),
    port: envPort(env, 'USER_CONSUMER_PORT', 9465),
    host: envString(env, 'USER_CONSUMER_HOST', '127.0.0.1'),
    groupId: envString(env, 'CONSUMER_GROUP_ID', 'user-consumer'),
    rejectionTtlMs: envDurationMs(env, 'REJECTION_TTL', '24h'),
    dbPoolMax: envInt(env, 'CONSUMER_DB_POOL_MAX', 10, { min: 1, max: 200 }),
    sessionTimeoutMs: envDurationMs(env, 'CONSUMER_SESSION_TIMEOUT', '30s', { minMs: 6000 }),
  };
}
