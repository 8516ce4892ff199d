import { createPrismaClient } from '@usersys/db';
import { UserCacheSeal } from '@usersys/user-cache';
import { FallbackRateLimiter, SharedLimitSettings, type LimitSettings } from '@usersys/rate-limiter';
import { createMetrics, createRedisClient, defineService } from '@usersys/service-kit';
import { randomBytes } from 'node:crypto';
import { ensureAdminAccount } from './adapters/admin-bootstrap';
import { BcryptPool } from './adapters/bcrypt-pool';
import { FallbackLockoutStore } from './adapters/fallback-lockout-store';
import { traceparentResponseHeader } from './adapters/http-common';
import { PrismaLastLoginWriter } from './adapters/prisma-last-login-writer';
import { RedisLockoutStore } from './adapters/redis-lockout-store';
import { RedisRefreshStore } from './adapters/redis-refresh-store';
import { RedisRevocationLookup } from './adapters/redis-revocations';
import { registerGatewayRoutes } from './adapters/routes';
import { UserCommandRouter } from './adapters/user-command-client';
import { CachedUserDirectory } from './adapters/user-directory';
import { WalAuditLog } from './adapters/wal-audit-log';
import { loadConfig, type GatewayConfig } from './config';
import { LoginAuditTrail, type AuditLossReason } from './domain/audit-trail';
import { BruteForceGuard } from './domain/brute-force-guard';
import { CurrentPasswordCheck } from './domain/current-password-check';
import { CredentialCache } from './domain/credential-cache';
import { InFlightGate } from './domain/in-flight-gate';
import { LastLoginBatcher } from './domain/last-login-batcher';
import { LoginService } from './domain/login-service';
import { MemoryLockoutStore } from './domain/memory-lockout-store';
import { SessionCheck } from './domain/session-check';
import { TokenService } from './domain/tokens';
import { createGatewayMetrics, observeLoginQueues } from './metrics';

export const LOGIN_LIMITER = 'login';
export const WRITE_LIMITER = 'write';
/** Accounts whose state the session check keeps in-process (each for SESSION_CHECK_CACHE_TTL). */
const SESSION_CHECK_CACHE_SIZE = 100_000;
/** The lockout counters report their Redis → memory fallback with the limiters' metrics, under this name. */
export const LOCKOUT_LIMITER = 'lockout';

/**
 * The gateway's composition root: adapters (Redis, PostgreSQL, the audit WAL, the bcrypt pool,
 * user-command) wired into the login pipeline and the routes. main.ts runs it as a process
 * (runService); the integration tests start it in-process (startService, libs/auth-gateway-testing).
 */
export const authGatewayService = defineService<GatewayConfig>({
  name: 'auth-gateway',
  loadConfig: () => loadConfig(),
  async build({ config, log }) {
    const metrics = createMetrics('auth-gateway');
    const m = createGatewayMetrics(metrics);
    const redis = createRedisClient(config, log);
    // Commands issued in the same tick by concurrent logins go out as one pipeline (fewer syscalls
    // and round trips under load); ioredis reads this option per command.
    redis.options.enableAutoPipelining = true;
    const prisma = createPrismaClient({ databaseUrl: config.databaseUrl, poolMax: config.dbPoolMax, applicationName: 'auth-gateway' });
    const pool = new BcryptPool({ workers: config.login.bcryptWorkers, impl: config.login.hashImpl, waitBudgetMs: config.login.hashWaitBudgetMs, metrics: { registry: metrics.registry, prefix: 'auth_gateway' } });
    const userCommand = new UserCommandRouter(config.userCommandUrls, config.internalToken, { onRefusal: (reason) => m.routingRefusals.inc({ reason }) });

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

    const lockoutStore = new FallbackLockoutStore(new RedisLockoutStore(redis, config.lockout), new MemoryLockoutStore(config.lockout), () => redis.status === 'ready', limiterEvents(LOCKOUT_LIMITER));
    const lockout = new BruteForceGuard(lockoutStore, config.lockout);
    const users = new CachedUserDirectory(redis, prisma, log, new UserCacheSeal(config.cacheHmacKey));
    const tokens = new TokenService(config.jwt, new RedisRefreshStore(redis));
    const sessions = new SessionCheck({ find: (username) => users.findAccount(username) }, new RedisRevocationLookup(redis), { ttlMs: config.sessionCheckCacheTtlMs, max: SESSION_CHECK_CACHE_SIZE }, {
      onRefused: (reason) => m.sessionRefusals.inc({ reason }),
      onRevocationUnknown: (err) => {
        m.sessionRevocationUnknown.set(1);
        log.warn({ step: 'sessionCheck', degrade: true, err: err.message }, 'revoked-before markers unreadable (Redis): sessions are checked against the account only');
      },
      onRevocationKnown: () => (m.sessionRevocationUnknown.set(0), log.info({ step: 'sessionCheck', degrade: false }, 'revoked-before markers readable again')),
    });
    const auth = { tokens, sessions };
    const cache = new CredentialCache({ ttlMs: config.login.credentialCacheTtlMs, max: config.login.credentialCacheSize });
    const lastLogin = new LastLoginBatcher(new PrismaLastLoginWriter(prisma), config.lastLogin, {
      onBatch: (_n, rows) => (m.lastLoginBatches.inc(), m.lastLoginRows.inc(rows)),
      onDirectWrite: () => m.lastLoginDirect.inc(),
      onFailure: (err, n) => (m.lastLoginFailures.inc(), log.warn({ step: 'lastLoginWrite', accounts: n, err: err.message }, 'last-login write failed')),
      onLost: (n) => (m.lastLoginLost.inc(n), log.error({ step: 'lastLoginWrite', accounts: n }, 'last-login updates lost: queue full after a failed batch')),
    });
    // Login audit: appended to this process's own WAL without waiting for the fsync; wal-relay ships it.
    const auditLog = await WalAuditLog.open(config.audit.walPath, {
      reopenAfterMs: config.audit.reopenAfterMs,
      onUnavailable: (err) => log.error({ step: 'loginAudit', wal: config.audit.walPath, err: err.message }, 'login audit WAL unavailable: records are counted as lost (login_audit_dropped_total) until it reopens'),
      onReopened: () => log.warn({ step: 'loginAudit', wal: config.audit.walPath }, 'login audit WAL reopened'),
    });
    const lost = new Map<AuditLossReason, number>(); // per episode: logged when it starts and when it ends
    const audit = new LoginAuditTrail(auditLog, config.audit.maxPending, {
      onWritten: () => {
        m.auditWritten.inc();
        if (lost.size === 0) return;
        log.warn({ step: 'loginAudit', lost: Object.fromEntries(lost) }, 'login audit records are written again after losing some');
        lost.clear();
      },
      onLost: (reason, err) => {
        m.auditDropped.inc({ reason });
        const n = lost.get(reason) ?? 0;
        lost.set(reason, n + 1);
        if (n === 0) log.error({ step: 'loginAudit', reason, err: err?.message, maxPending: config.audit.maxPending }, 'login audit records lost: counted in login_audit_dropped_total until writes succeed again');
      },
    });
    const gate = new InFlightGate(config.login.fastFailThreshold);
    observeLoginQueues(metrics, { loginsInFlight: () => gate.current, auditPending: () => audit.pending, lastLoginQueue: () => lastLogin.queued });

    // Also the pool's first measurement of a bcrypt round, which its wait estimate needs.
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
      lockout,
      fastFailMessage: config.login.fastFailMessage,
      hooks: {
        onFastFail: () => m.fastFails.inc(),
        onCacheHit: () => m.cacheHits.inc(),
        onCacheMiss: () => m.cacheMisses.inc(),
        onBcryptCompare: () => m.bcryptCompares.inc(),
        onAttempt: (result, reason) => m.attempts.inc({ result, reason }),
      },
    });

    const currentPassword = new CurrentPasswordCheck({ users, verifier: pool, guard: lockout, dummyHash });

    return {
      metrics,
      readiness: {
        redis: () => redis.ping(),
        postgres: () => prisma.$queryRaw`SELECT 1`,
        'audit-wal': async () => auditLog.check(),
        // Ready while any replica is: with one replica down only the usernames it owns wait (503), the rest are served.
        'user-command': () => userCommand.anyReplicaHealthy(),
      },
      early: [traceparentResponseHeader],
      routes: (app) =>
        registerGatewayRoutes(app, {
          trustProxy: config.trustProxy,
          auth,
          login,
          userCommand,
          writeLimiter,
          onWriteRateLimited: () => m.rateLimited.inc({ limiter: WRITE_LIMITER }),
          currentPassword,
          loginLimiter,
          loginSettings,
          lockout,
        }),
      // The admin account and the shared login limit before the first request; the loops start before listening too.
      prepare: [
        ['admin', () => ensureAdminAccount(prisma, config.admin, (pw) => pool.hash(pw, config.login.bcryptCost), log)],
        ['settings', () => loginSettings.refresh().catch((err) => log.warn({ err: (err as Error).message }, 'shared login limit not readable yet; using the configured one'))],
        ['settings-poll', async () => loginSettings.start()],
        ['last-login', async () => lastLogin.start()],
      ],
      // After HTTP stops taking requests: drain the queues (the audit WAL's last group commit), then close the clients.
      shutdown: [
        ['settings', async () => loginSettings.stop()],
        ['last-login', () => lastLogin.drain()],
        ['audit', async () => (await audit.flush(), await auditLog.close())],
        ['bcrypt', () => pool.close()],
        ['upstream', async () => userCommand.close()],
        ['postgres', () => prisma.$disconnect()],
        ['redis', async () => redis.disconnect()],
      ],
      closeHttp: 'first',
      summary: { userCommand: config.userCommandUrls, trustProxy: config.trustProxy },
    };
  },
});
