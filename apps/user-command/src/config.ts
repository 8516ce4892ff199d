import { CACHE_HMAC_KEY, checkRedisUrl, ConfigError, envDirName, envDurationMs, envHost, envUrlList, envEnum, envInt, envPort, envSecret, INTERNAL_TOKEN, loadInfraConfig, type InfraConfig, type SecretWarning } from '@usersys/config';
import { DEFAULT_PASSWORD_HASH_IMPL, PASSWORD_HASH_IMPLS, type PasswordHashImpl } from '@usersys/service-kit';
import path from 'node:path';
import type { ReplicaSet } from './domain/ownership';

type Env = Record<string, string | undefined>;

export interface UserCommandConfig extends InfraConfig {
  port: number;
  host: string;
  internalToken: string;
  /** Seals the user cache entries (shared with the gateway and the consumer). */
  cacheHmacKey: string;
  bcryptCost: number;
  hashWorkers: number;
  /** PASSWORD_HASH_IMPL: which bcrypt the workers run (same `$2b$` hashes either way). */
  hashImpl: PasswordHashImpl;
  /** HASH_WAIT_BUDGET: a hash expected to wait longer for a worker is refused at once (503 + Retry-After). */
  hashWaitBudgetMs: number;
  pendingMarkerTtlMs: number;
  slowStepMs: number;
  walName: string;
  walPath: string;
  /** Largest accepted JSON body; larger ones are answered 413. */
  bodyLimit: string;
  /** How long an email/phone reservation lives when nobody releases it. */
  reservationTtlMs: number;
  dbPoolMax: number;
  /** USER_COMMAND_URLS + USER_COMMAND_SELF: the replicas and which one this is (the fence); null = the only replica. */
  replicas: ReplicaSet | null;
  /** Secrets left at development values (and similar), logged once each at start-up (main.ts). */
  secretWarnings: SecretWarning[];
}

/** Both or neither: the list the gateways route by, and this replica's own entry in it. */
function replicaSet(env: Env): ReplicaSet | null {
  const members = envUrlList(env, 'USER_COMMAND_URLS', ['http:']);
  const self = envUrlList(env, 'USER_COMMAND_SELF', ['http:']);
  if (!members && !self) return null;
  if (!members) throw new ConfigError('USER_COMMAND_SELF', 'needs USER_COMMAND_URLS (the list it is one of)');
  if (!self || self.length !== 1) throw new ConfigError('USER_COMMAND_SELF', 'must name this replica: one URL of USER_COMMAND_URLS');
  if (!members.includes(self[0])) throw new ConfigError('USER_COMMAND_SELF', `${self[0]} is not in USER_COMMAND_URLS`);
  return { members, self: self[0] };
}

export function loadConfig(env: Env = process.env): UserCommandConfig {
  const secretWarnings: SecretWarning[] = [];
  const internalToken = envSecret(env, INTERNAL_TOKEN, secretWarnings);
  const cacheHmacKey = envSecret(env, CACHE_HMAC_KEY, secretWarnings);
  const infra = loadInfraConfig(env);
  checkRedisUrl(env, infra.redisUrl, secretWarnings);
  const walName = envDirName(env, 'WAL_NAME', 'user-command');
  return {
    ...infra,
    port: envPort(env, 'USER_COMMAND_PORT', 8081),
    host: envHost(env, 'USER_COMMAND_HOST', '127.0.0.1'),
    internalToken,
    cacheHmacKey,
    bcryptCost: envInt(env, 'BCRYPT_COST', 10, { min: 4, max: 15 }),
    hashWorkers: envInt(env, 'HASH_WORKERS', 2, { min: 1, max: 64 }),
    hashImpl: envEnum(env, 'PASSWORD_HASH_IMPL', PASSWORD_HASH_IMPLS, DEFAULT_PASSWORD_HASH_IMPL),
    hashWaitBudgetMs: envDurationMs(env, 'HASH_WAIT_BUDGET', '100ms', { minMs: 1 }),
    pendingMarkerTtlMs: envDurationMs(env, 'PENDING_MARKER_TTL', '10m'),
    slowStepMs: envDurationMs(env, 'SLOW_STEP_THRESHOLD', '200ms'),
    walName,
    walPath: path.resolve(infra.walDir, walName),
    bodyLimit: `${envInt(env, 'BODY_LIMIT_KB', 16, { min: 1, max: 1024 })}kb`,
    reservationTtlMs: envDurationMs(env, 'CONTACT_RESERVATION_TTL', '15m'),
    dbPoolMax: envInt(env, 'DB_POOL_MAX', 10, { min: 1, max: 200 }),
    replicas: replicaSet(env),
    secretWarnings,
  };
}
