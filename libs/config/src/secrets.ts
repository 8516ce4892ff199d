import { ConfigError } from './env';
import { DEV_REDIS_PASSWORD } from './infra';

type Env = Record<string, string | undefined>;

/**
 * The one place secrets are read. In production (NODE_ENV=production) a secret must be set, must
 * not be a value known from development, and must have its minimum length: a forgotten variable
 * stops the service with one line naming it, instead of shipping a token anyone can forge.
 * Elsewhere the development default stays, and the service logs one warning per secret.
 */
export interface SecretSpec {
  name: string;
  /** Used outside production when the variable is unset. */
  devDefault: string;
  minBytes: number;
  maxBytes?: number;
  /** Length limits that hold in every environment (not only production), e.g. bcrypt's 72 bytes. */
  lengthAlways?: boolean;
  /** Other values known from development set-ups (older defaults), refused in production too. */
  knownDevValues?: readonly string[];
  /** How to make a good one, for the error message. */
  hint: string;
}

/** A secret that fell back to (or looks like) a development value: the service logs it once at start-up. */
export interface SecretWarning {
  variable: string;
  message: string;
}

export const DEV_CACHE_HMAC_KEY = 'dev-cache-hmac-key-change-me-0123456789';
export const DEV_INTERNAL_TOKEN = 'dev-internal-token';
export const DEV_JWT_SECRET = 'dev-jwt-secret-change-me-0123456789abcdef';
export const DEV_ADMIN_PASSWORD = 'admin-dev-password';

const RANDOM_HINT = 'e.g. openssl rand -base64 48';

/** HS256 key of the gateway's access and refresh tokens. */
export const JWT_SECRET: SecretSpec = { name: 'JWT_SECRET', devDefault: DEV_JWT_SECRET, minBytes: 32, knownDevValues: ['dev-jwt-secret-change-me'], hint: RANDOM_HINT };
/** Credential of the gateway towards user-command and of the consumer's admin endpoint. */
export const INTERNAL_TOKEN: SecretSpec = { name: 'INTERNAL_TOKEN', devDefault: DEV_INTERNAL_TOKEN, minBytes: 32, hint: RANDOM_HINT };
/** Seals `user:cache:*` entries (gateway, user-command and user-consumer must share it). */
export const CACHE_HMAC_KEY: SecretSpec = { name: 'CACHE_HMAC_KEY', devDefault: DEV_CACHE_HMAC_KEY, minBytes: 32, hint: RANDOM_HINT };
/** The admin account's password when the gateway creates it (a user password: 8-72 bytes, bcrypt). */
export const ADMIN_PASSWORD: SecretSpec = { name: 'ADMIN_PASSWORD', devDefault: DEV_ADMIN_PASSWORD, minBytes: 8, maxBytes: 72, lengthAlways: true, hint: 'a password of 8-72 bytes' };

export function isProduction(env: Env): boolean {
  return env.NODE_ENV?.trim() === 'production';
}

function isDevValue(value: string, spec: SecretSpec): boolean {
  return value === spec.devDefault || (spec.knownDevValues?.includes(value) ?? false);
}

function lengthProblem(value: string, spec: SecretSpec): string | null {
  const bytes = Buffer.byteLength(value);
  if (bytes < spec.minBytes || (spec.maxBytes !== undefined && bytes > spec.maxBytes)) {
    return spec.maxBytes === undefined ? `must be at least ${spec.minBytes} bytes (it has ${bytes})` : `must be ${spec.minBytes}-${spec.maxBytes} bytes (it has ${bytes})`;
  }
  return null;
}

/**
 * Reads one secret (never echoing its value). Production: unset, a development value or a wrong
 * length is a ConfigError. Elsewhere: unset falls back to the development default, and that (or a
 * value shorter than production allows) is added to `warnings`, once.
 */
export function envSecret(env: Env, spec: SecretSpec, warnings: SecretWarning[]): string {
  const set = env[spec.name]?.trim() || undefined;
  if (isProduction(env)) {
    if (set === undefined) throw new ConfigError(spec.name, `must be set when NODE_ENV=production (${spec.hint})`);
    if (isDevValue(set, spec)) throw new ConfigError(spec.name, `is a development default; set your own when NODE_ENV=production (${spec.hint})`);
    const problem = lengthProblem(set, spec);
    if (problem) throw new ConfigError(spec.name, `${problem} when NODE_ENV=production`);
    return set;
  }
  const value = set ?? spec.devDefault;
  const problem = lengthProblem(value, spec);
  if (problem && spec.lengthAlways) throw new ConfigError(spec.name, problem);
  // A development value set explicitly (as compose once did) warns like an unset one.
  if (set === undefined) warnings.push({ variable: spec.name, message: `${spec.name} is not set: using the development default (refused when NODE_ENV=production)` });
  else if (isDevValue(set, spec)) warnings.push({ variable: spec.name, message: `${spec.name} is a development default (refused when NODE_ENV=production)` });
  else if (problem) warnings.push({ variable: spec.name, message: `${spec.name} ${problem}: refused when NODE_ENV=production` });
  return value;
}

/** CACHE_HMAC_KEY alone (tests that seal or read cache entries with the configured key). */
export function cacheHmacKey(env: Env = process.env, warnings: SecretWarning[] = []): string {
  return envSecret(env, CACHE_HMAC_KEY, warnings);
}

/**
 * REDIS_URL carries Redis's credentials (an ACL user: redis://user:password@host:port). Production:
 * the development password is refused like any development secret; a URL without a password is
 * only a warning, because a Redis behind an authenticating proxy or a private network may
 * rightly have none (cache entries are sealed either way; see README "Secrets and production").
 */
export function checkRedisUrl(env: Env, redisUrl: string, warnings: SecretWarning[]): void {
  if (!isProduction(env)) return;
  const password = decodeURIComponent(new URL(redisUrl).password);
  if (password === DEV_REDIS_PASSWORD) throw new ConfigError('REDIS_URL', 'carries the development Redis password; set your own when NODE_ENV=production');
  if (password === '') warnings.push({ variable: 'REDIS_URL', message: 'REDIS_URL has no password: anyone who reaches Redis can clear lockouts and revocation markers (use an ACL user: redis://user:password@host:port)' });
}
