import { createMetrics, defineService } from '@usersys/service-kit';
import { constants, promises as fs } from 'node:fs';
import { loadConfig } from './config';
import { KafkaSink } from './kafka-sink';
import { Relay } from './relay';
import { createRelayMetrics } from './relay-metrics';

/** Composition root of the relay: WAL directories in, Kafka out; HTTP serves health and metrics only. */
export const walRelayService = defineService({
  name: 'wal-relay',
  loadConfig: () => loadConfig(),
  async build({ config, log }) {
    const metrics = createMetrics('wal-relay');
    const sink = new KafkaSink(config.kafkaBrokers, config.compression, log);
    const relay = new Relay(config, sink, createRelayMetrics(metrics.registry), log);
    return {
      metrics,
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
      background: [
        ['kafka', async () => void sink.connect().catch((err: Error) => log.warn({ err: err.message }, 'kafka not reachable yet; the relay keeps trying'))],
        ['relay', () => relay.start()],
      ],
      // Stop reading, let sends in flight finish, write checkpoints, then close the producers. The
      // steps exist before anything starts: a SIGTERM while the relay is still discovering its logs
      // (it may already be sending) still ends in checkpoints, not in death by signal (resends).
      shutdown: [
        ['relay', () => relay.stop()],
        ['kafka', () => sink.close()],
      ],
      closeHttp: 'last',
      summary: { walRoot: config.walRoot, brokers: config.kafkaBrokers, batchMaxRecords: config.batchMaxRecords, lingerMs: config.lingerMs, maxInFlight: config.maxInFlight, compression: config.compression },
    };
  },
});
