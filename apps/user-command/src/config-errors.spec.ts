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
