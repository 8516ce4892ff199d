import { createLogger } from '@usersys/logger';
import { handleShutdown, runMain } from '@usersys/service-kit';
import { shutdownTracing } from '@usersys/tracing';
import { startConsumer } from './app';
import { loadConfig } from './config';

// Composition root of the consumer: Kafka in, PostgreSQL (and Redis bookkeeping) out.
runMain(async () => {
  const config = loadConfig();
  const log = createLogger('user-consumer', { level: config.logLevel });
  for (const w of config.secretWarnings) log.warn({ variable: w.variable }, w.message);
  const consumer = await startConsumer(config, log);
  log.info({ groupId: config.groupId, brokers: config.kafkaBrokers }, 'user-consumer ready');
  handleShutdown(log, [...consumer.steps, ['tracing', () => shutdownTracing()]]);
});
