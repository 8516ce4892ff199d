import { runMain } from '@usersys/config';
import { createLogger } from '@usersys/logger';
import { closeServer, createMetrics, createServiceApp, handleShutdown, listen } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { loadConfig } from './config';
import { KafkaSink } from './kafka-sink';
import { Relay } from './relay';
import { createRelayMetrics } from './relay-metrics';

// Composition root of the relay: WAL directories in, Kafka out, metrics and health on :9464.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('wal-relay', { level: config.logLevel });
  const metrics = createMetrics('wal-relay');
  const relayMetrics = createRelayMetrics(metrics.registry);
  const sink = new KafkaSink(config.kafkaBrokers, config.compression, log);
  const relay = new Relay(config, sink, relayMetrics, log);

  const app = createServiceApp({ metrics, log, readiness: { kafka: () => sink.ready() } });
  const server = await listen(app, config.port, config.host, log);
  await relay.start();
  log.info({ walRoot: config.walRoot, brokers: config.kafkaBrokers }, 'wal-relay ready');

  handleShutdown(log, [
    ['relay', () => relay.stop()],
    ['kafka', () => sink.close()],
    ['http', () => closeServer(server)],
    ['tracing', () => shutdownTracing()],
  ]);
});
