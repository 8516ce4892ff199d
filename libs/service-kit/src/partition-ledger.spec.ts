import { Partitioners, type Message, type RecordMetadata, type TopicMessages } from 'kafkajs';
import { PartitionLedger } from './partition-ledger';

/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs' internals have no types; the test drives its real send loop */
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: Record<string, unknown>) => (batch: { acks: number; topicMessages: TopicMessages[] }) => Promise<RecordMetadata[]>;
const createRetry = require('kafkajs/src/retry') as (options: Record<string, number>) => unknown;
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };
/* eslint-enable @typescript-eslint/no-require-imports */

const NOT_LEADER_OR_FOLLOWER = 6;
const TOPIC = 'user.events.v1';

interface FakeBroker {
  nodeId: number;
  produced: Array<{ partition: number; keys: string[] }>;
  produce(request: { topicData: Array<{ topic: string; partitions: Array<{ partition: number; messages: Message[] }> }> }): Promise<unknown>;
}

/**
 * Two brokers; broker 1 leads both partitions, but the producer's metadata still says broker 2
 * leads partition 1 (broker 2 lost it when it was killed and came back, or the controller moved
 * it) until the producer refreshes its metadata.
 */
function twoBrokerCluster() {
  const actualLeaders: Record<number, number> = { 0: 1, 1: 1 };
  let leaders: Record<number, number> = { 0: 1, 1: 2 };
  const brokers = new Map<number, FakeBroker>();
  for (const nodeId of [1, 2]) {
    const broker: FakeBroker = {
      nodeId,
      produced: [],
      async produce({ topicData }) {
        const partitions = topicData.flatMap((t) => t.partitions);
        // Broker 2 answers a moment later, as a remote broker does: broker 1 has answered by then.
        if (nodeId === 2) await new Promise((r) => setTimeout(r, 20));
        if (partitions.some((p) => actualLeaders[p.partition] !== nodeId)) throw createErrorFromCode(NOT_LEADER_OR_FOLLOWER);
        for (const p of partitions) broker.produced.push({ partition: p.partition, keys: p.messages.map((m) => String(m.key)) });
        return { topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: '0' })) })) };
      },
    };
    brokers.set(nodeId, broker);
  }
  const cluster = {
    refreshMetadataIfNecessary: async () => {},
    refreshMetadata: async () => {
      leaders = { ...actualLeaders };
    },
    addMultipleTargetTopics: async () => {},
    isConnected: () => true,
    removeBroker: () => {},
    findTopicPartitionMetadata: () => [0, 1].map((partitionId) => ({ partitionId, leader: leaders[partitionId] })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const byLeader: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (byLeader[leaders[p]] ??= []).push(p);
      return byLeader;
    },
    findBroker: async ({ nodeId }: { nodeId: string }) => brokers.get(Number(nodeId)), // kafkajs passes the object key
  };
  return { cluster, brokers };
}

const eosManager = {
  acquireBrokerLock: async () => {},
  releaseBrokerLock: async () => {},
  isTransactional: () => false,
  getSequence: () => 0,
  updateSequence: () => {},
  getProducerId: () => -1,
  getProducerEpoch: () => 0,
};
const logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One record for each partition: explicit partitions, chosen through kafkajs' default partitioner. */
const batch = (): TopicMessages[] => [{ topic: TOPIC, messages: [0, 1].map((partition) => ({ key: `user-${partition}`, value: 'x', partition })) }];

describe('PartitionLedger', () => {
  it('names the records kafkajs resolved a send without (a partition leader moved to a broker that had answered)', async () => {
    const { cluster, brokers } = twoBrokerCluster();
    const ledger = new PartitionLedger();
    const partitioner = ledger.recording(Partitioners.DefaultPartitioner)();
    const send = createSendMessages({ logger, cluster, partitioner, eosManager, retrier: createRetry({ retries: 2, initialRetryTime: 50, maxRetryTime: 100 }) });
    const sent = batch();

    const acknowledged = await send({ acks: -1, topicMessages: sent });

    // kafkajs resolved, yet partition 1's record went nowhere: this is the bug the ledger guards against.
    expect(acknowledged.map((m) => m.partition)).toEqual([0]);
    expect([...brokers.values()].flatMap((b) => b.produced.map((p) => p.partition))).toEqual([0]);
    const skipped = ledger.unacknowledged(sent, acknowledged);
    expect(skipped).toEqual([{ topic: TOPIC, messages: [sent[0].messages[1]] }]);
    expect(ledger.describe(skipped)).toBe(`${TOPIC}[1]`);

    // Sent again, the skipped record reaches partition 1's new leader.
    const again = await send({ acks: -1, topicMessages: skipped });
    expect(ledger.unacknowledged(skipped, again)).toEqual([]);
    expect(brokers.get(1)?.produced).toEqual([
      { partition: 0, keys: ['user-0'] },
      { partition: 1, keys: ['user-1'] },
    ]);
  });

  it('finds nothing missing when every partition is acknowledged, and everything when nothing is', () => {
    const ledger = new PartitionLedger();
    const partitioner = ledger.recording(Partitioners.DefaultPartitioner)();
    const sent = batch();
    const partitionMetadata = [0, 1].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0 }));
    for (const message of sent[0].messages) partitioner({ topic: TOPIC, partitionMetadata, message });
    const ack = (partition: number, topicName = TOPIC): RecordMetadata => ({ topicName, partition, errorCode: 0 });

    expect(ledger.unacknowledged(sent, [ack(0), ack(1)])).toEqual([]);
    expect(ledger.unacknowledged(sent, [ack(1)])).toEqual([{ topic: TOPIC, messages: [sent[0].messages[0]] }]);
    expect(ledger.unacknowledged(sent, [ack(0, 'another.topic'), ack(1, 'another.topic')])).toEqual(sent);
    // A record the partitioner never saw was never grouped for sending.
    const unseen: TopicMessages[] = [{ topic: TOPIC, messages: [{ key: 'k', value: 'v' }] }];
    expect(ledger.unacknowledged(unseen, [ack(0), ack(1)])).toEqual(unseen);
  });
});
