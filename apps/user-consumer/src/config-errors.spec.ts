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
  INTERNAL_TOKEN: { ...PRODUCTION, INTERNAL_TOKEN: 'short' },
  CACHE_HMAC_KEY: { ...PRODUCTION, CACHE_HMAC_KEY: '' },
  USER_CONSUMER_PORT: 'http',
  USER_CONSUMER_HOST: 'http://127.0.0.1',
  REJECTION_TTL: '1 day',
  USER_CACHE_TTL: '500ms',
  CONSUMER_DB_POOL_MAX: '0',
  CONSUMER_DB_STATEMENT_TIMEOUT: '10ms',
  CONSUMER_SESSION_TIMEOUT: '1s',
  CONSUMER_FETCH_MAX_WAIT: '1ms',
  CONSUMER_PARTITIONS_CONCURRENCY: '100',
  CONSUMER_WRITE_BATCH_MAX: '5001',
  CONSUMER_RETRY_MAX_ATTEMPTS: '0',
  CONSUMER_RETRY_BACKOFF_BASE: '1',
  CONSUMER_RETRY_BACKOFF_MAX: '5ms',
  CONSUMER_DEGRADE: 'sometimes',
  CONSUMER_SETTINGS_POLL: '10ms',
  CONSUMER_LOGIN_AUDIT: 'yes please',
};

/** Read by config.ts, but any value is valid. */
const FREE_TEXT = ['CONSUMER_GROUP_ID'];

describeConfigErrors({ loadConfig, configFile: path.join(__dirname, 'config.ts'), bad: BAD, freeText: FREE_TEXT, good: [PRODUCTION] });
