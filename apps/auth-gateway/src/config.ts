import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  ADMIN_PASSWORD,
  CACHE_HMAC_KEY,
  checkRedisUrl,
  ConfigError,
  envBool,
  envDirName,
  envDurationMs,
  envHost,
  envEnum,
  envInt,
  envPort,
  envSecret,
  envString,
  envUrl,
  envUrlList,
  INTERNAL_TOKEN,
  JWT_SECRET,
  loadInfraConfig,
  type InfraConfig,
  type SecretWarning,
} from '@usersys/config';
import { createUserSchema } from '@usersys/api-contract';
import { DEFAULT_PASSWORD_HASH_IMPL, PASSWORD_HASH_IMPLS, type PasswordHashImpl } from '@usersys/service-kit';
import type { LockoutPolicy } from './domain/brute-force-guard';

type Env = Record<string, string | undefined>;

export interface GatewayConfig extends InfraConfig {
  port: number;
  host: string;
  /**
   * The user-command replicas (origins): USER_COMMAND_URLS, else USER_COMMAND_URL as a list of one.
   * Each username's writes go to one of them, chosen by rendezvous hashing (adapters/user-command-client.ts).
   */
  userCommandUrls: string[];
  internalToken: string;
  /** PostgreSQL pool size (account lookups, last-login updates, the session check). */
  dbPoolMax: number;
  /** Seals the user cache entries (shared with user-command and the consumer). */
  cacheHmacKey: string;
  /** express `trust proxy` value: false (socket address only), or a list of trusted proxy addresses/CIDRs. */
  trustProxy: false | string[];
  login: {
    fastFailThreshold: number;
    fastFailMessage: string;
    rateLimit: number;
    windowMs: number;
    rateLimiterEnabled: boolean;
    credentialCacheTtlMs: number;
    credentialCacheSize: number;
    bcryptWorkers: number;
    /** Cost of the dummy hash compared for unknown users (match the cost user-command hashes with). */
    bcryptCost: number;
    /** PASSWORD_HASH_IMPL: which bcrypt the workers run (same `$2b$` hashes either way). */
    hashImpl: PasswordHashImpl;
    /** HASH_WAIT_BUDGET: a compare expected to wait longer for a worker is refused at once (503 + Retry-After). */
    hashWaitBudgetMs: number;
  };
  lastLogin: { buffer: number; batchSize: number; flushIntervalMs: number; timeoutMs: number };
  /** The login audit WAL: `walPath` = WAL_DIR/<walName>, one directory per gateway process (wal-relay ships it). */
  audit: { walName: string; walPath: string; maxPending: number; reopenAfterMs: number };
  writeRateLimit: number;
  writeWindowMs: number;
  /** Per-account brute-force protection (domain/brute-force-guard.ts). */
  lockout: LockoutPolicy;
  jwt: { secret: string; accessTtlMs: number; refreshTtlMs: number; issuer: string; refreshGraceMs: number };
  /** How long an account's state is reused in-process by the per-request check: the revocation bound. */
  sessionCheckCacheTtlMs: number;
  admin: { username: string; password: string; email: string; phone: string };
  /** Secrets left at development values (and similar), logged once each at start-up (main.ts). */
  secretWarnings: SecretWarning[];
}

/** The limiter counts in whole seconds (rate-limiter-flexible's `duration`). */
function windowMs(env: Env, name: string, fallback: string): number {
  const ms = envDurationMs(env, name, fallback, { minMs: 1000 });
  if (ms % 1000 !== 0) throw new ConfigError(name, 'must be whole seconds (e.g. 30s, 2m)');
  return ms;
}

/** Both bound how long a revoked or replayed token still counts: seconds, never more than a minute (0 = off). */
function atMostAMinute(env: Env, name: string, fallback: string): number {
  const ms = envDurationMs(env, name, fallback, { minMs: 0 });
  if (ms > 60_000) throw new ConfigError(name, 'must be at most 1m (it bounds how long a revoked or reused token still works)');
  return ms;
}

/**
 * Each gateway process writes its own audit WAL (one writer per directory). Default: the host name
 * (the pod name on Kubernetes) and the port, so replicas, restarts of one replica, and several
 * gateways on one development machine each keep a stable directory of their own.
 */
function auditWalName(env: Env, port: number): string {
  return envDirName(env, 'AUDIT_WAL_NAME', `auth-gateway-audit-${os.hostname().replace(/[^a-zA-Z0-9_.-]/g, '_')}-${port}`);
}

function trustProxy(env: Env): false | string[] {
  const value = env.TRUST_PROXY?.trim();
  if (!value || ['false', 'off', 'no', '0'].includes(value.toLowerCase())) return false;
  // "true" would trust any X-Forwarded-For sender, i.e. let every client pick its own IP.
  if (['true', 'on', 'yes', '1', '*'].includes(value.toLowerCase())) throw new ConfigError('TRUST_PROXY', 'list the proxy addresses or CIDRs (e.g. loopback, 10.0.0.0/8); trusting every sender would let clients choose their IP');
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // Checked here, or express would throw a bare error when the gateway sets `trust proxy`.
  for (const entry of entries) if (!isProxyEntry(entry)) throw new ConfigError('TRUST_PROXY', `"${entry}" is not an address, a CIDR or one of ${PROXY_NAMES.join(', ')}`);
  return entries;
}

/** The names express's `trust proxy` (proxy-addr) knows besides addresses. */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** A name above, an address, `address/prefix` or an IPv4 `address/netmask`: what proxy-addr accepts (but leading-zero octets, which it reads as octal). */
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.includes(entry)) return true;
  const [address, range, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d+$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  if (family !== 4 || isIP(range) !== 4) return false;
  const bits = range.split('.').map((octet) => Number(octet).toString(2).padStart(8, '0')).join('');
  return /^1*0*$/.test(bits); // a netmask is leading ones
}

/** The admin account's contact details pass the sign-up rules, or its creation at start-up would store what no API call could. */
function adminContact(env: Env, name: 'ADMIN_EMAIL' | 'ADMIN_PHONE', fallback: string): string {
  const value = envString(env, name, fallback);
  const parsed = createUserSchema.shape[name === 'ADMIN_EMAIL' ? 'email' : 'phone'].safeParse(value);
  if (!parsed.success) throw new ConfigError(name, parsed.error.issues[0]?.message ?? 'is not valid');
  return value;
}

/** LOCKOUT_*: the across-networks threshold must be the softer one, and the first lock no longer than the cap. */
function lockoutPolicy(env: Env): LockoutPolicy {
  const threshold = envInt(env, 'LOCKOUT_THRESHOLD', 10, { min: 1 });
  const globalThreshold = envInt(env, 'LOCKOUT_GLOBAL_THRESHOLD', 100, { min: 1 });
  if (globalThreshold < threshold) throw new ConfigError('LOCKOUT_GLOBAL_THRESHOLD', `must be at least LOCKOUT_THRESHOLD (${threshold}): it is the softer limit across networks`);
  const baseLockMs = envDurationMs(env, 'LOCKOUT_BASE_DURATION', '1m', { minMs: 1000 });
  const maxLockMs = envDurationMs(env, 'LOCKOUT_MAX_DURATION', '15m', { minMs: 1000 });
  if (maxLockMs < baseLockMs) throw new ConfigError('LOCKOUT_MAX_DURATION', 'must be at least LOCKOUT_BASE_DURATION');
  return { threshold, globalThreshold, windowMs: envDurationMs(env, 'LOCKOUT_WINDOW', '15m', { minMs: 1000 }), baseLockMs, maxLockMs };
}

export function loadConfig(env: Env = process.env): GatewayConfig {
  // Secrets first: in production a missing one stops the gateway before anything else is read.
  const secretWarnings: SecretWarning[] = [];
  const jwtSecret = envSecret(env, JWT_SECRET, secretWarnings);
  const internalToken = envSecret(env, INTERNAL_TOKEN, secretWarnings);
  const adminPassword = envSecret(env, ADMIN_PASSWORD, secretWarnings);
  const cacheHmacKey = envSecret(env, CACHE_HMAC_KEY, secretWarnings);
  const adminUsername = envString(env, 'ADMIN_USERNAME', 'admin');
  if (!/^[a-zA-Z0-9_.-]{3,32}$/.test(adminUsername)) throw new ConfigError('ADMIN_USERNAME', 'must be 3-32 characters of [a-zA-Z0-9_.-]');

  const infra = loadInfraConfig(env);
  checkRedisUrl(env, infra.redisUrl, secretWarnings);
  const port = envPort(env, 'AUTH_GATEWAY_PORT', 8080);
  const walName = auditWalName(env, port);
  return {
    ...infra,
    port,
    host: envHost(env, 'AUTH_GATEWAY_HOST', '127.0.0.1'),
    userCommandUrls: envUrlList(env, 'USER_COMMAND_URLS', ['http:']) ?? [new URL(envUrl(env, 'USER_COMMAND_URL', 'http://127.0.0.1:8081', ['http:'])).origin],
    internalToken,
    dbPoolMax: envInt(env, 'AUTH_GATEWAY_DB_POOL_MAX', 10, { min: 1, max: 200 }),
    cacheHmacKey,
    trustProxy: trustProxy(env),
    login: {
      fastFailThreshold: envInt(env, 'LOGIN_FAST_FAIL_THRESHOLD', 1000, { min: 1 }),
      fastFailMessage: envString(env, 'LOGIN_FAST_FAIL_MESSAGE', 'login is busy, please retry shortly'),
      rateLimit: envInt(env, 'LOGIN_RATE_LIMIT', 500_000, { min: 1 }),
      windowMs: windowMs(env, 'LOGIN_WINDOW', '2m'),
      rateLimiterEnabled: envBool(env, 'ENABLE_RATE_LIMITER', true),
      credentialCacheTtlMs: envDurationMs(env, 'LOGIN_CREDENTIAL_CACHE_TTL', '5m', { minMs: 1 }),
      credentialCacheSize: envInt(env, 'LOGIN_CREDENTIAL_CACHE_SIZE', 100_000, { min: 1 }),
      bcryptWorkers: envInt(env, 'LOGIN_BCRYPT_WORKERS', 2, { min: 1, max: 64 }),
      bcryptCost: envInt(env, 'BCRYPT_COST', 10, { min: 4, max: 15 }),
      hashImpl: envEnum(env, 'PASSWORD_HASH_IMPL', PASSWORD_HASH_IMPLS, DEFAULT_PASSWORD_HASH_IMPL),
      hashWaitBudgetMs: envDurationMs(env, 'HASH_WAIT_BUDGET', '100ms', { minMs: 1 }),
    },
    lastLogin: {
      buffer: envInt(env, 'LOGIN_UPDATE_BUFFER', 10_000, { min: 1 }),
      batchSize: envInt(env, 'LOGIN_UPDATE_BATCH_SIZE', 500, { min: 1 }),
      flushIntervalMs: envDurationMs(env, 'LOGIN_UPDATE_FLUSH_INTERVAL', '1s', { minMs: 1 }),
      timeoutMs: envDurationMs(env, 'LOGIN_UPDATE_TIMEOUT', '5s', { minMs: 1 }),
    },
    audit: {
      walName,
      walPath: path.resolve(infra.walDir, walName),
      maxPending: envInt(env, 'LOGIN_AUDIT_BUFFER', 50_000, { min: 1 }),
      reopenAfterMs: envDurationMs(env, 'AUDIT_WAL_REOPEN_INTERVAL', '5s', { minMs: 1 }),
    },
    writeRateLimit: envInt(env, 'WRITE_RATE_LIMIT', 600, { min: 1 }),
    writeWindowMs: windowMs(env, 'WRITE_WINDOW', '1m'),
    lockout: lockoutPolicy(env),
    jwt: {
      secret: jwtSecret,
      accessTtlMs: envDurationMs(env, 'ACCESS_TOKEN_TTL', '15m', { minMs: 1000 }),
      refreshTtlMs: envDurationMs(env, 'REFRESH_TOKEN_TTL', '168h', { minMs: 1000 }),
      issuer: envString(env, 'JWT_ISSUER', 'usersys-auth-gateway'),
      refreshGraceMs: atMostAMinute(env, 'REFRESH_GRACE', '5s'),
    },
    sessionCheckCacheTtlMs: atMostAMinute(env, 'SESSION_CHECK_CACHE_TTL', '1s'),
    admin: {
      username: adminUsername,
      password: adminPassword,
      email: adminContact(env, 'ADMIN_EMAIL', `${adminUsername.toLowerCase()}@usersys.local`),
      phone: adminContact(env, 'ADMIN_PHONE', '+10000000000'),
    },
    secretWarnings,
  };
}
