import { createLogger } from '@usersys/logger';
import { closeServer, createMetrics, createServiceApp, handleShutdown, listen, runMain } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { constants, promises as fs } from 'node:fs';
import type { Server } from 'node:http';
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

  const app = createServiceApp({
    metrics,
    log,
    readiness: {
      // Red while a lane's producer cannot reach the brokers (it rebuilds itself meanwhile), or the relay is not draining.
      kafka: async () => {
        await sink.ready();
        const problem = relay.problem();
        if (problem) throw new Error(problem);
      },
      wal: () => fs.access(config.walRoot, constants.R_OK | constants.W_OK),
    },
    liveness: { kafka: () => sink.live() },
  });
  // SIGTERM: stop reading, let sends in flight finish, write checkpoints, then close the producers.
  // Installed before anything starts: a SIGTERM while the relay is still discovering its logs (it
  // may already be sending) must still end in checkpoints, not in death by signal (resends).
  let server: Server | null = null;
  handleShutdown(log, [
    ['relay', () => relay.stop()],
    ['kafka', () => sink.close()],
    ['http', async () => (server ? closeServer(server) : undefined)],
    ['tracing', () => shutdownTracing()],
  ]);
  server = await listen(app, config.port, config.host, log);
  sink.connect().catch((err: Error) => log.warn({ err: err.message }, 'kafka not reachable yet; the relay keeps trying'));
  await relay.start();
  log.info({ walRoot: config.walRoot, brokers: config.kafkaBrokers, batchMaxRecords: config.batchMaxRecords, lingerMs: config.lingerMs, maxInFlight: config.maxInFlight, compression: config.compression }, 'wal-relay ready');

});
