import { decodeEvent, HEADERS, InvalidEventError, TOPICS } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import { extractTraceContext, SpanKind, withSpan } from '@usersys/tracing';
import { Kafka, logLevel, type Consumer, type EachBatchPayload, type KafkaMessage, type Producer } from 'kafkajs';
import { Counter, type Registry } from 'prom-client';
import { applyEvent, SPAN_BY_TYPE } from '../domain/apply-event';
import type { RequestBookkeeping, UserStore } from '../domain/ports';

export interface RunnerDeps {
  store: UserStore;
  bookkeeping: RequestBookkeeping;
  log: Logger;
  registry: Registry;
}

/**
 * Consumes `user.events.v1` in a consumer group. Messages of a partition are applied in order
 * (key = username, so per-user order holds) and an offset is resolved only after its database
 * write succeeded; kafkajs then commits resolved offsets only. A transient failure stops the batch
 * there and kafkajs redelivers from the first unresolved message.
 */
export class KafkaEventRunner {
  private readonly consumer: Consumer;
  private readonly producer: Producer;
  private readonly consumed: Counter<'type' | 'outcome'>;
  private readonly deadLetters: Counter<'reason'>;

  constructor(
    brokers: string[],
    groupId: string,
    sessionTimeoutMs: number,
    private readonly deps: RunnerDeps,
  ) {
    const kafka = new Kafka({ clientId: 'user-consumer', brokers, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 } });
    this.consumer = kafka.consumer({ groupId, sessionTimeout: sessionTimeoutMs, heartbeatInterval: 3000, allowAutoTopicCreation: false });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.consumed = new Counter({ name: 'user_consumer_events_total', help: 'Consumed events by type and outcome', labelNames: ['type', 'outcome'] as const, registers: [deps.registry] });
    this.deadLetters = new Counter({ name: 'user_consumer_dead_letters_total', help: 'Messages sent to the dead-letter topic', labelNames: ['reason'] as const, registers: [deps.registry] });
  }

  async start(): Promise<void> {
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [TOPICS.events], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.handleBatch(payload),
    });
  }

  private async handleBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    for (const message of batch.messages) {
      if (!isRunning() || isStale()) break;
      await this.handleMessage(batch.topic, batch.partition, message);
      resolveOffset(message.offset);
      await heartbeat();
    }
    await commitOffsetsIfNecessary();
  }

  private async handleMessage(topic: string, partition: number, message: KafkaMessage): Promise<void> {
    let event;
    try {
      event = decodeEvent(message.value ?? Buffer.alloc(0));
    } catch (err) {
      // Poison message: it can never succeed, so it must not block the partition.
      const reason = err instanceof InvalidEventError ? err.message : String(err);
      await this.producer.send({
        topic: TOPICS.deadLetter,
        acks: -1,
        messages: [{ key: message.key, value: message.value, headers: { ...message.headers, 'dlq-reason': reason, 'dlq-source': `${topic}/${partition}/${message.offset}` } }],
      });
      this.deadLetters.inc({ reason: 'invalid' });
      this.deps.log.error({ topic, partition, offset: message.offset, reason }, 'poison message sent to dead-letter topic');
      return;
    }
    const parent = extractTraceContext(message.headers as Record<string, Buffer | string | undefined>);
    const outcome = await withSpan(
      SPAN_BY_TYPE[event.type],
      {
        parent,
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': Number(message.offset),
          'messaging.kafka.message.key': message.key?.toString() ?? '',
          'enduser.id': event.username,
          'event.id': event.eventId,
          'event.type': event.type,
          [HEADERS.schemaVersion]: event.schemaVersion,
        },
      },
      async (span) => {
        const result = await applyEvent(event, this.deps);
        span.setAttribute('outcome', result.kind);
        return result;
      },
    );
    this.consumed.inc({ type: event.type, outcome: outcome.kind });
  }

  async ready(): Promise<void> {
    await this.consumer.describeGroup();
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    await this.producer.disconnect();
  }
}
