import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface CreatePrismaClientOptions {
  databaseUrl: string;
  /** Max pooled connections (pg Pool `max`). Default 10. */
  poolMax?: number;
  /** Server-side statement_timeout in ms, applied to every pooled connection. Default: none. */
  statementTimeoutMs?: number;
  /** Shown in pg_stat_activity. Default "usersys". */
  applicationName?: string;
}

/**
 * Prisma Client 7 over node-postgres via the driver adapter: no engine binary, the query compiler is WASM
 * and pg does the I/O. Call `$disconnect()` on shutdown to close the pool.
 */
export function createPrismaClient(opts: CreatePrismaClientOptions): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: opts.databaseUrl,
    max: opts.poolMax ?? 10,
    application_name: opts.applicationName ?? 'usersys',
    ...(opts.statementTimeoutMs !== undefined ? { statement_timeout: opts.statementTimeoutMs } : {}),
  });
  return new PrismaClient({ adapter });
}
