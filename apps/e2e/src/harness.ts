import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createPrismaClient } from '@usersys/db';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '@usersys/logger';
import { startServices, type RunningServices } from '@usersys/service-runner';
import { createRedisClient, type RedisClient } from '@usersys/service-kit';
import { fetchTopicOffsetsWhenLed, freePort } from '@usersys/test-infra';
import { TOPICS } from '@usersys/event-schema';
import { Kafka, logLevel } from 'kafkajs';

/**
 * The whole system for one test file: the four services on free ports, with their own WAL
 * directory, consumer group, Redis key prefix and PostgreSQL database (usersys_test), against the
 * real Kafka, Redis, PostgreSQL and Jaeger that tools/infra.sh runs. Nothing is mocked.
 */
export interface System {
  gateway: string;
  jaeger: string;
  databaseUrl: string;
  /** The WAL root every service of this system writes under (extra processes must use it too). */
  walDir: string;
  /**
   * REDIS_URL, REDIS_KEY_PREFIX (and REDIS_CLUSTER_NODES with TEST_REDIS_CLUSTER_NODES): what an
   * extra process, or a test reading Redis, needs to see this system's keys. Systems are kept apart
   * by key prefix, not by database number: a Redis Cluster has only database 0.
   */
  redisEnv: Record<string, string>;
  services: RunningServices;
  stop(): Promise<void>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://usersys:usersys@127.0.0.1:5432/usersys_test';

export async function startSystem(extraEnv: Record<string, string> = {}): Promise<System> {
  const env = await systemEnv(extraEnv);
  const services = await startServices({ env, logDir: path.join(__dirname, '../../../.data/logs/e2e') });
  return {
    gateway: `http://127.0.0.1:${services.portOf('auth-gateway')}`,
    jaeger: process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686',
    databaseUrl: TEST_DATABASE_URL,
    walDir: env.WAL_DIR,
    redisEnv: Object.fromEntries(['REDIS_URL', 'REDIS_KEY_PREFIX', 'REDIS_CLUSTER_NODES'].filter((k) => env[k] !== undefined).map((k) => [k, env[k]])),
    services,
    stop: () => services.stop(),
  };
}

/** The environment of one test system (free ports, own WAL root and consumer group, whose offsets start at the end). */
export async function systemEnv(extraEnv: Record<string, string> = {}): Promise<Record<string, string>> {
  const run = randomUUID().slice(0, 8);
  // Free ports every time, so several checkouts (or a developer's `npm start`) never collide.
  const [gatewayPort, commandPort, relayPort, consumerPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const env = {
    AUTH_GATEWAY_PORT: String(gatewayPort),
    USER_COMMAND_PORT: String(commandPort),
    USER_COMMAND_URL: `http://127.0.0.1:${commandPort}`,
    WAL_RELAY_PORT: String(relayPort),
    USER_CONSUMER_PORT: String(consumerPort),
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL,
    REDIS_KEY_PREFIX: `e2e-${run}:`,
    ...(process.env.TEST_REDIS_CLUSTER_NODES ? { REDIS_CLUSTER_NODES: process.env.TEST_REDIS_CLUSTER_NODES } : {}),
    WAL_DIR: path.join(os.tmpdir(), `usersys-e2e-wal-${run}`),
    CONSUMER_GROUP_ID: `user-consumer-e2e-${run}`,
    BCRYPT_COST: '4',
    // The hash pools' overload refusal (503 + Retry-After after 100 ms of expected wait) has its own
    // specs; elsewhere a loaded CI machine must not turn a test's parallel logins into refusals.
    HASH_WAIT_BUDGET: '10s',
    OTEL_TRACES_EXPORTER: 'otlp',
    // Specs that check a trace's shape keep every trace; the shipped policy drops most fast,
    // successful logins and refreshes (libs/tracing/src/triage.ts, tested in tracing.e2e.spec.ts).
    TRACE_SUCCESS_SAMPLE_RATIO: '1',
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  await startGroupsAtEnd(env.CONSUMER_GROUP_ID, ((env as Record<string, string | undefined>).KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','));
  return env;
}

export function uniqueUser(prefix = 'e2e') {
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  const digits = String(Math.floor(Math.random() * 1e9)).padStart(9, '0');
  return { username: `${prefix}_${id}`, password: `pw-${id}-secret`, email: `${prefix}.${id}@Example.COM`, phone: `+49 151 ${digits}` };
}

export async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export const json = { 'content-type': 'application/json' };

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

/** Signs `user` up through the gateway and returns the 202's request id. */
export async function signUp(gateway: string, user: object): Promise<string> {
  const res = await fetch(`${gateway}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
  if (res.status !== 202) throw new Error(`sign-up answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { requestId: string }).requestId;
}

/**
 * Follows a request id (`GET /v1/requests/{id}`, what its client does) until it is terminal; throws
 * unless it ended `applied`.
 */
export async function untilApplied(gateway: string, requestId: string, timeoutMs = 60_000): Promise<void> {
  const body = await poll(`request ${requestId} terminal`, async () => {
    const res = await fetch(`${gateway}/v1/requests/${requestId}`);
    if (res.status !== 200) return undefined;
    const b = (await res.json()) as { state: string; reason?: string };
    return b.state === 'pending' ? undefined : b;
  }, timeoutMs);
  if (body.state !== 'applied') throw new Error(`request ${requestId} ended ${body.state}${body.reason ? ` (${body.reason})` : ''}`);
}

/** Logs in; throws unless 200. */
export async function loginAs(gateway: string, username: string, password: string): Promise<TokenPair> {
  const res = await fetch(`${gateway}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
  if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as TokenPair;
}

export function dbClient(url = TEST_DATABASE_URL) {
  return createPrismaClient({ databaseUrl: url, poolMax: 2, applicationName: 'e2e' });
}

/** Service names that reported spans for a trace, from Jaeger's v3 query API (OTLP JSON). */
export async function servicesInTrace(jaeger: string, traceId: string): Promise<{ services: Set<string>; spanNames: Set<string> }> {
  const res = await fetch(`${jaeger}/api/v3/traces/${traceId}`);
  if (!res.ok) throw new Error(`jaeger answered ${res.status}`);
  const body = (await res.json()) as {
    result?: { resourceSpans?: { resource?: { attributes?: { key: string; value: { stringValue?: string } }[] }; scopeSpans?: { spans?: { name: string; traceId: string }[] }[] }[] };
  };
  const services = new Set<string>();
  const spanNames = new Set<string>();
  for (const rs of body.result?.resourceSpans ?? []) {
    const name = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue;
    if (name) services.add(name);
    for (const ss of rs.scopeSpans ?? []) for (const span of ss.spans ?? []) spanNames.add(span.name);
  }
  return { services, spanNames };
}

/**
 * A fresh consumer group would read the shared topics from the beginning (right for production: a
 * new group must not skip events). A test system only cares about what it produces itself, so its
 * groups start at the current end of each topic instead of replaying everyone's history.
 */
export async function startGroupsAtEnd(groupId: string, brokers: string[]): Promise<void> {
  const admin = new Kafka({ clientId: 'e2e-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const groups: Array<[string, string]> = [
      [groupId, TOPICS.events],
      [`${groupId}-retry`, TOPICS.retry],
      [`${groupId}-login-audit`, TOPICS.loginAudit],
    ];
    for (const [group, topic] of groups) {
      // A private broker may have just created the topic: wait for its partition leaders first.
      const offsets = await fetchTopicOffsetsWhenLed(admin, topic);
      await admin.setOffsets({ groupId: group, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

/** A client on this system's Redis keys (its prefix and, if any, its cluster), for tests that read or clean them. */
export function systemRedis(system: Pick<System, 'redisEnv'>): RedisClient {
  const env = system.redisEnv;
  return createRedisClient({ redisUrl: env.REDIS_URL, redisClusterNodes: env.REDIS_CLUSTER_NODES?.split(',') ?? [], redisKeyPrefix: env.REDIS_KEY_PREFIX }, createLogger('e2e', { level: 'silent' }));
}
