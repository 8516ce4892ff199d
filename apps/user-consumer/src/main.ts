import { runMain } from '@usersys/config';
import { createPrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { PendingMarkerStore } from '@usersys/pending-marker';
import { closeServer, createMetrics, createRedisClient, createServiceApp, handleShutdown, listen } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { KafkaEventRunner } from './adapters/kafka-runner';
import { PrismaUserStore } from './adapters/prisma-user-store';
import { RedisBookkeeping } from './adapters/redis-bookkeeping';
import { loadConfig } from './config';

// Composition root of the consumer: Kafka in, PostgreSQL (and Redis bookkeeping) out.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('user-consumer', { level: config.logLevel });
  const metrics = createMetrics('user-consumer');
  const redis = createRedisClient(config.redisUrl, log);
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, applicationName: 'user-consumer' });
  const markers = new PendingMarkerStore(redis, { ttlMs: 0 });
  const runner = new KafkaEventRunner(config.kafkaBrokers, config.groupId, config.sessionTimeoutMs, {
    store: new PrismaUserStore(prisma),
    bookkeeping: new RedisBookkeeping(redis, markers, config.rejectionTtlMs),
    log,
    registry: metrics.registry,
  });

  const app = createServiceApp({
    metrics,
    log,
    readiness: { postgres: () => prisma.$queryRaw`SELECT 1`, redis: () => redis.ping(), kafka: () => runner.ready() },
  });
  const server = await listen(app, config.port, config.host, log);
  await runner.start();
  log.info({ groupId: config.groupId, brokers: config.kafkaBrokers }, 'user-consumer ready');

  handleShutdown(log, [
    ['kafka', () => runner.stop()],
    ['http', () => closeServer(server)],
    ['postgres', () => prisma.$disconnect()],
    ['redis', async () => redis.disconnect()],
    ['tracing', () => shutdownTracing()],
  ]);
});
