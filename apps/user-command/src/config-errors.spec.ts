import { describeConfigErrors, type Env } from '@usersys/test-infra/config-errors';
import path from 'node:path';
import { loadConfig } from './config';

// A bad value of any variable this service validates stops start-up with one line naming it
// (the check: libs/test-infra/src/config-errors.ts).

/** NODE_ENV=production with every secret set well: a secret's row takes one away or spoils it. */
const PRODUCTION: Env = {
  NODE_ENV: 'production',
  INTERNAL_TOKEN: 'i'.repeat(40),
  CACHE_HMAC_KEY: 'c'.repeat(40),
  REDIS_URL: 'redis://usersys:a-real-redis-password@127.0.0.1:6379',
};

/** Each variable config.ts validates, with a value (or a whole environment) it refuses. */
const BAD: Record<string, string | Env> = {
  INTERNAL_TOKEN: { ...PRODUCTION, INTERNAL_TOKEN: '' },
  CACHE_HMAC_KEY: { ...PRODUCTION, CACHE_HMAC_KEY: 'short' },
  USER_COMMAND_PORT: '-1',
  USER_COMMAND_HOST: 'host:8081',
  USER_COMMAND_URLS: 'not a url',
  USER_COMMAND_SELF: { USER_COMMAND_URLS: 'http://127.0.0.1:8081', USER_COMMAND_SELF: 'http://127.0.0.1:8082' },
  WAL_NAME: '..',
  BCRYPT_COST: '16',
  HASH_WORKERS: '0',
  PASSWORD_HASH_IMPL: 'md5',
  HASH_WAIT_BUDGET: '100',
  PENDING_MARKER_TTL: 'ten minutes',
  SLOW_STEP_THRESHOLD: 'soon',
  BODY_LIMIT_KB: '2048',
  CONTACT_RESERVATION_TTL: '15 m',
  DB_POOL_MAX: '201',
};

/** Read by config.ts, but any value is valid. */
const FREE_TEXT: string[] = [];

describeConfigErrors({ loadConfig, configFile: path.join(__dirname, 'config.ts'), bad: BAD, freeText: FREE_TEXT, good: [PRODUCTION] });
