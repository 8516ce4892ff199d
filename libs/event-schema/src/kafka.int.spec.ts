import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createEvent, decodeEvent, encodeEvent, eventHeaders, SCHEMA_VERSION } from './index';

// Integration test against the real Kafka from tools/infra.sh, on a throwaway topic.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

describe('event envelope through Kafka', () => {
  const kafka = new Kafka({ clientId: 'event-schema-spec', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const topic = `it.event-schema.${randomUUID()}`;

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('arrives with the contract headers and decodes to the same envelope', async () => {
    const event = createEvent('user.updated', 'kafka_user', { nickname: 'K' }, { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: event.username, value: encodeEvent(event), headers: eventHeaders(event, event.trace) }] });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `spec-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received = await new Promise<{ key: string; headers: Record<string, string>; value: Buffer }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          resolve({ key: String(message.key), headers, value: message.value! });
        },
      });
    });
    await consumer.disconnect();

    expect(received.key).toBe('kafka_user');
    expect(received.headers).toEqual({ traceparent: event.trace.traceparent, 'event-id': event.eventId, 'event-type': 'user.updated', 'schema-version': String(SCHEMA_VERSION) });
    expect(decodeEvent(received.value)).toEqual(event);
    expect(received.value.toString()).not.toMatch(/password"/);
  });
});
