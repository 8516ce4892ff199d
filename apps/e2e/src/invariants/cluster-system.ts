import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { applyMigrations } from '@usersys/db';
import { clusterTopology, startServices, Supervisor, type RunningServices } from '@usersys/service-runner';
import {
  freePort,
  startPrivateHaproxy,
  startPrivateKafkaCluster,
  startPrivatePostgres,
  startPrivateRedisCluster,
  type PrivateHaproxy,
  type PrivateKafkaCluster,
  type PrivateRedisCluster,
  type PrivateService,
} from '@usersys/test-infra';
import { poll, systemEnv } from '../harness';
import { invariantEnv } from './private-system';

/**
 * The replicated topology of issue 14 on private infrastructure (free ports, temp data dirs), so
 * the cluster suite can kill a broker, a Redis master and service replicas without touching the
 * shared infrastructure: 3 Kafka brokers (replication 3, min ISR 2), a Redis Cluster of 3 masters
 * + 3 replicas, PostgreSQL (migrated), HAProxy in front of 2 gateways, 2 user-command replicas
 * each with its own WAL and wal-relay, 3 user-consumers in one group.
 */
export interface ClusterSystem {
  services: RunningServices;
  /** HAProxy's URL: what clients use. */
  gateway: string;
  /** Instance names by app, in topology order (`auth-gateway-1`, …). */
  gateways: string[];
  commands: string[];
  relays: string[];
  consumers: string[];
  kafka: PrivateKafkaCluster;
  redis: PrivateRedisCluster;
  postgres: PrivateService;
  haproxy: PrivateHaproxy;
  /** KAFKA_BROKERS: host:port, comma-separated. */
  brokers: string;
  databaseUrl: string;
  consumerGroup: string;
  stop(): Promise<void>;
}

const SIZE = { gateways: 2, commands: 2, consumers: 3 };

export async function startClusterSystem(): Promise<ClusterSystem> {
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  };
  try {
    const started = <T extends { destroy(): Promise<void> }>(p: Promise<T>) =>
      p.then((s) => {
        cleanups.push(() => s.destroy());
        return s;
      });
    const [kafka, redis, postgres] = await Promise.all([started(startPrivateKafkaCluster()), started(startPrivateRedisCluster()), started(startPrivatePostgres())]);
    await applyMigrations(postgres.url);

    const ports = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(await freePort());
      return out;
    };
    const gatewayPorts = await ports(SIZE.gateways);
    const commandPorts = await ports(SIZE.commands);
    const walRoot = await mkdtemp(path.join(os.tmpdir(), 'usersys-cluster-wal-'));
    cleanups.push(() => rm(walRoot, { recursive: true, force: true }));
    const instances = clusterTopology({ gatewayPorts, commandPorts, relayPorts: await ports(SIZE.commands), consumerPorts: await ports(SIZE.consumers), walRoot });
    const brokers = kafka.brokers.join(',');
    const consumerGroup = `user-consumer-cluster-${Date.now()}`;
    const env = await systemEnv({
      ...invariantEnv({ redisUrl: redis.url, databaseUrl: postgres.url, kafkaBrokers: brokers, consumerGroup }),
      REDIS_CLUSTER_NODES: redis.nodes.join(','),
    });
    // The per-instance ports, WAL dirs and command URLs come from the topology, not the single-mode variables.
    for (const k of ['AUTH_GATEWAY_PORT', 'USER_COMMAND_PORT', 'USER_COMMAND_URL', 'WAL_RELAY_PORT', 'USER_CONSUMER_PORT']) delete env[k];
    const services = await startServices({ instances, env, logDir: path.join(__dirname, '../../../../.data/logs/e2e-cluster'), healthTimeoutMs: 120_000 });
    cleanups.push(() => services.stop());
    // As in `npm start -- --cluster`: whatever the suite kills, the supervisor starts again.
    const supervisor = new Supervisor(services, { log: (line) => process.stdout.write(`[cluster] ${line}\n`) });
    supervisor.start();
    cleanups.push(async () => supervisor.stop());
    const haproxy = await started(startPrivateHaproxy(gatewayPorts.map((p) => `127.0.0.1:${p}`)));

    const named = (app: string) => instances.filter((i) => i.app === app).map((i) => i.name);
    const system: ClusterSystem = {
      services,
      gateway: haproxy.url,
      gateways: named('auth-gateway'),
      commands: named('user-command'),
      relays: named('wal-relay'),
      consumers: named('user-consumer'),
      kafka,
      redis,
      postgres,
      haproxy,
      brokers,
      databaseUrl: postgres.url,
      consumerGroup,
      stop: cleanUp,
    };
    // Ready when every instance says so (a consumer is not while its group forms) and HAProxy passes requests to the gateways.
    await poll('every instance ready', async () => ((await notReady(system)).length === 0 ? true : undefined), 90_000);
    await poll('HAProxy routing to every gateway', async () => ((await gatewaysBehindProxy(system)) === SIZE.gateways ? true : undefined), 60_000);
    return system;
  } catch (err) {
    await cleanUp();
    throw err;
  }
}

/** The instances whose /readyz does not answer 200 right now. */
export async function notReady(s: ClusterSystem): Promise<string[]> {
  const answers = await Promise.all(
    s.services.instances.map(async (i) => {
      const res = await fetch(`${s.services.urlOf(i.name)}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
      return res?.status === 200 ? null : i.name;
    }),
  );
  return answers.filter((n): n is string => n !== null);
}

/**
 * How many gateways HAProxy counts as up, from its own view: each gateway answers /readyz directly,
 * and a burst through the proxy gets 200s only (round robin over the live ones).
 */
async function gatewaysBehindProxy(s: ClusterSystem): Promise<number> {
  let ready = 0;
  for (const g of s.gateways) if ((await fetch(`${s.services.urlOf(g)}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) ready++;
  for (let i = 0; i < 2 * s.gateways.length; i++) if (!(await fetch(`${s.gateway}/readyz`, { signal: AbortSignal.timeout(2000) })).ok) return 0;
  return ready;
}

/** SIGKILLs one instance; resolves once it exited (the supervisor then starts it again). Returns the killed pid. */
export async function killInstance(s: ClusterSystem, name: string): Promise<number | undefined> {
  const pid = s.services.processes.get(name)?.pid;
  await s.services.kill(name, 'SIGKILL');
  return pid;
}

/** Resolves once the supervisor has started `name` again (a process other than `killedPid`) and it answers /healthz. */
export async function restartedBySupervisor(s: ClusterSystem, name: string, killedPid: number | undefined): Promise<void> {
  await poll(
    `${name} restarted by the supervisor`,
    async () => {
      const child = s.services.processes.get(name);
      if (!child || child.pid === killedPid || child.exitCode !== null || child.signalCode !== null) return undefined;
      return (await fetch(`${s.services.urlOf(name)}/healthz`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined;
    },
    90_000,
  );
}
