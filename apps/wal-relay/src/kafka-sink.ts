import { KafkaClients, type ReconnectingProducer } from '@usersys/service-kit';
import { CompressionTypes } from 'kafkajs';
import type { Logger } from '@usersys/logger';
import type { Compression } from './config';
import { RejectedRecordsError, type MessageSink, type OutgoingMessage } from './ports';

/** Produce errors that no retry can fix: the record itself is what Kafka refuses. */
const PERMANENT = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'INVALID_TIMESTAMP']);

function permanentType(err: unknown): string | null {
  for (let e = err as { type?: string; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.type && PERMANENT.has(e.type)) return e.type;
  }
  return null;
}

const CODECS: Record<Compression, CompressionTypes> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

/**
 * kafkajs adapter: one idempotent producer (acks from all in-sync replicas) per lane. kafkajs lets
 * an idempotent producer have one request per broker in flight, so lanes are what pipelines.
 * Retries inside kafkajs are short; the relay's lanes own the long backoff. Each lane's producer is
 * a reconnecting one (service-kit): a connection that stops answering (frozen broker) is replaced.
 */
export class KafkaSink implements MessageSink {
  private readonly clients: KafkaClients;
  private readonly producers = new Map<number, ReconnectingProducer>();

  constructor(
    brokers: string[],
    private readonly compression: Compression,
    log: Logger,
    clientId = 'wal-relay',
  ) {
    this.clients = new KafkaClients({ clientId, brokers, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeoutMs: 3000, requestTimeoutMs: 10_000 }, log);
  }

  private lane(index: number): ReconnectingProducer {
    let producer = this.producers.get(index);
    if (!producer) {
      producer = this.clients.producer(`lane-${index}`, { idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 2 } });
      this.producers.set(index, producer);
    }
    return producer;
  }

  async send(messages: OutgoingMessage[], lane = 0): Promise<void> {
    const producer = this.lane(lane);
    if (messages.length === 0) return producer.connect();
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    try {
      await producer.sendBatch({
        acks: -1,
        compression: CODECS[this.compression],
        topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs.map((m) => ({ key: m.key, value: m.value, headers: m.headers })) })),
      });
    } catch (err) {
      const type = permanentType(err);
      if (type) throw new RejectedRecordsError(`${type}: ${(err as Error).message}`, { cause: err });
      throw err;
    }
  }

  /** Starts lane 0's producer, so readiness has a client to judge before the first record. */
  async connect(): Promise<void> {
    await this.lane(0).connect();
  }

  /** For /readyz: rejects while a lane's producer cannot reach the brokers. */
  ready(): Promise<void> {
    if (this.producers.size === 0) this.lane(0);
    return this.clients.checkReachable();
  }

  /** For /healthz: rejects only when a producer is wedged beyond what rebuilding fixes. */
  live(): Promise<void> {
    return this.clients.checkLive();
  }

  async close(): Promise<void> {
    await this.clients.close();
  }
}
