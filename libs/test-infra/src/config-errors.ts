import { ConfigError } from '@usersys/config';
import { startupFailureMessage } from '@usersys/service-kit';
import { readFileSync } from 'node:fs';

/*
 * One check for every service's configuration: a bad value of any variable it validates stops
 * start-up with one line naming the variable (runMain prints a ConfigError's message alone;
 * anything else gets a stack), and every variable its config.ts reads has such a row (or is listed
 * as free text). Each service's config-errors.spec.ts gives its own table.
 */

export type Env = Record<string, string>;

/** Read by every service (libs/config loadInfraConfig), with a value each refuses. */
export const INFRA_BAD: Record<string, string> = {
  DATABASE_URL: 'mysql://127.0.0.1/usersys',
  REDIS_URL: 'http://127.0.0.1:6379',
  REDIS_CLUSTER_NODES: 'redis-1',
  REDIS_KEY_PREFIX: '{tag}',
  KAFKA_BROKERS: ',',
  LOG_LEVEL: 'loud',
};

export interface ConfigErrorCases {
  loadConfig(env: Env): unknown;
  /** The service's config.ts, whose reads must all have a row. */
  configFile: string;
  /** Each variable config.ts validates, with a value (or a whole environment) it refuses. */
  bad: Record<string, string | Env>;
  /** Read by config.ts, but any value is valid. */
  freeText?: string[];
  /** Environments that must load (the defaults `{}` always are). */
  good?: Env[];
}

const envOf = (name: string, bad: string | Env): Env => (typeof bad === 'string' ? { [name]: bad } : bad);

export function describeConfigErrors({ loadConfig, configFile, bad, freeText = [], good = [] }: ConfigErrorCases): void {
  describe('configuration errors', () => {
    it('accepts the defaults', () => {
      for (const env of [{}, ...good]) expect(() => loadConfig(env)).not.toThrow();
    });

    it.each(Object.entries({ ...INFRA_BAD, ...bad }))('a bad %s stops start-up with one line naming it', (name, value) => {
      let err: unknown;
      try {
        loadConfig(envOf(name, value));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).variable).toBe(name);
      expect(startupFailureMessage(err)).toMatch(new RegExp(`^config: ${name}: [^\\n]+$`));
    });

    it('has a bad value for every variable config.ts reads, but free text', () => {
      const source = readFileSync(configFile, 'utf8');
      const read = new Set([...source.matchAll(/\(env, '([A-Z][A-Z0-9_]+)'|\benv\.([A-Z][A-Z0-9_]+)|envSecret\(env, ([A-Z][A-Z0-9_]+)/g)].map((m) => m[1] ?? m[2] ?? m[3]));
      expect([...read].filter((name) => !(name in bad) && !freeText.includes(name)).sort()).toEqual([]);
      expect(Object.keys(bad).filter((name) => !read.has(name)).sort()).toEqual([]);
    });
  });
}
