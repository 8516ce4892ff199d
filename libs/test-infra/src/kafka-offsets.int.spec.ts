import { Kafka, logLevel, type Admin } from 'kafkajs';
import { fetchTopicOffsetsWhenLed } from './kafka-offsets';
import { startPrivateKafka, type PrivateService } from './private-infra';

// Issue 12, failure 4: reading offsets of a topic whose partition leaders are not elected yet
// failed with "This server is not the leader for that topic-partition" (CI on a fresh machine).
describe('fetchTopicOffsetsWhenLed (real private broker)', () => {
  let kafka: PrivateService;
  let admin: Admin;
  beforeAll(async () => {
    kafka = await startPrivateKafka();
    admin = new Kafka({ clientId: 'leader-test', brokers: [kafka.url], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  }, 180_000);
  afterAll(async () => {
    await admin?.disconnect();
    await kafka?.destroy();
  });

  it('reads the offsets of every partition of topics created a moment ago', async () => {
    const topics = Array.from({ length: 4 }, (_, i) => `fresh-${Date.now()}-${i}`);
    await admin.createTopics({ waitForLeaders: false, topics: topics.map((topic) => ({ topic, numPartitions: 12, replicationFactor: 1 })) });
    const offsets = await Promise.all(topics.map((topic) => fetchTopicOffsetsWhenLed(admin, topic)));
    for (const perTopic of offsets) {
      expect(perTopic.map((o) => o.partition).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
      expect(perTopic.every((o) => o.high === '0' && o.low === '0')).toBe(true);
    }
  }, 120_000);

  it('gives up with the topic named when it never gets a leader', async () => {
    await expect(fetchTopicOffsetsWhenLed(admin, 'no-such-topic-anywhere', 1500)).rejects.toThrow(/no-such-topic-anywhere.*gave up/);
  }, 30_000);
});
