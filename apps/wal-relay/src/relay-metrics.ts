import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metric names are part of the contract (docs/architecture.md, "Metrics"). */
export function createRelayMetrics(registry: Registry) {
  return {
    backlog: new Gauge({ name: 'kafka_producer_wal_backlog', help: 'WAL records not yet acknowledged by Kafka', labelNames: ['log'] as const, registers: [registry] }),
    oldestAge: new Gauge({ name: 'kafka_producer_wal_oldest_age_seconds', help: 'Age of the oldest WAL record not yet acknowledged by Kafka', labelNames: ['log'] as const, registers: [registry] }),
    published: new Counter({ name: 'wal_relay_published_total', help: 'Records acknowledged by Kafka', labelNames: ['topic'] as const, registers: [registry] }),
    sendFailures: new Counter({ name: 'wal_relay_send_failures_total', help: 'Failed batch sends (retried with capped backoff)', registers: [registry] }),
    deadLetters: new Counter({ name: 'wal_relay_dead_letters_total', help: 'Records Kafka rejected permanently, sent to the dead-letter topic', registers: [registry] }),
    sendDuration: new Histogram({
      name: 'wal_relay_send_duration_seconds',
      help: 'Duration of one acknowledged Kafka batch send',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    publishLatency: new Histogram({
      name: 'wal_relay_publish_latency_seconds',
      help: 'Time from WAL append to Kafka acknowledgement',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;
