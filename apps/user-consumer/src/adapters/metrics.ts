import { TOPICS } from '@usersys/event-schema';
import type { PartitionLag } from '@usersys/service-kit';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ConsumerMetrics } from '../domain/ports';

/** The `reason` label values of user_consumer_dead_letters_total (poison messages count as `invalid`). */
export const DEAD_LETTER_REASONS = ['invalid', 'invalid_data', 'retries_exhausted', 'bookkeeping_exhausted'] as const;

/** Prometheus names (docs/architecture.md, "Metrics"): consumed events by type and outcome, retries, dead letters. */
export function createConsumerMetrics(registry: Registry): ConsumerMetrics & { loginAudit: Counter<'outcome'>; degrade: Gauge } {
  const consumed = new Counter({ name: 'user_consumer_events_total', help: 'Consumed events by type and outcome', labelNames: ['type', 'outcome'] as const, registers: [registry] });
  const retries = new Counter({ name: 'user_consumer_retries_total', help: `Events sent to ${TOPICS.retry}, by type and stage (write | bookkeeping)`, labelNames: ['type', 'stage'] as const, registers: [registry] });
  const deadLetters = new Counter({ name: 'user_consumer_dead_letters_total', help: `Messages sent to ${TOPICS.deadLetter}, by reason`, labelNames: ['reason'] as const, registers: [registry] });
  // Every reason starts at 0: Prometheus' increase() cannot see the first dead letter of a series that appears with it.
  for (const reason of DEAD_LETTER_REASONS) deadLetters.inc({ reason }, 0);
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

/** One consumer group's lag on one partition. */
export type GroupLag = PartitionLag & { group: string };

/** Where the gauges read at scrape time come from (Kafka's committed offsets, PostgreSQL's parking table). */
export interface ScrapeSources {
  consumerLag(): Promise<GroupLag[]>;
  parkedUsers(): Promise<{ retrying: number; dead: number }>;
}

/**
 * Gauges read when Prometheus scrapes, not kept up to date by the consumer itself: a consumer that
 * is stuck (paused, wedged, rebalancing) cannot leave a stale, harmless-looking value behind. A read
 * that fails leaves the gauge without samples (and counts the failure), never fails /metrics.
 * Every replica reports the same group-wide figures: alert on max by (group, topic, partition).
 */
export function registerScrapeGauges(registry: Registry, sources: ScrapeSources, timeoutMs = 3000): void {
  // The reads of the scrape in progress: the failure counter waits for them, so it reports this scrape's failures.
  let reads: Promise<unknown>[] = [];
  const failures = new Counter({
    name: 'user_consumer_metric_read_failures_total',
    help: 'Scrape-time reads of a gauge that failed or took too long (gauge: lag | parked_users); the gauge then has no samples',
    labelNames: ['gauge'] as const,
    registers: [],
    async collect() {
      const pending = reads;
      reads = [];
      await Promise.all(pending);
    },
  });
  for (const gauge of ['lag', 'parked_users']) failures.inc({ gauge }, 0);
  const read = <T>(gauge: string, source: () => Promise<T>): Promise<T | null> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
    const result = Promise.race([source(), late])
      .catch(() => (failures.inc({ gauge }), null))
      .finally(() => clearTimeout(timer));
    reads.push(result);
    return result;
  };
  new Gauge({
    name: 'user_consumer_lag_messages',
    help: 'Messages of a partition the consumer group has not committed yet (end offset - committed offset), read from Kafka at scrape time; the same on every replica',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      const lags = await read('lag', sources.consumerLag);
      this.reset();
      for (const l of lags ?? []) this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
  new Gauge({
    name: 'user_consumer_parked_users',
    help: `Users whose events wait behind a head event, by status: retrying (in ${TOPICS.retry}) or dead (in ${TOPICS.deadLetter}, until an operator replays or discards it); read from PostgreSQL at scrape time`,
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const parked = await read('parked_users', sources.parkedUsers);
      this.reset();
      if (parked) for (const status of ['retrying', 'dead'] as const) this.set({ status }, parked[status]);
    },
  });
  // after the gauges: its collect runs last in a scrape, once their reads have started
  registry.registerMetric(failures);
}
