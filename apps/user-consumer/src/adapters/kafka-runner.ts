import { flattenHeaders, TOPICS } from '@usersys/event-schema';
import type { KafkaClients, ReconnectingConsumer } from '@usersys/service-kit';
import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { InboundMessage } from '../domain/messages';
import type { BatchControl } from '../domain/ports';
import type { EventProcessor } from '../domain/processor';

export interface RunnerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  fetchMaxWaitMs: number;
  partitionsConcurrency: number;
}

export function inbound(topic: string, partition: number, m: KafkaMessage): InboundMessage {
  return { topic, partition, offset: m.offset, key: m.key?.toString() ?? null, value: m.value, headers: flattenHeaders(m.headers) };
}

function control({ resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): BatchControl {
  return { resolve: resolveOffset, heartbeat, isRunning: () => isRunning() && !isStale() };
}

/**
 * Two consumers over one processor: `<groupId>` reads user.events.v1 in batches, `<groupId>-retry`
 * reads user.retry.v1 message by message (it waits for each message's not-before time, so it has
 * its own group and never holds up the main topic). Offsets are resolved by the processor after the
 * writes they cover; kafkajs commits resolved offsets only, so an unprocessed message is refetched
 * after a failure, a rebalance, a restart, or a rebuild of a consumer whose connection stopped
 * answering (service-kit's reconnecting consumers, which also log crashes). stop() lets running
 * batches finish, commits and leaves.
 */
export class KafkaEventRunner {
  private readonly events: ReconnectingConsumer;
  private readonly retries: ReconnectingConsumer;

  constructor(
    clients: KafkaClients,
    private readonly options: RunnerOptions,
    private readonly processor: EventProcessor,
  ) {
    const common = { sessionTimeout: options.sessionTimeoutMs, heartbeatInterval: 3000, allowAutoTopicCreation: false, maxWaitTimeInMs: options.fetchMaxWaitMs };
    this.events = clients.consumer('events', { groupId: options.groupId, ...common });
    this.retries = clients.consumer('retry', { groupId: `${options.groupId}-retry`, ...common });
  }

  async start(): Promise<void> {
    await Promise.all([this.events.connect(), this.retries.connect()]);
    await this.events.subscribe({ topics: [TOPICS.events], fromBeginning: true });
    await this.retries.subscribe({ topics: [TOPICS.retry], fromBeginning: true });
    // Offsets are resolved by the processor after the writes they cover; only resolved ones commit.
    const runOptions = { autoCommit: true, autoCommitInterval: 1000, eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.options.partitionsConcurrency };
    await this.events.run({
      ...runOptions,
      eachBatch: async (payload) => {
        const { batch } = payload;
        await this.processor.handleEventsBatch(
          batch.messages.map((m) => inbound(batch.topic, batch.partition, m)),
          control(payload),
        );
        await payload.commitOffsetsIfNecessary();
      },
    });
    await this.retries.run({
      ...runOptions,
      eachBatch: async (payload) => {
        const { batch } = payload;
        const ctl = control(payload);
        for (const m of batch.messages) {
          if (!ctl.isRunning()) break;
          if (!(await this.processor.handleRetryMessage(inbound(batch.topic, batch.partition, m), ctl))) break;
          ctl.resolve(m.offset);
          await payload.commitOffsetsIfNecessary();
        }
      },
    });
  }

  async stop(): Promise<void> {
    await Promise.all([this.events.disconnect(), this.retries.disconnect()]);
  }
}
