import { createPrismaClient } from '@usersys/db';
import type { Logger } from '@usersys/logger';
import { FallbackRateLimiter, SharedLimitSettings, type LimitSettings } from '@usersys/rate-limiter';
import { closeServer, createMetrics, createRedisClient, createServiceApp, listen } from '@usersys/service-kit';
import { randomBytes } from 'node:crypto';
import http, { type Server } from 'node:http';
import { ensureAdminAccount } from './adapters/admin-bootstrap';
import { registerAdminRoutes } from './adapters/admin-routes';
import { registerAuthRoutes } from './adapters/auth-routes';
import { BcryptPool } from './adapters/bcrypt-pool';
import { traceparentResponseHeader, validatePathParameters } from './adapters/http-common';
import { KafkaAuditSink } from './adapters/kafka-audit-sink';
import { PrismaLastLoginWriter } from './adapters/prisma-last-login-writer';
import { RedisRefreshStore } from './adapters/redis-refresh-store';
import { UserCommandClient } from './adapters/user-command-client';
import { CachedUserDirectory } from './adapters/user-directory';
import { registerUserRoutes } from './adapters/user-routes';
import type { GatewayConfig } from './config';
import { AuditQueue } from './domain/audit-queue';
import { CredentialCache } from './domain/credential-cache';
import { InFlightGate } from './domain/in-flight-gate';
import { LastLoginBatcher } from './domain/last-login-batcher';
import { LoginService } from './domain/login-service';
import { TokenService } from './domain/tokens';
import { createGatewayMetrics } from './metrics';

export const LOGIN_LIMITER = 'login';
export const WRITE_LIMITER = 'write';

/**
 * Builds the whole gateway from its configuration: adapters (Redis, PostgreSQL, Kafka, the bcrypt
 * pool, user-command) wired into the login pipeline and the routes. main.ts runs it as a process;
 * integration tests run one or two instances in-process against real infrastructure.
 */
export async function createGateway(config: GatewayConfig, log: Logger) {
  const metrics = createMetrics('auth-gateway');
  const m = createGatewayMetrics(metrics);
  const redis = createRedisClient(config.redisUrl, log);
  // Commands issued in the same tick by concurrent logins go out as one pipeline (fewer syscalls
  // and round trips under load); ioredis reads this option per command.
  redis.options.enableAutoPipelining = true;
  const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: 10, applicationName: 'auth-gateway' });
  const pool = new BcryptPool(config.login.bcryptWorkers);
  const userCommand = new UserCommandClient(config.userCommandUrl, config.internalToken);

  const limiterEvents = (name: string) => ({
    onDegradedChange: (degraded: boolean, err?: Error) => {
      m.limiterDegraded.set({ limiter: name }, degraded ? 1 : 0);
      if (degraded) {
        m.limiterDegradations.inc({ limiter: name });
        log.warn({ step: 'rateLimit', limiter: name, degrade: true, err: err?.message }, 'rate limiter degraded to the local in-memory limiter');
      } else log.info({ step: 'rateLimit', limiter: name, degrade: false }, 'rate limiter back on Redis');
    },
    onFallbackDecision: () => m.limiterFallbackDecisions.inc({ limiter: name }),
  });
  const loginDefaults: LimitSettings = { points: config.login.rateLimit, windowMs: config.login.windowMs, enabled: config.login.rateLimiterEnabled };
  const loginLimiter = new FallbackRateLimiter(redis, LOGIN_LIMITER, loginDefaults, limiterEvents(LOGIN_LIMITER));
  const loginSettings = new SharedLimitSettings(redis, LOGIN_LIMITER, loginLimiter, (s) => log.info({ limiter: LOGIN_LIMITER, ...s }, 'login rate limit changed'));
  // The write limit follows ENABLE_RATE_LIMITER too; it is not runtime-adjustable (no admin route in the contract).
  const writeLimiter = new FallbackRateLimiter(redis, WRITE_LIMITER, { points: config.writeRateLimit, windowMs: config.writeWindowMs, enabled: config.login.rateLimiterEnabled }, limiterEvents(WRITE_LIMITER));

  const users = new CachedUserDirectory(redis, prisma, log);
  const tokens = new TokenService(config.jwt, new RedisRefreshStore(redis));
  const cache = new CredentialCache({ ttlMs: config.login.credentialCacheTtlMs, max: config.login.credentialCacheSize });
  const lastLogin = new LastLoginBatcher(new PrismaLastLoginWriter(prisma), config.lastLogin, {
    onBatch: (_n, rows) => (m.lastLoginBatches.inc(), m.lastLoginRows.inc(rows)),
    onDirectWrite: () => m.lastLoginDirect.inc(),
    onFailure: (err, n) => (m.lastLoginFailures.inc(), log.warn({ step: 'lastLoginWrite', accounts: n, err: err.message }, 'last-login write failed')),
    onLost: (n) => (m.lastLoginLost.inc(n), log.error({ step: 'lastLoginWrite', accounts: n }, 'last-login updates lost: queue full after a failed batch')),
  });
  const auditSink = new KafkaAuditSink(config.kafkaBrokers);
  let overflowing = 0;
  const audit = new AuditQueue(auditSink, config.audit, {
    onPublished: (n) => {
      m.auditPublished.inc(n);
      if (overflowing > 0) log.warn({ step: 'loginAudit', dropped: overflowing }, 'login audit queue accepts records again after dropping some');
      overflowing = 0;
    },
    onPublishFailed: (err, n) => (m.auditFailures.inc(), log.warn({ step: 'loginAudit', records: n, err: err.message }, 'login audit publish failed; will retry')),
    onOverflow: () => {
      m.auditDropped.inc({ reason: 'queue_full' });
      if (overflowing++ === 0) log.error({ step: 'loginAudit', buffer: config.audit.buffer }, 'login audit queue full: new records are dropped and counted (login_audit_dropped_total)');
    },
    onAbandoned: (n) => (m.auditDropped.inc({ reason: 'shutdown' }, n), log.error({ step: 'loginAudit', records: n }, 'login audit records abandoned at shutdown: Kafka unavailable')),
  });
  const gate = new InFlightGate(config.login.fastFailThreshold);
  Object.assign(m.sources, { loginsInFlight: () => gate.current, auditQueue: () => audit.queued, lastLoginQueue: () => lastLogin.queued });

  const dummyHash = await pool.hash(randomBytes(16).toString('hex'), config.login.bcryptCost);
  const login = new LoginService({
    gate,
    limiter: {
      consume: async (key) => {
        const r = await loginLimiter.consume(key);
        if (!r.allowed) m.rateLimited.inc({ limiter: LOGIN_LIMITER });
        return r;
      },
    },
    users,
    cache,
    verifier: pool,
    dummyHash,
    tokens,
    lastLogin,
    audit,
    fastFailMessage: config.login.fastFailMessage,
    hooks: {
      onFastFail: () => m.fastFails.inc(),
      onCacheHit: () => m.cacheHits.inc(),
      onCacheMiss: () => m.cacheMisses.inc(),
      onBcryptCompare: () => m.bcryptCompares.inc(),
      onAttempt: (result, reason) => m.attempts.inc({ result, reason }),
    },
  });

  const app = createServiceApp({
    metrics,
    log,
    readiness: {
      redis: () => redis.ping(),
      postgres: () => prisma.$queryRaw`SELECT 1`,
      'user-command': () =>
        new Promise((resolve, reject) => {
          http.get(new URL('/healthz', config.userCommandUrl), (res) => (res.resume(), res.statusCode === 200 ? resolve(true) : reject(new Error(`status ${res.statusCode}`)))).on('error', reject);
        }),
    },
    early: [traceparentResponseHeader],
    routes: (a) => {
      a.set('trust proxy', config.trustProxy);
      validatePathParameters(a);
      registerAuthRoutes(a, { login, tokens, users });
      registerUserRoutes(a, { userCommand, tokens, writeLimiter, onRateLimited: () => m.rateLimited.inc({ limiter: WRITE_LIMITER }) });
      registerAdminRoutes(a, { tokens, loginLimiter, loginSettings });
    },
  });

  let server: Server | null = null;
  return {
    app,
    metrics,
    loginLimiter,
    writeLimiter,
    lastLogin,
    audit,
    redis,
    prisma,
    /** Creates the admin account if needed, starts the background loops and listens. */
    async start(port = config.port, host = config.host): Promise<Server> {
      for (const name of config.insecureDefaults) log.warn({ variable: name }, `${name} is not set: using the development default (set it outside development)`);
      await ensureAdminAccount(prisma, config.admin, (pw) => pool.hash(pw, config.login.bcryptCost), log);
      await loginSettings.refresh().catch((err) => log.warn({ err: (err as Error).message }, 'shared login limit not readable yet; using the configured one'));
      loginSettings.start();
      lastLogin.start();
      audit.start();
      server = await listen(app, port, host, log);
      return server;
    },
    /** Graceful shutdown: stop intake, drain the queues, then close the clients. */
    shutdownSteps(): Array<[string, () => Promise<unknown>]> {
      return [
        ['http', async () => server && (await closeServer(server))],
        ['settings', async () => loginSettings.stop()],
        ['last-login', () => lastLogin.drain()],
        ['audit', () => audit.drain()],
        ['kafka', () => auditSink.close()],
        ['bcrypt', () => pool.close()],
        ['upstream', async () => userCommand.close()],
        ['postgres', () => prisma.$disconnect()],
        ['redis', async () => redis.disconnect()],
      ];
    },
    async close(): Promise<void> {
      for (const [, step] of this.shutdownSteps()) await step().catch(() => undefined);
    },
  };
}

export type Gateway = Awaited<ReturnType<typeof createGateway>>;
