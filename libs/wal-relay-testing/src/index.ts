// Public API of @usersys/wal-relay-testing: reading a topic back for integration tests, and the relay's
// engine (LogRelay, its Kafka sink, its metrics) for driving it in-process without HTTP or process
// start-up (bench/wal-relay.bench.ts). Test support (type:test-support): specs, e2e, benchmarks and
// tools import it, production code never does.
export { readBack, type ReadBack } from './read-back';
export { KafkaSink } from '@usersys/wal-relay/src/kafka-sink';
export { LogRelay, type LogRelayConfig } from '@usersys/wal-relay/src/log-relay';
export { createRelayMetrics, type RelayMetrics } from '@usersys/wal-relay/src/relay-metrics';
