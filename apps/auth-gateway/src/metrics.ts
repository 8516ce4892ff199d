import type { ServiceMetrics } from '@usersys/service-kit';
import { Counter, Gauge } from 'prom-client';

/** The gateway's own metrics (names in docs/architecture.md, "Metrics": login fast-fails, cache, limiter degradations). */
export function createGatewayMetrics({ registry }: ServiceMetrics) {
  const registers = [registry];
  return {
    fastFails: new Counter({ name: 'login_fast_fail_total', help: 'Logins refused at once because too many were in flight', registers }),
    cacheHits: new Counter({ name: 'login_credential_cache_hits_total', help: 'Logins whose password check was answered by the credential cache', registers }),
    cacheMisses: new Counter({ name: 'login_credential_cache_misses_total', help: 'Logins that needed a bcrypt compare against the stored hash', registers }),
    bcryptCompares: new Counter({ name: 'login_bcrypt_compares_total', help: 'bcrypt compares run in the worker pool (including the dummy compare for unknown users)', registers }),
    attempts: new Counter({ name: 'login_attempts_total', help: 'Login attempts by result and reason', labelNames: ['result', 'reason'] as const, registers }),
    limiterDegradations: new Counter({ name: 'rate_limiter_degradations_total', help: 'Transitions of a rate limiter from Redis to its local fallback', labelNames: ['limiter'] as const, registers }),
    limiterFallbackDecisions: new Counter({ name: 'rate_limiter_fallback_decisions_total', help: 'Decisions made by the local fallback limiter', labelNames: ['limiter'] as const, registers }),
    limiterDegraded: new Gauge({ name: 'rate_limiter_degraded', help: '1 while the limiter uses its local fallback', labelNames: ['limiter'] as const, registers }),
    rateLimited: new Counter({ name: 'rate_limited_total', help: 'Requests answered 429', labelNames: ['limiter'] as const, registers }),
    lastLoginBatches: new Counter({ name: 'login_last_login_batches_total', help: 'Batched last-login writes', registers }),
    lastLoginRows: new Counter({ name: 'login_last_login_rows_total', help: 'Rows changed by last-login writes', registers }),
    lastLoginDirect: new Counter({ name: 'login_last_login_direct_writes_total', help: 'Last-login writes done directly because the queue was full', registers }),
    lastLoginFailures: new Counter({ name: 'login_last_login_failures_total', help: 'Failed last-login writes (batches requeued)', registers }),
    lastLoginLost: new Counter({ name: 'login_last_login_lost_total', help: 'Last-login updates lost because a failed batch found the queue full', registers }),
    auditWritten: new Counter({ name: 'login_audit_written_total', help: 'Login audit records on disk in the audit WAL (wal-relay ships them to Kafka)', registers }),
    auditDropped: new Counter({ name: 'login_audit_dropped_total', help: 'Login audit records not written: wal_error (the WAL refused them) or backlog_full (LOGIN_AUDIT_BUFFER records already waiting for the disk)', labelNames: ['reason'] as const, registers }),
    sessionRefusals: new Counter({ name: 'session_refusals_total', help: 'Tokens refused by the account check: account_gone, account_replaced, not_active, credentials_changed, revoked', labelNames: ['reason'] as const, registers }),
    routingRefusals: new Counter({ name: 'user_command_routing_refusals_total', help: 'Writes and reads answered 503 by the routing to user-command: unreachable (120001: the owner, or for a read every replica) or not_owner (120004: the owner fenced the name; replica lists differ)', labelNames: ['reason'] as const, registers }),
    sessionRevocationUnknown: new Gauge({ name: 'session_revocation_unknown', help: '1 while the revoked-before markers cannot be read (Redis down): revocation then holds once the consumer applied the change', registers }),
  };
}

/** What the login pipeline's gauges read at scrape time. */
export interface LoginQueueSources {
  loginsInFlight: () => number;
  auditPending: () => number;
  lastLoginQueue: () => number;
}

/** The gauges read from the login pipeline's objects at scrape time, registered once those objects exist. */
export function observeLoginQueues({ registry }: ServiceMetrics, sources: LoginQueueSources): void {
  const observed = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  observed('login_audit_pending', 'Audit records accepted but not yet on disk (what a hard crash now would lose)', sources.auditPending);
  observed('login_last_login_queue_size', 'Accounts waiting for their last-login write', sources.lastLoginQueue);
  observed('login_in_flight', 'Logins in progress (the fast-fail counter)', sources.loginsInFlight);
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
