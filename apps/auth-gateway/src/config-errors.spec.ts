import { describeConfigErrors, type Env } from '@usersys/test-infra/config-errors';
import path from 'node:path';
import { loadConfig } from './config';

// A bad value of any variable this service validates stops start-up with one line naming it
// (the check: libs/test-infra/src/config-errors.ts).

/** NODE_ENV=production with every secret set well: a secret's row takes one away or spoils it. */
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  JWT_SECRET: 'j'.repeat(40),
  INTERNAL_TOKEN: 'i'.repeat(40),
  CACHE_HMAC_KEY: 'c'.repeat(40),
  ADMIN_PASSWORD: 'a-real-admin-password',
  REDIS_URL: 'redis://usersys:a-real-redis-password@127.0.0.1:6379',
};

/** Each variable config.ts validates, with a value (or a whole environment) it refuses. */
const BAD: Record<string, string | Env> = {
  JWT_SECRET: { ...PRODUCTION, JWT_SECRET: '' },
  INTERNAL_TOKEN: { ...PRODUCTION, INTERNAL_TOKEN: 'short' },
  CACHE_HMAC_KEY: { ...PRODUCTION, CACHE_HMAC_KEY: 'short' },
  ADMIN_PASSWORD: 'short',
  ADMIN_USERNAME: 'a',
  ADMIN_EMAIL: 'not-an-email',
  ADMIN_PHONE: '12345',
  AUTH_GATEWAY_PORT: '70000',
  AUTH_GATEWAY_HOST: 'http://0.0.0.0',
  AUTH_GATEWAY_DB_POOL_MAX: '0',
  USER_COMMAND_URL: 'not a url',
  USER_COMMAND_URLS: 'ftp://127.0.0.1:8081',
  TRUST_PROXY: '10.0.0.0/33',
  AUDIT_WAL_NAME: '..',
  AUDIT_WAL_REOPEN_INTERVAL: '5',
  LOGIN_AUDIT_BUFFER: '0',
  LOGIN_FAST_FAIL_THRESHOLD: 'many',
  LOGIN_RATE_LIMIT: '0',
  LOGIN_WINDOW: '1500ms',
  ENABLE_RATE_LIMITER: 'maybe',
  LOGIN_CREDENTIAL_CACHE_TTL: '5 minutes',
  LOGIN_CREDENTIAL_CACHE_SIZE: '-1',
  LOGIN_BCRYPT_WORKERS: '65',
  BCRYPT_COST: '3',
  PASSWORD_HASH_IMPL: 'md5',
  HASH_WAIT_BUDGET: 'soon',
  LOGIN_UPDATE_BUFFER: '0',
  LOGIN_UPDATE_BATCH_SIZE: '1.5',
  LOGIN_UPDATE_FLUSH_INTERVAL: '0ms',
  LOGIN_UPDATE_TIMEOUT: 'forever',
  WRITE_RATE_LIMIT: '0',
  WRITE_WINDOW: '30',
  LOCKOUT_THRESHOLD: '0',
  LOCKOUT_GLOBAL_THRESHOLD: { LOCKOUT_THRESHOLD: '10', LOCKOUT_GLOBAL_THRESHOLD: '5' },
  LOCKOUT_WINDOW: '500ms',
  LOCKOUT_BASE_DURATION: '1 minute',
  LOCKOUT_MAX_DURATION: { LOCKOUT_BASE_DURATION: '10m', LOCKOUT_MAX_DURATION: '5m' },
  ACCESS_TOKEN_TTL: '10ms',
  REFRESH_TOKEN_TTL: 'a week',
  REFRESH_GRACE: '2m',
  SESSION_CHECK_CACHE_TTL: '5m',
};

/** Read by config.ts, but any value is valid. */
const FREE_TEXT = ['JWT_ISSUER', 'LOGIN_FAST_FAIL_MESSAGE'];

describeConfigErrors({ loadConfig, configFile: path.join(__dirname, 'config.ts'), bad: BAD, freeText: FREE_TEXT, good: [PRODUCTION] });
