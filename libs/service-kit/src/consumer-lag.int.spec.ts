import { randomUUID } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import { readGroupLag } from './consumer-lag';
import { createKafka } from './kafka-client';

// The shared broker (tools/infra.sh), a topic of its own: what readGroupLag reports is what the group committed.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

describe('readGroupLag (real Kafka)', () => {
  const topic = `sk-lag-${randomUUID().slice(0, 8)}`;
  const groupId = `${topic}-group`;
  let admin: Admin;
  let producer: Producer;

  beforeAll(async () => {
    const kafka = createKafka({ clientId: 'sk-test-lag', brokers });
    admin = kafka.admin();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, i) => ({ partition: 0, value: `m${i}` })) });
    await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'x' }] });
    // On a fresh broker the group coordinator (the offsets topic) comes up after the first request
    // for it: NOT_COORDINATOR until then. Wait for it here, so the tests read a settled group.
    for (let deadline = Date.now() + 45_000; ; ) {
      try {
        await admin.fetchOffsets({ groupId, topics: [topic] });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }, 60_000);
  afterAll(async () => {
    await producer?.disconnect().catch(() => {});
    await admin?.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin?.disconnect().catch(() => {});
  });

  it('counts every message of a group that never committed', async () => {
    const lags = await readGroupLag(admin, groupId, topic);
    expect(lags.sort((a, b) => a.partition - b.partition)).toEqual([
      { topic, partition: 0, end: 5, committed: null, lag: 5 },
      { topic, partition: 1, end: 1, committed: null, lag: 1 },
    ]);
  });

  it('follows the committed offsets', async () => {
    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '2' }, { partition: 1, offset: '1' }] });
    const lags = await readGroupLag(admin, groupId, topic);
    expect(lags.sort((a, b) => a.partition - b.partition).map((l) => [l.partition, l.committed, l.lag])).toEqual([
      [0, 2, 3],
      [1, 1, 0],
    ]);
  });
});
