import { Registry } from 'prom-client';
import { KafkaLagReader } from './kafka-lag-reader';
import { createConsumerMetrics, DEAD_LETTER_REASONS, registerScrapeGauges, type ScrapeSources } from './metrics';

const sample = (text: string, name: string, labels: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('consumer metrics', () => {
  it('exports every dead-letter reason at 0 before the first dead letter (increase() needs the zero)', async () => {
    const registry = new Registry();
    const m = createConsumerMetrics(registry);
    m.deadLettered('retries_exhausted');
    const text = await registry.metrics();
    for (const reason of DEAD_LETTER_REASONS) expect(sample(text, 'user_consumer_dead_letters_total', `reason="${reason}"`)).toBe(reason === 'retries_exhausted' ? 1 : 0);
  });
});

describe('scrape-time gauges', () => {
  const lag = [
    { group: 'uc', topic: 'user.events.v1', partition: 0, end: 10, committed: 4, lag: 6 },
    { group: 'uc', topic: 'user.events.v1', partition: 1, end: 3, committed: 3, lag: 0 },
  ];

  it('reads consumer lag per partition and parked users per status at each scrape', async () => {
    const registry = new Registry();
    let parked = { retrying: 2, dead: 1 };
    registerScrapeGauges(registry, { consumerLag: async () => lag, parkedUsers: async () => parked });
    let text = await registry.metrics();
    expect(sample(text, 'user_consumer_lag_messages', 'group="uc",topic="user.events.v1",partition="0"')).toBe(6);
    expect(sample(text, 'user_consumer_lag_messages', 'group="uc",topic="user.events.v1",partition="1"')).toBe(0);
    expect(sample(text, 'user_consumer_parked_users', 'status="retrying"')).toBe(2);
    expect(sample(text, 'user_consumer_parked_users', 'status="dead"')).toBe(1);
    parked = { retrying: 0, dead: 0 };
    text = await registry.metrics();
    expect(sample(text, 'user_consumer_parked_users', 'status="dead"')).toBe(0);
  });

  it('a failing or hanging source leaves its gauge without samples and counts the failure; /metrics still answers', async () => {
    const registry = new Registry();
    let sources: ScrapeSources = { consumerLag: async () => lag, parkedUsers: async () => ({ retrying: 0, dead: 3 }) };
    registerScrapeGauges(registry, { consumerLag: () => sources.consumerLag(), parkedUsers: () => sources.parkedUsers() }, 50);
    expect(sample(await registry.metrics(), 'user_consumer_parked_users', 'status="dead"')).toBe(3);
    sources = { consumerLag: () => new Promise(() => {}), parkedUsers: async () => Promise.reject(new Error('database down')) };
    const text = await registry.metrics();
    expect(text).not.toMatch(/^user_consumer_lag_messages\{/m);
    expect(text).not.toMatch(/^user_consumer_parked_users\{/m);
    expect(sample(text, 'user_consumer_metric_read_failures_total', 'gauge="lag"')).toBe(1);
    expect(sample(text, 'user_consumer_metric_read_failures_total', 'gauge="parked_users"')).toBe(1);
  });
});

describe('KafkaLagReader', () => {
  /** A kafkajs Admin stand-in: one partition with end offset 5, the group committed 2. */
  function fakeAdmin(fail: { value: boolean }) {
    return {
      connected: 0,
      disconnected: 0,
      async connect() {
        this.connected += 1;
      },
      async disconnect() {
        this.disconnected += 1;
      },
      async fetchTopicOffsets() {
        if (fail.value) throw new Error('Broker not connected');
        return [{ partition: 0, offset: '5', high: '5', low: '0' }];
      },
      async fetchOffsets() {
        return [{ topic: 'user.events.v1', partitions: [{ partition: 0, offset: '2', metadata: null }] }];
      },
    };
  }

  it('keeps one admin client while it works, and builds a new one after a failure', async () => {
    const fail = { value: false };
    const made: ReturnType<typeof fakeAdmin>[] = [];
    const reader = new KafkaLagReader([], [{ groupId: 'uc', topic: 'user.events.v1' }], () => {
      const a = fakeAdmin(fail);
      made.push(a);
      return a as never;
    });
    expect(await reader.read()).toEqual([{ group: 'uc', topic: 'user.events.v1', partition: 0, end: 5, committed: 2, lag: 3 }]);
    await reader.read();
    expect(made).toHaveLength(1);
    fail.value = true;
    await expect(reader.read()).rejects.toThrow('Broker not connected');
    expect(made[0].disconnected).toBe(1);
    fail.value = false;
    expect((await reader.read())[0].lag).toBe(3);
    expect(made).toHaveLength(2);
    await reader.close();
    expect(made[1].disconnected).toBe(1);
  });
});
