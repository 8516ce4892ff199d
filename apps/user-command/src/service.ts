import { UserCacheSeal } from '@usersys/user-cache';
import { createPrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';
import { PendingMarkerStore } from '@usersys/pending-marker';
import { createMetrics, createRedisClient, defineService } from '@usersys/service-kit';
import { WalWriter } from '@usersys/wal';
import { BcryptHasher } from './adapters/bcrypt-hasher';
import { registerRoutes } from './adapters/http-routes';
import { UsernameOwnership } from './domain/ownership';
import { PrismaUserDirectory } from './adapters/prisma-user-directory';
import { PrismaConsumerRecords } from './adapters/prisma-consumer-records';
import { RedisContactReservations, RedisRejections, RedisRequestRecords, RedisSessionRevocations, RedisUserCache } from './adapters/redis-user-keys';
import { WalEventLog } from './adapters/wal-event-log';
import { loadConfig } from './config';
import { KeyedSequencer } from './domain/sequencer';
import { createStepRunner } from './step-runner';

/**
 * user-command's wiring: configuration, adapters and use cases into the service's parts (main.ts
 * runs them, tests start them through @usersys/user-command-testing). HTTP is its intake, so it
 * closes first; then the WAL (its last group commit), the hash pool and the clients.
 */
export const userCommandService = defineService({
  name: 'user-command',
  loadConfig: () => loadConfig(),
  build: async ({ config, log }) => {
    const metrics = createMetrics('user-command');
    const redis = createRedisClient(config, log);
    const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, applicationName: 'user-command' });
    const wal = await WalWriter.open(config.walPath);
    const hasher = new BcryptHasher(config.bcryptCost, { workers: config.hashWorkers, impl: config.hashImpl, waitBudgetMs: config.hashWaitBudgetMs }, metrics.registry);

    return {
      metrics,
      bodyLimit: config.bodyLimit,
      readiness: {
        redis: () => redis.ping(),
        postgres: () => prisma.$queryRaw`SELECT 1`,
      },
      routes: (app) =>
        registerRoutes(app, {
          directory: new PrismaUserDirectory(prisma),
          cache: new RedisUserCache(redis, log, new UserCacheSeal(config.cacheHmacKey)),
          reservations: new RedisContactReservations(redis, log, config.reservationTtlMs),
          hasher,
          markers: new PendingMarkerStore(redis, { ttlMs: config.pendingMarkerTtlMs }),
          events: new WalEventLog(wal),
          rejections: new RedisRejections(redis),
          requests: new RedisRequestRecords(redis, config.walName),
          ownership: new UsernameOwnership(config.replicas),
          sessions: new RedisSessionRevocations(redis),
          consumerRecords: new PrismaConsumerRecords(prisma),
          step: createStepRunner(metrics.registry, log, config.slowStepMs),
          sequencer: new KeyedSequencer(),
          internalToken: config.internalToken,
          log,
        }),
      // One step: the two warm-ups run side by side, as they always have.
      prepare: [['warm-up (postgres, hasher)', () => Promise.all([warmUp(prisma, log), hasher.warmUp()])]],
      closeHttp: 'first',
      shutdown: [
        ['wal', () => wal.close()],
        ['hasher', () => hasher.close()],
        ['postgres', () => prisma.$disconnect()],
        ['redis', async () => redis.disconnect()],
      ],
      summary: { wal: config.walPath, bcryptCost: config.bcryptCost, hashWorkers: config.hashWorkers, hashImpl: config.hashImpl, hashWaitBudgetMs: config.hashWaitBudgetMs, replicas: config.replicas },
    };
  },
});

/**
 * Prisma loads its query compiler on the first query and blocks the event loop meanwhile; in the
 * first request that stall made concurrent Redis commands hit their timeout. Do it before listening.
 * A database that is not up yet must not stop the start (readiness reports it).
 */
async function warmUp(prisma: ReturnType<typeof createPrismaClient>, log: Logger): Promise<void> {
  try {
    await prisma.user.findUnique({ where: { username: '-warm-up-' }, select: { id: true } });
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'database not reachable at start-up');
  }
}
