import { applyMigrations } from '@usersys/db';
import { startPrivateKafka, startPrivatePostgres, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { startSystem, type System } from '../harness';

export const ADMIN = { username: 'inv_admin', password: 'invariant-admin-pw' };

/** What both invariant suites (single and cluster) run the services with, on their private infrastructure. */
export function invariantEnv(infra: { redisUrl: string; databaseUrl: string; kafkaBrokers: string; consumerGroup: string }): Record<string, string> {
  return {
    REDIS_URL: infra.redisUrl,
    DATABASE_URL: infra.databaseUrl,
    KAFKA_BROKERS: infra.kafkaBrokers,
    CONSUMER_GROUP_ID: infra.consumerGroup,
    OTEL_TRACES_EXPORTER: 'none',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
    ADMIN_EMAIL: 'inv_admin@inv.test',
    // The workload's one client address would trip the shared limits; the suite judges outcomes, not limits.
    WRITE_RATE_LIMIT: '1000000',
    LOGIN_RATE_LIMIT: '1000000',
  };
}

/**
 * The four services against their own Redis, PostgreSQL (migrated) and Kafka (topics created,
 * leaders elected), so the suite can kill, freeze and restart each without touching the shared
 * infrastructure other tests use.
 */
export interface PrivateSystem {
  system: System;
  redis: PrivateService;
  postgres: PrivateService;
  kafka: PrivateService;
  databaseUrl: string;
  consumerGroup: string;
  stop(): Promise<void>;
}

export async function startPrivateSystem(extraEnv: Record<string, string> = {}): Promise<PrivateSystem> {
  const started: PrivateService[] = [];
  const track = async (p: Promise<PrivateService>) => {
    const s = await p;
    started.push(s);
    return s;
  };
  try {
    const [redis, postgres, kafka] = await Promise.all([track(startPrivateRedis()), track(startPrivatePostgres()), track(startPrivateKafka())]);
    await applyMigrations(postgres.url);
    const consumerGroup = `user-consumer-invariants-${Date.now()}`;
    const system = await startSystem({
      ...invariantEnv({ redisUrl: redis.url, databaseUrl: postgres.url, kafkaBrokers: kafka.url, consumerGroup }),
      ...extraEnv,
    });
    return {
      system,
      redis,
      postgres,
      kafka,
      databaseUrl: postgres.url,
      consumerGroup,
      stop: async () => {
        await system.stop();
        await Promise.all([redis.destroy(), postgres.destroy(), kafka.destroy()]);
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.destroy()));
    throw err;
  }
}

export async function adminToken(gateway: string): Promise<string> {
  const res = await fetch(`${gateway}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (res.status !== 200) throw new Error(`admin login answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
