import { startPrivateKafka, type PrivateService } from '@usersys/test-infra';
import type { Admin, Consumer, Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka, KafkaClients, type ReconnectingConsumer } from './kafka-client';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined && value !== null && value !== false) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/*
 * A reconnecting consumer against a private broker that is killed (SIGKILL) and started again. Each
 * case then produces a message and expects the consumer to get it: a consumer left dead or "joining"
 * forever by the broker's death would never consume again, with nothing logged and readiness green.
 */
describe('ReconnectingConsumer through a Kafka broker killed and restarted', () => {
  let kafka: PrivateService;
  let killed = false;
  let admin: Admin;
  let producer: Producer;
  const options = () => ({ clientId: 'sk-test-kill', brokers: [kafka.url], stallAfterMs: 5000, rebuildBackoff: { baseMs: 500, maxMs: 2000 } });

  beforeAll(async () => {
    kafka = await startPrivateKafka();
    admin = createKafka({ clientId: 'sk-test-admin', brokers: [kafka.url] }).admin();
    producer = createKafka({ clientId: 'sk-test-producer', brokers: [kafka.url] }).producer({ allowAutoTopicCreation: false });
  }, 240_000);
  afterAll(async () => {
    await admin?.disconnect().catch(() => {});
    await producer?.disconnect().catch(() => {});
    await kafka?.destroy();
  }, 120_000);

  /** A fresh single-partition topic and group per case; the admin and producer reconnect after a restart. */
  async function topicAndGroup(name: string): Promise<{ topic: string; groupId: string }> {
    const topic = `sk-kill-${name}-${Date.now()}`;
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    return { topic, groupId: `${topic}-group` };
  }

  async function produce(topic: string, value: string): Promise<void> {
    await waitFor(
      `${value} produced`,
      async () => {
        await producer.connect();
        await producer.send({ topic, acks: -1, messages: [{ value }] });
        return true;
      },
      120_000,
    );
  }

  async function kill(): Promise<void> {
    killed = true;
    await kafka.kill();
  }

  async function restart(): Promise<void> {
    await kafka.start();
    killed = false;
    await admin.disconnect().catch(() => {});
    await producer.disconnect().catch(() => {});
  }

  it('consumes again after the broker died while it was joining its group', async () => {
    const { topic, groupId } = await topicAndGroup('join');
    await produce(topic, 'first');
    // An older member stuck in a handler holds the rebalance open: the broker parks the new member's
    // JoinGroup until that member rejoins or its session ends, so the broker dies mid-join.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let blocked = false;
    const blocker: Consumer = createKafka({ clientId: 'sk-test-blocker', brokers: [kafka.url] }).consumer({ groupId, sessionTimeout: 20_000, heartbeatInterval: 1000 });
    await blocker.connect();
    await blocker.subscribe({ topics: [topic], fromBeginning: true });
    await blocker.run({
      eachMessage: async () => {
        blocked = true;
        await released;
      },
    });
    await waitFor('the older member in its handler', async () => blocked, 60_000);

    const clients = new KafkaClients(options(), log);
    const consumer: ReconnectingConsumer = clients.consumer('under-test', { groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    const received: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const running = consumer.run({
        eachMessage: async ({ message }) => {
          received.push(message.value!.toString());
        },
      });
      await waitFor('the new member parked in its join', async () => (await admin.describeGroups([groupId])).groups[0]?.state === 'PreparingRebalance', 15_000);

      await kill();
      release();
      void blocker.disconnect().catch(() => {});
      await running;
      // Its join failed: whatever the wrapper does now, it must not call this consumer healthy.
      await expect(clients.checkReachable()).rejects.toThrow(/under-test/);

      await restart();
      await produce(topic, 'after-restart');
      await waitFor('the message produced after the restart consumed', async () => received.includes('after-restart'), 180_000);
      expect(received).toContain('first'); // never committed by the blocked member: fetched again
    } finally {
      await clients.close();
      if (killed) await restart(); // for the next case, when this one failed midway
    }
  }, 420_000);

  it('consumes again after the broker died while its handler waited (a retry message before its not-before time)', async () => {
    const { topic, groupId } = await topicAndGroup('busy');
    await produce(topic, 'waits');
    const clients = new KafkaClients(options(), log);
    const consumer = clients.consumer('under-test', { groupId, sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500 });
    const received: string[] = [];
    let waiting = false;
    const notBefore = Date.now() + 20_000;
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      // As the user-consumer's retry handler: wait for the not-before time, heartbeating, unless told to stop.
      await consumer.run({
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, heartbeat, isRunning, resolveOffset }) => {
          for (const m of batch.messages) {
            const value = m.value!.toString();
            if (value === 'waits') {
              waiting = true;
              while (Date.now() < notBefore) {
                if (!isRunning()) return;
                await heartbeat();
                await sleep(Math.min(notBefore - Date.now(), 1000));
              }
            }
            received.push(value);
            resolveOffset(m.offset);
          }
        },
      });
      await waitFor('the handler waiting', async () => waiting, 60_000);

      await kill();
      await sleep(3000);
      await restart();
      await produce(topic, 'after-restart');
      await waitFor('both messages consumed', async () => received.includes('waits') && received.includes('after-restart'), 180_000);
    } finally {
      await clients.close();
      if (killed) await restart(); // for the next case, when this one failed midway
    }
  }, 420_000);
});
