import { UserCacheSeal } from '@usersys/user-cache';
import { createPrismaClient } from '@usersys/db';
import { TOPICS } from '@usersys/event-schema';
import { createMetrics, createRedisClient, defineService, KafkaClients } from '@usersys/service-kit';
import { adminRoutes } from './adapters/admin-routes';
import { DegradeSwitch } from './adapters/degrade-switch';
import { KafkaEventRunner } from './adapters/kafka-runner';
import { KafkaRepublisher } from './adapters/kafka-republisher';
import { LoginAuditSink, PrismaAuditStore } from './adapters/login-audit-sink';
import { KafkaLagReader } from './adapters/kafka-lag-reader';
import { createConsumerMetrics, registerScrapeGauges } from './adapters/metrics';
import { PrismaUserStore } from './adapters/prisma-user-store';
import { RedisBookkeeping } from './adapters/redis-bookkeeping';
import { RepairJob } from './adapters/repair-job';
import { tracingInstrumentation } from './adapters/tracing-instrumentation';
import { loadConfig } from './config';
import { EventProcessor } from './domain/processor';

/**
 * The consumer's composition root: Kafka in, PostgreSQL (and Redis bookkeeping) out. Its HTTP serves
 * only health, metrics and the admin routes, so it stays up while the Kafka groups drain.
 */
export const userConsumerService = defineService({
  name: 'user-consumer',
  loadConfig: () => loadConfig(),
  async build({ config, log }) {
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
    // Once the switch is off again, fills what degraded writes left out.
    const repair = new RepairJob(store, bookkeeping, () => degrade.enabled, log);

    // Lag and parked users are read when Prometheus scrapes (alert rules: infra/prometheus/rules/).
    const lagReader = new KafkaLagReader(config.kafkaBrokers, [
      { groupId: config.groupId, topic: TOPICS.events },
      { groupId: `${config.groupId}-retry`, topic: TOPICS.retry },
      ...(config.loginAudit ? [{ groupId: `${config.groupId}-login-audit`, topic: TOPICS.loginAudit }] : []),
    ]);
    registerScrapeGauges(metrics.registry, { consumerLag: () => lagReader.read(), parkedUsers: () => store.countParked() });

    return {
      metrics,
      readiness: { postgres: () => store.ping(), redis: () => redis.ping(), kafka: () => kafka.checkReachable() },
      liveness: { kafka: () => kafka.checkLive() },
      routes: adminRoutes(degrade, config.internalToken),
      background: [
        ['degrade', async () => degrade.start(config.settingsPollMs)],
        // A broker not reachable yet is no reason to fail the start: the reconnecting clients keep trying.
        ['producer', () => producer.connect().catch((err: Error) => log.warn({ err: err.message }, 'kafka not reachable yet; the clients keep trying'))],
        ['kafka', () => runner.start()],
        ['audit', async () => audit?.start()],
        ['repair', async () => repair.start()],
      ],
      // Intake stops first: running batches finish and commit, the groups are left; then the clients close.
      shutdown: [
        ['kafka', () => Promise.all([runner.stop(), audit?.stop()])],
        ['producer', () => Promise.all([kafka.close(), lagReader.close()])],
        ['timers', async () => (repair.stop(), degrade.stop())],
        ['postgres', () => prisma.$disconnect()],
        ['redis', async () => redis.disconnect()],
      ],
      closeHttp: 'last',
      summary: { groupId: config.groupId, brokers: config.kafkaBrokers },
    };
  },
});
