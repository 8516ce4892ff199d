import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
import type { Logger } from '@usersys/logger';
import type { MessageSink, OutgoingMessage } from './log-relay';

/**
 * kafkajs producer with acks from all in-sync replicas and the idempotent producer (which kafkajs
 * allows with one request in flight). Retries here are short: the relay's own loop owns backoff.
 */
export class KafkaSink implements MessageSink {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    brokers: string[],
    private readonly compression: 'none' | 'gzip',
    private readonly log: Logger,
  ) {
    const kafka = new Kafka({ clientId: 'wal-relay', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeout: 3000, requestTimeout: 10_000 });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 2 } });
    this.producer.on('producer.disconnect', () => {
      this.connected = null;
    });
  }

  private connect(): Promise<void> {
    if (!this.connected) {
      this.connected = this.producer.connect().catch((err) => {
        this.connected = null;
        throw err;
      });
    }
    return this.connected;
  }

  async send(messages: OutgoingMessage[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    await this.producer.sendBatch({
      acks: -1,
      compression: this.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) })),
    });
  }

  async ready(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch((err) => this.log.warn({ err: (err as Error).message }, 'producer disconnect failed'));
  }
}
