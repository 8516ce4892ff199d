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

/** Each variable config.ts validates, with a value (or a whole environment) it refuses. */
const BAD: Record<string, string | Env> = {
  WAL_RELAY_PORT: '65536',
  WAL_RELAY_HOST: 'a b',
  RELAY_BATCH_MAX_RECORDS: '0',
  RELAY_BATCH_MAX_BYTES: '100',
  RELAY_LINGER: '5',
  RELAY_MAX_IN_FLIGHT: '65',
  RELAY_COMPRESSION: 'zstd',
  RELAY_POLL_INTERVAL: '0ms',
  RELAY_RETRY_INITIAL: 'fast',
  RELAY_RETRY_MAX: '10 s',
  RELAY_READ_ERROR_PAUSE: '0s',
  RELAY_CHECKPOINT_INTERVAL: 'often',
  WAL_BACKLOG_WARN: '-1',
  WAL_OLDEST_AGE_WARN: '5',
  WAL_ACKED_SEGMENTS: 'shred',
};

/** Read by config.ts, but any value is valid. */
const FREE_TEXT = ['WAL_ARCHIVE_DIR'];

const envOf = (name: string, bad: string | Env): Env => (typeof bad === 'string' ? { [name]: bad } : bad);

describe('configuration errors', () => {
  it('accepts the defaults', () => {
    expect(() => loadConfig({})).not.toThrow();
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
