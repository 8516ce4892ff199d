import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createLogger } from '@usersys/logger';
import { encodeEvent, eventHeaders, flattenHeaders, TOPICS, type EventEnvelope } from '@usersys/event-schema';
import { Kafka, logLevel, type Producer, type RecordMetadata } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { loadConfig, type ConsumerConfig } from '@usersys/user-consumer/src/config';

export const BROKERS = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const SHARED_REDIS = process.env.REDIS_URL ?? DEFAULT_REDIS_URL;

export const testLog = createLogger('user-consumer-test', { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** A consumer configuration with its own group ids, on a free port, fast retries. */
export function testConfig(env: Record<string, string>): ConsumerConfig {
  return loadConfig({
    USER_CONSUMER_PORT: '0',
    CONSUMER_GROUP_ID: `uc-test-${randomUUID().slice(0, 8)}`,
    CONSUMER_RETRY_BACKOFF_BASE: '200ms',
    CONSUMER_RETRY_BACKOFF_MAX: '1s',
    CONSUMER_SESSION_TIMEOUT: '10s',
    CONSUMER_LOGIN_AUDIT: 'false',
    KAFKA_BROKERS: BROKERS.join(','),
    REDIS_URL: SHARED_REDIS,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...env,
  });
}

/**
 * The topics are shared with other engineers' runs: start a new group at the current end of each
 * topic (instead of replaying the whole history), so a test sees its own messages plus whatever
 * others produce meanwhile (tests filter by their own usernames and event ids).
 */
export async function startGroupsAtEnd(config: ConsumerConfig, brokers = BROKERS): Promise<void> {
  const admin = new Kafka({ clientId: 'uc-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const groups: Array<[string, string]> = [
      [config.groupId, TOPICS.events],
      [`${config.groupId}-retry`, TOPICS.retry],
      [`${config.groupId}-login-audit`, TOPICS.loginAudit],
    ];
    for (const [groupId, topic] of groups) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    }
  } finally {
    await admin.disconnect();
  }
}

export async function connectProducer(brokers = BROKERS): Promise<Producer> {
  const producer = new Kafka({ clientId: 'uc-test-producer', brokers, logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/** Sends the events in order (key = username); returns where they landed (partition, base offset). */
export async function produceEvents(producer: Producer, events: EventEnvelope[]): Promise<RecordMetadata[]> {
  return producer.send({
    topic: TOPICS.events,
    acks: -1,
    messages: events.map((e) => ({ key: e.username, value: encodeEvent(e), headers: eventHeaders(e, { traceparent: `00-${randomUUID().replace(/-/g, '')}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01` }) })),
  });
}

export interface TopicMessage {
  key: string | null;
  value: string;
  headers: Record<string, string>;
  offset: string;
  partition: number;
}

/** Reads a topic from the given start offsets (or its current end) in the background; `messages` grows. */
export async function tailTopic(topic: string, brokers = BROKERS): Promise<{ messages: TopicMessage[]; stop(): Promise<void> }> {
  const kafka = new Kafka({ clientId: 'uc-test-tail', brokers, logLevel: logLevel.NOTHING });
  const groupId = `uc-test-tail-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.setOffsets({ groupId, topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  const messages: TopicMessage[] = [];
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      messages.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '', headers: flattenHeaders(message.headers), offset: message.offset, partition });
    },
  });
  return { messages, stop: () => consumer.disconnect() };
}

/**
 * Waits until the group committed past `offset` on the partition: the consumer resolves an offset
 * only after the event's write and its Redis steps are done, so everything up to it is settled.
 */
export async function waitForCommitted(groupId: string, partition: number, offset: bigint, brokers = BROKERS): Promise<void> {
  const admin = new Kafka({ clientId: 'uc-test-admin', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await waitFor(`${groupId} committed past ${offset} on partition ${partition}`, async () => {
      const [topic] = await admin.fetchOffsets({ groupId, topics: [TOPICS.events] });
      const committed = topic?.partitions.find((p) => p.partition === partition)?.offset;
      return committed !== undefined && BigInt(committed) > offset;
    });
  } finally {
    await admin.disconnect();
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 60_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
