import { ConfigError } from '@usersys/config';
import { startupFailureMessage } from '@usersys/service-kit';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from './config';

// A bad value of any variable this service validates stops start-up with one line naming the
// variable (runMain prints a ConfigError's message alone; anything else gets a stack).

type Env = Record<string, string>;

/** Read by every service (libs/config loadInfraConfig). */
const INFRA_BAD: Record<string, string> = {
  DATABASE_URL: 'mysql://127.0.0.1/usersys',
  REDIS_URL: 'http://127.0.0.1:6379',
  REDIS_CLUSTER_NODES: 'redis-1',
  REDIS_KEY_PREFIX: '{tag}',
  KAFKA_BROKERS: ',',
  LOG_LEVEL: 'loud',
};

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

const envOf = (name: string, bad: string | Env): Env => (typeof bad === 'string' ? { [name]: bad } : bad);

describe('configuration errors', () => {
  it('accepts the defaults', () => {
    expect(() => loadConfig({})).not.toThrow();
    expect(() => loadConfig(PRODUCTION)).not.toThrow();
  });

  it.each(Object.entries({ ...INFRA_BAD, ...BAD }))('a bad %s stops start-up with one line naming it', (name, bad) => {
    let err: unknown;
    try {
      loadConfig(envOf(name, bad));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect(startupFailureMessage(err)).toMatch(new RegExp(`^config: ${name}: [^\\n]+$`));
  });

  it('has a bad value above for every variable config.ts reads, but free text', () => {
    const source = readFileSync(path.join(__dirname, 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'|\benv\.([A-Z][A-Z0-9_]+)|envSecret\(env, ([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? m[2] ?? m[3]));
    expect([...read].filter((name) => !(name in BAD) && !FREE_TEXT.includes(name)).sort()).toEqual([]);
    expect(Object.keys(BAD).filter((name) => !read.has(name)).sort()).toEqual([]);
  });
});
