import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConsumerMetrics } from '../domain/ports';

/** Prometheus names (docs/architecture.md, "Metrics"): consumed events by type and outcome, retries, dead letters. */
export function createConsumerMetrics(registry: Registry): ConsumerMetrics & { loginAudit: Counter<'outcome'>; degrade: Gauge } {
  const consumed = new Counter({ name: 'user_consumer_events_total', help: 'Consumed events by type and outcome', labelNames: ['type', 'outcome'] as const, registers: [registry] });
  const retries = new Counter({ name: 'user_consumer_retries_total', help: 'Events sent to user.retry.v1, by type and stage (write | bookkeeping)', labelNames: ['type', 'stage'] as const, registers: [registry] });
  const deadLetters = new Counter({ name: 'user_consumer_dead_letters_total', help: 'Messages sent to user.dlq.v1, by reason', labelNames: ['reason'] as const, registers: [registry] });
  const paused = new Gauge({ name: 'user_consumer_database_paused', help: 'Partitions waiting for the database to come back', registers: [registry] });
  const batch = new Histogram({ name: 'user_consumer_write_batch_size', help: 'Events per database statement', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers: [registry] });
  const loginAudit = new Counter({ name: 'user_consumer_login_audit_total', help: 'Login-audit records by outcome (stored | duplicate | dead_letter)', labelNames: ['outcome'] as const, registers: [registry] });
  const degrade = new Gauge({ name: 'user_consumer_degrade', help: '1 while the degrade switch is on (core columns only)', registers: [registry] });
  return {
    consumed: (type, outcome, n = 1) => consumed.inc({ type, outcome }, n),
    retried: (type, stage) => retries.inc({ type, stage }),
    deadLettered: (reason) => deadLetters.inc({ reason }),
    databasePaused: (p) => (p ? paused.inc() : paused.dec()),
    batchWritten: (size) => batch.observe(size),
    loginAudit,
    degrade,
  };
}
