import { HEADERS, TOPICS } from '@usersys/event-schema';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import type { AuditSink, QueuedAudit } from '../domain/audit-queue';

/**
 * Publishes login audit records to `user.login-audit.v1` (key: the username as given, header:
 * the login request's traceparent), one produce request per batch, acks from all in-sync replicas.
 * Connects lazily so the gateway starts (and logs in users) while Kafka is down.
 */
export class KafkaAuditSink implements AuditSink {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    brokers: string[],
    private readonly topic: string = TOPICS.loginAudit,
  ) {
    const kafka = new Kafka({ clientId: 'auth-gateway', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeout: 3000, requestTimeout: 10_000 });
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

  async publish(batch: QueuedAudit[]): Promise<void> {
    await this.connect();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: batch.map(({ record, traceparent }) => ({
        key: record.username,
        value: JSON.stringify(record),
        headers: traceparent ? { [HEADERS.traceparent]: traceparent } : {},
      })),
    });
  }

  async close(): Promise<void> {
    await this.producer.disconnect().catch(() => undefined);
  }
}
