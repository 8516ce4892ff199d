import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TOPICS } from '@usersys/event-schema';
import { createContext, electPreferredLeaders, KAFKA_MODES, readSettings } from '@usersys/infra';
import { Kafka, logLevel } from 'kafkajs';
import { waitForPartitionLeaders } from './kafka-offsets';
import { infra, killHard } from './private-infra';

/**
 * The replicated topology's Kafka and HAProxy for fault tests, started by the infrastructure
 * program (tools/infra) on free ports in their own temp data directory (the Redis Cluster is
 * startPrivateRedisCluster()). Never the shared infrastructure's ports or data.
 */
export interface PrivateKafkaCluster {
  /** `127.0.0.1:<port>` of each broker, node 1 first (what KAFKA_BROKERS lists, comma-joined). */
  readonly brokers: string[];
  readonly dataDir: string;
  /** SIGKILLs broker `node` (1..3): no clean shutdown, its partitions' leadership moves to the others. */
  kill(node: number): Promise<void>;
  /** Starts every broker that is not running (same data, same ports); resolves once every contract partition has a leader. */
  restart(): Promise<void>;
  /** Resolves once every contract partition has a leader and all three replicas in sync (after a restart: the broker caught up). */
  inSync(timeoutMs?: number): Promise<void>;
  /** Resolves once broker `node` leads no contract partition (after a kill: the controller fenced it and moved its leaderships). */
  leadsNothing(node: number, timeoutMs?: number): Promise<void>;
  /** Moves each partition's (or only one partition's) leadership back to its preferred replica (Kafka's preferred leader election). */
  electPreferredLeaders(only?: { topic: string; partition: number }): Promise<void>;
  /** The partitions of `topic` whose preferred replica (first in the assignment) is broker `node`. */
  partitionsPreferring(node: number, topic: string): Promise<number[]>;
  /** Stops every broker and deletes the data. */
  destroy(): Promise<void>;
}

export interface PrivateHaproxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  destroy(): Promise<void>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port b with b … b + count − 1 all free, picked at random in 20000..40000. */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    let free = true;
    for (let i = 0; i < count && free; i++) free = await canListen(base + i);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports`);
}

const kafkaAdmin = (brokers: string[]) => new Kafka({ clientId: 'test-infra', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 5000 }).admin();

/**
 * Three KRaft nodes (broker + controller each) with replication 3 and min ISR 2, the contract's
 * topics created; a small heap each (KAFKA_HEAP), so a 2-core CI machine can run them beside the services.
 */
export async function startPrivateKafkaCluster(): Promise<PrivateKafkaCluster> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'usersys-private-kafka-cluster-'));
  const { nodes } = KAFKA_MODES.cluster;
  // node n: broker base + 2(n−1), controller base + 2(n−1) + 1
  const base = await freePortRange(2 * nodes);
  const env = { INFRA_DATA_DIR: dataDir, INFRA_SERVICES: 'kafka', KAFKA_PORT: String(base), KAFKA_CONTROLLER_PORT: String(base + 1), KAFKA_HEAP: '-Xms128m -Xmx320m' };
  const brokers = Array.from({ length: nodes }, (_, i) => `127.0.0.1:${base + 2 * i}`);
  const options = { kafkaCluster: true };

  const inSync = async (timeoutMs = 120_000) => {
    const admin = kafkaAdmin(brokers);
    const deadline = Date.now() + timeoutMs;
    try {
      await admin.connect();
      await waitForPartitionLeaders(admin, Object.values(TOPICS), timeoutMs);
      for (;;) {
        const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS) }).catch(() => ({ topics: [] }));
        if (topics.length > 0 && topics.every((t) => t.partitions.every((p) => p.isr.length === nodes))) return;
        if (Date.now() > deadline) throw new Error(`kafka cluster: not every partition has ${nodes} in-sync replicas within ${timeoutMs / 1000}s`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };

  const leadsNothing = async (node: number, timeoutMs = 60_000) => {
    const admin = kafkaAdmin(brokers.filter((_, i) => i + 1 !== node));
    const deadline = Date.now() + timeoutMs;
    try {
      await admin.connect();
      for (;;) {
        const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS) }).catch(() => ({ topics: [] }));
        if (topics.length > 0 && topics.every((t) => t.partitions.every((p) => p.leader !== node && p.leader >= 0))) return;
        if (Date.now() > deadline) throw new Error(`kafka cluster: broker ${node} still leads partitions after ${timeoutMs / 1000}s`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await admin.disconnect().catch(() => {});
    }
  };

  const cluster: PrivateKafkaCluster = {
    brokers,
    dataDir,
    leadsNothing,
    electPreferredLeaders: (only) => electPreferredLeaders(createContext(readSettings({ ...process.env, ...env }), () => {}, options), only),
    partitionsPreferring: async (node, topic) => {
      const admin = kafkaAdmin(brokers);
      try {
        await admin.connect();
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        return topics[0].partitions.filter((p) => p.replicas[0] === node).map((p) => p.partitionId);
      } finally {
        await admin.disconnect().catch(() => {});
      }
    },
    kill: (node) => killHard(path.join(dataDir, 'run', `kafka-${node}.pid`)),
    restart: async () => {
      await infra('up', env, options);
      const admin = kafkaAdmin(brokers);
      await admin.connect();
      try {
        await waitForPartitionLeaders(admin, Object.values(TOPICS), 120_000);
      } finally {
        await admin.disconnect();
      }
    },
    inSync,
    destroy: async () => {
      await infra('down', env, options).catch(() => {});
      for (let n = 1; n <= nodes; n++) await killHard(path.join(dataDir, 'run', `kafka-${n}.pid`)); // one that would not stop
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.restart();
    await inSync();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}

/** HAProxy (tools/infra's config: round robin, /readyz checks, `option forwardfor`) in front of `backends` (host:port). */
export async function startPrivateHaproxy(backends: string[]): Promise<PrivateHaproxy> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'usersys-private-haproxy-'));
  const port = await freePortRange(1);
  const env = { INFRA_DATA_DIR: dataDir, INFRA_SERVICES: 'haproxy', HAPROXY_PORT: String(port), HAPROXY_BACKENDS: backends.join(',') };
  const destroy = async () => {
    await infra('down', env).catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await infra('up', env);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, port, destroy };
}
