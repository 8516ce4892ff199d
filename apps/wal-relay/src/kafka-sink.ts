import { CompressionTypes, Kafka, logLevel, type Producer } from 'kafkajs';
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
 * Retries inside kafkajs are short; the relay's lanes own the long backoff.
 */
export class KafkaSink implements MessageSink {
  private readonly kafka: Kafka;
  private readonly producers = new Map<number, { producer: Producer; connected: Promise<void> | null }>();

  constructor(
    brokers: string[],
    private readonly compression: Compression,
    private readonly log: Logger,
    clientId = 'wal-relay',
  ) {
    this.kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 }, connectionTimeout: 3000, requestTimeout: 10_000 });
  }

  private lane(index: number) {
    let entry = this.producers.get(index);
    if (!entry) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, retry: { retries: 2 } });
      const created = { producer, connected: null as Promise<void> | null };
      producer.on('producer.disconnect', () => {
        created.connected = null;
      });
      this.producers.set(index, created);
      entry = created;
    }
    return entry;
  }

  private connect(index: number): Promise<void> {
    const entry = this.lane(index);
    entry.connected ??= entry.producer.connect().catch((err: unknown) => {
      entry.connected = null;
      throw err;
    });
    return entry.connected;
  }

  async send(messages: OutgoingMessage[], lane = 0): Promise<void> {
    await this.connect(lane);
    if (messages.length === 0) return;
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const m of messages) {
      const list = byTopic.get(m.topic);
      if (list) list.push(m);
      else byTopic.set(m.topic, [m]);
    }
    try {
      await this.lane(lane).producer.sendBatch({
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

  /** Connected to the cluster (lane 0's producer). */
  async ready(): Promise<void> {
    await this.connect(0);
  }

  async close(): Promise<void> {
    await Promise.all(
      [...this.producers.values()].map(({ producer }) => producer.disconnect().catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'producer disconnect failed'))),
    );
  }
}
