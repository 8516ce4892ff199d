import { UserCacheSeal } from '@usersys/user-cache';
import { createPrismaClient } from '@usersys/db';
import { TOPICS } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { closeServer, createMetrics, createRedisClient, createServiceApp, KafkaClients, listen } from '@usersys/service-kit';
import type { AddressInfo } from 'node:net';
import { adminRoutes } from './adapters/admin-routes';
import { DegradeSwitch } from './adapters/degrade-switch';
import { KafkaEventRunner } from './adapters/kafka-runner';
import { KafkaRepublisher } from './adapters/kafka-republisher';
import { LoginAuditSink, PrismaAuditStore } from './adapters/login-audit-sink';
import { KafkaLagReader } from './adapters/kafka-lag-reader';
import { createConsumerMetrics, registerScrapeGauges } from './adapters/metrics';
import { PrismaUserStore } from './adapters/prisma-user-store';
import { RedisBookkeeping } from './adapters/redis-bookkeeping';
import { tracingInstrumentation } from './adapters/tracing-instrumentation';
import type { ConsumerConfig } from './config';
import { EventProcessor } from './domain/processor';

export interface RunningConsumer {
  port: number;
  /** Graceful: stop intake, let running batches finish and commit, leave the groups, close. */
  stop(): Promise<void>;
  steps: Array<[string, () => Promise<unknown>]>;
}

const REPAIR_INTERVAL_MS = 5000;

/** Wires the consumer (composition root, shared by main.ts and the in-process tests and benchmark). */
export async function startConsumer(config: ConsumerConfig, log: Logger): Promise<RunningConsumer> {
  const metrics = createMetrics('user-consumer');
  const consumerMetrics = createConsumerMetrics(metrics.registry);
  const redis = createRedisClient(config, log);
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, statementTimeoutMs: config.dbStatementTimeoutMs, applicationName: 'user-consumer' });
  // Every Kafka client of the consumer: rebuilt when its connection stops answering (frozen broker); /readyz and /healthz ask them.
  const kafka = new KafkaClients({ clientId: 'user-consumer', brokers: config.kafkaBrokers, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 } }, log);
  const producer = kafka.producer('republisher', { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const republisher = new KafkaRepublisher(producer);
  const store = new PrismaUserStore(prisma);
  const degrade = new DegradeSwitch(redis, config.degrade, log, (on) => consumerMetrics.degrade.set(on ? 1 : 0));
  const bookkeeping = new RedisBookkeeping(redis, { rejectionTtlMs: config.rejectionTtlMs, userCacheTtlMs: config.userCacheTtlMs }, new UserCacheSeal(config.cacheHmacKey));
  const processor = new EventProcessor({ store, bookkeeping, republisher, metrics: consumerMetrics, log, retry: config.retry, writeBatchMax: config.writeBatchMax, degrade: () => degrade.enabled, instrument: tracingInstrumentation(log) });
  const runner = new KafkaEventRunner(kafka, { groupId: config.groupId, sessionTimeoutMs: config.sessionTimeoutMs, fetchMaxWaitMs: config.fetchMaxWaitMs, partitionsConcurrency: config.partitionsConcurrency }, processor);
  const audit = config.loginAudit
    ? new LoginAuditSink(kafka, `${config.groupId}-login-audit`, { sessionTimeoutMs: config.sessionTimeoutMs, fetchMaxWaitMs: config.fetchMaxWaitMs }, { store: new PrismaAuditStore(prisma), republisher, log, counter: consumerMetrics.loginAudit })
    : null;

  // Lag and parked users are read when Prometheus scrapes (alert rules: infra/prometheus/rules/).
  const lagReader = new KafkaLagReader(config.kafkaBrokers, [
    { groupId: config.groupId, topic: TOPICS.events },
    { groupId: `${config.groupId}-retry`, topic: TOPICS.retry },
    ...(config.loginAudit ? [{ groupId: `${config.groupId}-login-audit`, topic: TOPICS.loginAudit }] : []),
  ]);
  registerScrapeGauges(metrics.registry, { consumerLag: () => lagReader.read(), parkedUsers: () => store.countParked() });

  const app = createServiceApp({
    metrics,
    log,
    readiness: { postgres: () => store.ping(), redis: () => redis.ping(), kafka: () => kafka.checkReachable() },
    liveness: { kafka: () => kafka.checkLive() },
    routes: adminRoutes(degrade, config.internalToken),
  });
  const server = await listen(app, config.port, config.host, log);
  degrade.start(config.settingsPollMs);
  await producer.connect().catch((err: Error) => log.warn({ err: err.message }, 'kafka not reachable yet; the clients keep trying'));
  await runner.start();
  await audit?.start();

  // Repair job: once the switch is off again, fill what degraded writes left out.
  const repair = setInterval(() => {
    if (degrade.enabled) return;
    store
      .repairDeferred(500)
      .then(async (rows) => {
        if (rows.length === 0) return;
        log.info({ repaired: rows.length, step: 'repairDeferred' }, 'filled deferred columns');
        await bookkeeping.refreshRows(rows).catch(() => {});
      })
      .catch((err: Error) => log.warn({ err: err.message, step: 'repairDeferred' }, 'repair of deferred columns failed; will try again'));
  }, REPAIR_INTERVAL_MS);
  repair.unref();

  const steps: Array<[string, () => Promise<unknown>]> = [
    ['kafka', () => Promise.all([runner.stop(), audit?.stop()])],
    ['producer', () => Promise.all([kafka.close(), lagReader.close()])],
    ['timers', async () => (clearInterval(repair), degrade.stop())],
    ['http', () => closeServer(server)],
    ['postgres', () => prisma.$disconnect()],
    ['redis', async () => redis.disconnect()],
  ];
  return {
    port: (server.address() as AddressInfo).port,
    steps,
    stop: async () => {
      for (const [, step] of steps) await step().catch(() => {});
    },
  };
}
