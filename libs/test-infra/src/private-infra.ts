import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DEV_REDIS_PASSWORD, DEV_REDIS_USER } from '@usersys/config';
import { TOPICS } from '@usersys/event-schema';
import { alive, childrenOf, createContext, down, readPid, readSettings, up, type ServiceName, type UpOptions } from '@usersys/infra';
import '@usersys/service-kit'; // for its kafkajs fix: no idle 1 ms timer loop (and TimeoutNegativeWarning) in test processes either
import { Kafka, logLevel } from 'kafkajs';
import { waitForPartitionLeaders } from './kafka-offsets';

/**
 * A private Redis, PostgreSQL or Kafka started by the infrastructure program (tools/infra) in its own temp data directory
 * on free ports. Tests that stop, kill or restart a dependency use one of these, so they never
 * disturb the shared infrastructure other test files run against in parallel.
 */
export interface PrivateService {
  readonly name: 'redis' | 'postgres' | 'kafka';
  /** redis://usersys:<dev password>@127.0.0.1:<port> | postgresql://usersys:usersys@127.0.0.1:<port>/usersys | 127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Starts it again after stop() or kill() (same data, same port). */
  start(): Promise<void>;
  /** Graceful stop (SIGTERM / pg_ctl fast / redis SHUTDOWN). */
  stop(): Promise<void>;
  /** SIGKILL, no chance to clean up. */
  kill(): Promise<void>;
  /** SIGSTOP to the server process and its children: the port still accepts connections, nothing answers (a GC pause, a VM stall). */
  freeze(): Promise<void>;
  /** SIGCONT after freeze(). */
  thaw(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `up` or `down` of one service of the infrastructure program with these env overrides (its
 * progress lines are not printed); `options` as for `up` (e.g. three Kafka brokers).
 */
export async function infra(cmd: 'up' | 'down', env: Record<string, string>, options: UpOptions = {}): Promise<void> {
  const ctx = createContext(readSettings({ ...process.env, ...env }), () => {}, options);
  try {
    await (cmd === 'up' ? up(ctx, options) : down(ctx));
  } catch (err) {
    throw new Error(`tools/infra ${cmd} (${env.INFRA_SERVICES}) failed: ${(err as Error).message}`);
  }
}

function signalSafely(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGKILL to the process in `pidFile` and its children (a SIGKILLed postmaster leaves backends that still hold the port and shared memory). */
export async function killHard(pidFile: string): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null) return;
  const children = childrenOf(pid);
  signalSafely(pid, 'SIGKILL');
  for (const child of children) signalSafely(child, 'SIGKILL');
  for (let i = 0; i < 100 && [pid, ...children].some(alive); i++) await new Promise((r) => setTimeout(r, 50));
}

/** Sends `signal` to the process in `pidFile` and to its children (PostgreSQL's backends). */
async function signalTree(pidFile: string, signal: 'SIGSTOP' | 'SIGCONT'): Promise<void> {
  const pid = readPid(pidFile);
  if (pid === null) throw new Error(`no process in ${pidFile}`);
  process.kill(pid, signal);
  for (const child of childrenOf(pid)) signalSafely(child, signal);
}

async function startPrivate(
  name: PrivateService['name'] & ServiceName,
  ports: Record<string, number>,
  pidFile: (dir: string) => string,
  url: (port: number) => string,
  ready: (url: string) => Promise<void> = async () => {},
  settings: Record<string, string> = {},
): Promise<PrivateService> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `usersys-private-${name}-`));
  const port = Object.values(ports)[0];
  const env: Record<string, string> = { INFRA_DATA_DIR: dataDir, INFRA_SERVICES: name, ...settings };
  for (const [k, v] of Object.entries(ports)) env[k] = String(v);
  const service: PrivateService = {
    name,
    url: url(port),
    port,
    dataDir,
    start: async () => {
      await infra('up', env);
      await ready(url(port));
    },
    stop: () => infra('down', env),
    kill: () => killHard(pidFile(dataDir)),
    freeze: () => signalTree(pidFile(dataDir), 'SIGSTOP'),
    thaw: () => signalTree(pidFile(dataDir), 'SIGCONT'),
    destroy: async () => {
      await signalTree(pidFile(dataDir), 'SIGCONT').catch(() => {}); // a frozen server cannot stop
      await infra('down', env).catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await service.start();
  } catch (err) {
    await service.destroy();
    throw err;
  }
  return service;
}

/** A private redis-server (AOF on, the ACL user on and `default` off, like the shared one). */
export async function startPrivateRedis(): Promise<PrivateService> {
  return startPrivate(
    'redis',
    { REDIS_PORT: await freePort() },
    (d) => path.join(d, 'run/redis.pid'),
    (p) => `redis://${DEV_REDIS_USER}:${DEV_REDIS_PASSWORD}@127.0.0.1:${p}`,
    undefined,
    { REDIS_USER: DEV_REDIS_USER, REDIS_PASSWORD: DEV_REDIS_PASSWORD },
  );
}

/** A private PostgreSQL cluster with the usersys role and the usersys + usersys_test databases (not migrated). */
export async function startPrivatePostgres(): Promise<PrivateService> {
  return startPrivate('postgres', { PG_PORT: await freePort() }, (d) => path.join(d, 'postgres/postmaster.pid'), (p) => `postgresql://usersys:usersys@127.0.0.1:${p}/usersys`);
}

/**
 * A private single-node KRaft broker with the contract's topics (takes ~10–30 s to come up).
 * start() (also after kill/stop) resolves only once every partition of those topics has a leader.
 */
export async function startPrivateKafka(): Promise<PrivateService> {
  return startPrivate(
    'kafka',
    { KAFKA_PORT: await freePort(), KAFKA_CONTROLLER_PORT: await freePort() },
    (d) => path.join(d, 'run/kafka.pid'),
    (p) => `127.0.0.1:${p}`,
    async (brokers) => {
      const admin = new Kafka({ clientId: 'test-infra', brokers: [brokers], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await waitForPartitionLeaders(admin, Object.values(TOPICS), 120_000);
      } finally {
        await admin.disconnect();
      }
    },
  );
}
