// The operator action for a user-command WAL that is not coming back (a lost volume). Run it once
// the replica is out of USER_COMMAND_URLS everywhere and the consumers have caught up (README,
// "A replica that is not coming back"):
//
//   npm run lost-wal -- --wal <WAL_NAME>            lists the requests that WAL took and PostgreSQL does not know
//   npm run lost-wal -- --wal <WAL_NAME> --apply    settles them: `rejected`, reason `wal_lost`
//
// Environment: the service's own (REDIS_URL / REDIS_CLUSTER_NODES, REDIS_KEY_PREFIX, DATABASE_URL, CACHE_HMAC_KEY).
// Exit codes: 0 done (or --help), 1 failure, 2 bad usage.
import { createPrismaClient } from '@usersys/db';
import { createLogger } from '@usersys/logger';
import { createRedisClient, redisReady } from '@usersys/service-kit';
import { parseArgs } from 'node:util';
import { PrismaConsumerRecords } from './adapters/prisma-consumer-records';
import { PrismaUserDirectory } from './adapters/prisma-user-directory';
import { RedisContactReservations, RedisRejections, RedisSessionRevocations, ScannedRequestRecords } from './adapters/redis-user-keys';
import { loadConfig } from './config';
import { settleLostWal } from './domain/lost-wal';
import { PendingMarkerStore } from '@usersys/pending-marker';

const USAGE = `usage: npm run lost-wal -- --wal <WAL_NAME> [--apply] [--json]

Settles the requests a lost user-command WAL had accepted: each one PostgreSQL does not know ends
"rejected", reason "wal_lost" (GET /v1/requests/<id>); a lost sign-up's name is freed; a lost
password change, delete or disable no longer keeps new logins out. Without --apply it only lists them.
Run it after removing the replica from USER_COMMAND_URLS everywhere and once the consumers have caught up.`;

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({ options: { wal: { type: 'string' }, apply: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (!args.wal) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const log = createLogger('lost-wal', { level: 'warn' });
  // An operator's one-off run, not a request path: a busy Redis is waited for (the services fail fast after 1 s).
  const redis = createRedisClient(config, log, { commandTimeoutMs: 15_000 });
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: 2, applicationName: 'lost-wal' });
  const directory = new PrismaUserDirectory(prisma);
  try {
    // The services' client queues nothing while disconnected (fail fast): wait for the connection first.
    if (!(await redisReady(redis))) throw new Error('Redis is not reachable (REDIS_URL / REDIS_CLUSTER_NODES)');
    const report = await settleLostWal(
      {
        requests: new ScannedRequestRecords(redis, config.redisKeyPrefix),
        consumerRecords: new PrismaConsumerRecords(prisma),
        markers: new PendingMarkerStore(redis, { ttlMs: config.pendingMarkerTtlMs }),
        reservations: new RedisContactReservations(redis, log),
        rejections: new RedisRejections(redis),
        accounts: { find: (username) => directory.loadForCache(username), stateOf: (username) => directory.stateOf(username) },
        sessions: new RedisSessionRevocations(redis),
      },
      args.wal,
      { apply: args.apply },
    );
    if (args.json) console.log(JSON.stringify(report));
    else {
      for (const r of report.lost) console.log(`${r.requestId}  ${r.type.padEnd(12)} ${r.username}  accepted ${r.acceptedAt}`);
      console.log(
        args.apply
          ? `${report.lost.length} request(s) of WAL ${args.wal} settled as rejected (wal_lost); ${report.signUpsReleased.length} sign-up name(s) freed; ${report.revocationsLowered.length} revocation(s) lowered`
          : `${report.lost.length} request(s) of WAL ${args.wal} unknown to PostgreSQL; run again with --apply to settle them`,
      );
    }
    return 0;
  } finally {
    redis.disconnect();
    await prisma.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`lost-wal: ${(err as Error).message}`);
    process.exit(1);
  },
);
