import { runMain } from '@usersys/config';
import { createPrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { PendingMarkerStore } from '@usersys/pending-marker';
import { closeServer, createMetrics, createRedisClient, createServiceApp, handleShutdown, listen } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { WalWriter } from '@usersys/wal';
import { BcryptHasher } from './adapters/bcrypt-hasher';
import { registerRoutes } from './adapters/http-routes';
import { PrismaUserDirectory } from './adapters/prisma-user-directory';
import { RedisRejections } from './adapters/redis-rejections';
import { WalEventLog } from './adapters/wal-event-log';
import { loadConfig } from './config';
import { createStepRunner } from './step-runner';

// Composition root: configuration, adapters, use cases and the HTTP server are wired here only.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('user-command', { level: config.logLevel });
  const metrics = createMetrics('user-command');
  const redis = createRedisClient(config.redisUrl, log);
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, applicationName: 'user-command' });
  const wal = await WalWriter.open(config.walPath);
  const hasher = new BcryptHasher(config.bcryptCost, config.hashWorkers);

  const app = createServiceApp({
    metrics,
    log,
    readiness: {
      redis: () => redis.ping(),
      postgres: () => prisma.$queryRaw`SELECT 1`,
    },
    routes: (a) =>
      registerRoutes(a, {
        directory: new PrismaUserDirectory(prisma),
        hasher,
        markers: new PendingMarkerStore(redis, { ttlMs: config.pendingMarkerTtlMs }),
        events: new WalEventLog(wal),
        rejections: new RedisRejections(redis),
        step: createStepRunner(metrics.registry, log, config.slowStepMs),
        internalToken: config.internalToken,
      }),
  });
  const server = await listen(app, config.port, config.host, log);
  log.info({ wal: config.walPath, bcryptCost: config.bcryptCost, hashWorkers: config.hashWorkers }, 'user-command ready');

  handleShutdown(log, [
    ['http', () => closeServer(server)],
    ['wal', () => wal.close()],
    ['hasher', () => hasher.close()],
    ['postgres', () => prisma.$disconnect()],
    ['redis', async () => redis.disconnect()],
    ['tracing', () => shutdownTracing()],
  ]);
});
