import { TOPICS } from '@usersys/event-schema';
import { killInstance, restartedBySupervisor, type ClusterSystem } from './cluster-system';
import type { Fault } from './faults';

/** SIGKILL of one replica; the supervisor starts it again; heal waits until the new process answers /healthz. */
const replicaKill = (pick: (s: ClusterSystem) => string, name: string, holdMs: number): Fault<ClusterSystem> => {
  let killedPid: number | undefined;
  return {
    name,
    holdMs,
    inject: async (s) => void (killedPid = await killInstance(s, pick(s))),
    heal: (s) => restartedBySupervisor(s, pick(s), killedPid),
  };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The Redis node killed by the master fault, so heal restarts that one. */
let killedRedisMaster: string | null = null;

/**
 * Issue 14's faults of a cluster, one at a time under load, in its order. Each kills one member;
 * the others must carry the load and the killed one must come back without losing or repeating
 * anything. INVARIANT_FAULTS=<names> runs a subset (names as below, lower-case prefixes).
 */
export const CLUSTER_FAULTS: Fault<ClusterSystem>[] = [
  // Partitions it led elect new leaders among the other two (min ISR 2 still holds: acks=all writes go on).
  {
    name: 'kafka broker SIGKILL',
    holdMs: 5000,
    inject: (s) => s.kafka.kill(2),
    heal: (s) => s.kafka.restart(),
  },
  // Leadership moves under producers: broker 3 is killed, its partitions move to the others, it
  // comes back, and preferred leader elections (what Kafka's auto.leader.rebalance does within 5
  // minutes) hand them back. First one partition of the events topic, so that the relays' producers
  // learn broker 3 as a leader; then, with the relays frozen so a backlog builds, all the rest. The
  // thawed relays send batches spanning several partitions with their old metadata: NOT_LEADER for
  // a partition whose new leader, broker 3, answered the same call already, the case kafkajs
  // resolves without sending (service-kit's partition-ledger.ts). Without that guard, records are lost.
  {
    name: 'kafka leaders moved back (preferred election)',
    holdMs: 3000,
    inject: async (s) => {
      await s.kafka.kill(3);
      await s.kafka.leadsNothing(3);
      await s.kafka.restart();
      await s.kafka.inSync();
      const [first] = await s.kafka.partitionsPreferring(3, TOPICS.events);
      if (first !== undefined) await s.kafka.electPreferredLeaders({ topic: TOPICS.events, partition: first });
      await sleep(5000);
      const relays = s.relays.map((r) => s.services.processes.get(r)?.pid).filter((pid): pid is number => pid !== undefined);
      for (const pid of relays) process.kill(pid, 'SIGSTOP');
      try {
        await s.kafka.electPreferredLeaders();
        await sleep(3000);
      } finally {
        for (const pid of relays) process.kill(pid, 'SIGCONT');
      }
    },
    heal: (s) => s.kafka.inSync(),
  },
  // Its replica takes over its slots; heal waits for that, then restarts the node (it rejoins as a replica).
  {
    name: 'redis master SIGKILL',
    holdMs: 3000,
    inject: async (s) => {
      killedRedisMaster = await s.redis.masterOf('user:pending:{cluster-fault}');
      await s.redis.kill(killedRedisMaster);
    },
    heal: async (s) => {
      await s.redis.healthy(60_000);
      if (killedRedisMaster) await s.redis.restart(killedRedisMaster);
      await s.redis.healthy(60_000);
    },
  },
  // Its WAL keeps what it accepted; its relay ships it once the replica is back (and meanwhile).
  replicaKill((s) => s.commands[0], 'user-command replica SIGKILL', 2000),
  // The group rebalances its partitions over the other two, then over three again.
  replicaKill((s) => s.consumers[1], 'user-consumer replica SIGKILL', 2000),
  // HAProxy's checks take it out; requests go to the other gateway until it is back.
  replicaKill((s) => s.gateways[0], 'auth-gateway replica SIGKILL', 3000),
];
