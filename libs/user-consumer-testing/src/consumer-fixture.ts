import { startService, type RunningService } from '@usersys/service-kit';
import type { Logger } from '@usersys/logger';
import type { ConsumerConfig } from '@usersys/user-consumer/src/config';
import { userConsumerService } from '@usersys/user-consumer/src/service';
import { testLog } from './harness';

/** A consumer started in-process: observed through its HTTP (`url`: /readyz, /metrics, /admin) and its Kafka groups and database. */
export type TestConsumer = RunningService;

/**
 * Starts the consumer as main.ts does (same parts, same order), on 127.0.0.1. `port`: 0 (a free
 * one) unless the test chose one beforehand, e.g. to poll /readyz while the start is still under way.
 * `stop()` is the graceful shutdown; `shutdownSteps()` its ordered steps, to run only some of them.
 */
export function startTestConsumer(config: ConsumerConfig, options: { port?: number; log?: Logger } = {}): Promise<TestConsumer> {
  return startService(userConsumerService, config, options.log ?? testLog, { port: options.port ?? 0, host: '127.0.0.1' });
}
