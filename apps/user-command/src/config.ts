import { cacheHmacKey, envDurationMs, envInt, envPort, envString, loadInfraConfig, type InfraConfig } from '@usersys/config';
import path from 'node:path';

export interface UserCommandConfig extends InfraConfig {
  port: number;
  host: string;
  internalToken: string;
  /** Seals the user cache entries (shared with the gateway and the consumer). */
  cacheHmacKey: string;
  bcryptCost: number;
  hashWorkers: number;
  pendingMarkerTtlMs: number;
  slowStepMs: number;
  walName: string;
  walPath: string;
  /** Largest accepted JSON body; larger ones are answered 413. */
  bodyLimit: string;
  /** How long an email/phone reservation lives when nobody releases it. */
  reservationTtlMs: number;
  dbPoolMax: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): UserCommandConfig {
  const infra = loadInfraConfig(env);
  const walName = envString(env, 'WAL_NAME', 'user-command');
  if (!/^[a-zA-Z0-9_.-]+$/.test(walName)) throw new Error('config: WAL_NAME: use letters, digits, dot, dash or underscore');
  return {
    ...infra,
    port: envPort(env, 'USER_COMMAND_PORT', 8081),
    host: envString(env, 'USER_COMMAND_HOST', '127.0.0.1'),
    internalToken: envString(env, 'INTERNAL_TOKEN', 'dev-internal-token'),
    cacheHmacKey: cacheHmacKey(env),
    bcryptCost: envInt(env, 'BCRYPT_COST', 10, { min: 4, max: 15 }),
    hashWorkers: envInt(env, 'HASH_WORKERS', 2, { min: 1, max: 64 }),
    pendingMarkerTtlMs: envDurationMs(env, 'PENDING_MARKER_TTL', '10m'),
    slowStepMs: envDurationMs(env, 'SLOW_STEP_THRESHOLD', '200ms'),
    walName,
    walPath: path.resolve(infra.walDir, walName),
    bodyLimit: `${envInt(env, 'BODY_LIMIT_KB', 16, { min: 1, max: 1024 })}kb`,
    reservationTtlMs: envDurationMs(env, 'CONTACT_RESERVATION_TTL', '15m'),
    dbPoolMax: envInt(env, 'DB_POOL_MAX', 10, { min: 1, max: 200 }),
  };
}
