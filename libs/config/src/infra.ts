import { ConfigError, envEnum, envHostPorts, envList, envString, envUrl } from './env';

type Env = Record<string, string | undefined>;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Connection settings every service shares (.env.example, "every service"). */
export interface InfraConfig {
  databaseUrl: string;
  redisUrl: string;
  /**
   * Seed nodes (`host:port`) of a Redis Cluster; empty = the single Redis of redisUrl. With nodes,
   * redisUrl still gives the ACL user and password (one place for Redis's credentials).
   */
  redisClusterNodes: string[];
  /**
   * Put before every key this service reads or writes (default none). Isolates systems sharing one
   * Redis (the e2e tests): a Redis Cluster has only database 0, so a database number cannot.
   */
  redisKeyPrefix: string;
  kafkaBrokers: string[];
  walDir: string;
  logLevel: LogLevel;
}

export const DEFAULT_DATABASE_URL = 'postgresql://usersys:usersys@127.0.0.1:5432/usersys';
/** tools/infra.sh (and compose's default) run Redis with this ACL user; the `default` user is off. */
export const DEV_REDIS_USER = 'usersys';
export const DEV_REDIS_PASSWORD = 'usersys-dev-redis-pw';
export const DEFAULT_REDIS_URL = `redis://${DEV_REDIS_USER}:${DEV_REDIS_PASSWORD}@127.0.0.1:6379`;
export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';

export function loadInfraConfig(env: Env = process.env): InfraConfig {
  return {
    databaseUrl: envUrl(env, 'DATABASE_URL', DEFAULT_DATABASE_URL, ['postgresql:', 'postgres:']),
    redisUrl: envUrl(env, 'REDIS_URL', DEFAULT_REDIS_URL, ['redis:', 'rediss:']),
    redisClusterNodes: envHostPorts(env, 'REDIS_CLUSTER_NODES'),
    redisKeyPrefix: redisKeyPrefix(env),
    kafkaBrokers: envList(env, 'KAFKA_BROKERS', DEFAULT_KAFKA_BROKERS),
    walDir: envString(env, 'WAL_DIR', '.data/wal'),
    logLevel: envEnum(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
  };
}

function redisKeyPrefix(env: Env): string {
  const prefix = envString(env, 'REDIS_KEY_PREFIX', '');
  // A brace would become (part of) a hash tag and put every key of the service in one cluster slot.
  if (/[{}\s]/.test(prefix)) throw new ConfigError('REDIS_KEY_PREFIX', 'must not contain braces or white space');
  return prefix;
}
