import { UserCacheSeal } from '@usersys/user-cache';
import { createPrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';
import { PendingMarkerStore } from '@usersys/pending-marker';
import { closeServer, createMetrics, createRedisClient, createServiceApp, listen } from '@usersys/service-kit';
import { WalWriter } from '@usersys/wal';
import type { Server } from 'node:http';
import { BcryptHasher } from './adapters/bcrypt-hasher';
import { registerRoutes } from './adapters/http-routes';
import { UsernameOwnership } from './domain/ownership';
import { PrismaUserDirectory } from './adapters/prisma-user-directory';
import { PrismaConsumerRecords } from './adapters/prisma-consumer-records';
import { RedisContactReservations, RedisRejections, RedisRequestRecords, RedisSessionRevocations, RedisUserCache } from './adapters/redis-user-keys';
import { WalEventLog } from './adapters/wal-event-log';
import type { UserCommandConfig } from './config';
import { KeyedSequencer } from './domain/sequencer';
import { createStepRunner } from './step-runner';

export interface RunningUserCommand {
  server: Server;
  url: string;
  /** Ordered shutdown steps (for handleShutdown), or call close() to run them all. */
  shutdownSteps: [string, () => Promise<void>][];
  close(): Promise<void>;
}

/** Wires configuration, adapters and use cases into a listening server (main.ts and tests share it). */
export async function startUserCommand(config: UserCommandConfig, log: Logger): Promise<RunningUserCommand> {
  const metrics = createMetrics('user-command');
  const redis = createRedisClient(config, log);
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, applicationName: 'user-command' });
  const wal = await WalWriter.open(config.walPath);
  const hasher = new BcryptHasher(config.bcryptCost, { workers: config.hashWorkers, impl: config.hashImpl, waitBudgetMs: config.hashWaitBudgetMs }, metrics.registry);

  const app = createServiceApp({
    metrics,
    log,
    bodyLimit: config.bodyLimit,
    readiness: {
      redis: () => redis.ping(),
      postgres: () => prisma.$queryRaw`SELECT 1`,
    },
    routes: (a) =>
      registerRoutes(a, {
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
  });
  await Promise.all([warmUp(prisma, log), hasher.warmUp()]);
  const server = await listen(app, config.port, config.host, log);
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  log.info({ wal: config.walPath, bcryptCost: config.bcryptCost, hashWorkers: config.hashWorkers, hashImpl: config.hashImpl, hashWaitBudgetMs: config.hashWaitBudgetMs, replicas: config.replicas }, 'user-command ready');

  const shutdownSteps: [string, () => Promise<void>][] = [
    ['http', () => closeServer(server)],
    ['wal', () => wal.close()],
    ['hasher', () => hasher.close()],
    ['postgres', () => prisma.$disconnect()],
    ['redis', async () => redis.disconnect()],
  ];
  return {
    server,
    url: `http://${config.host}:${port}`,
    shutdownSteps,
    close: async () => {
      for (const [, step] of shutdownSteps) await step();
    },
  };
}

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
