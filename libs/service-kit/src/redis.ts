import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * The one Redis client type every Redis user takes: a single Redis (REDIS_URL) or a Redis Cluster
 * (REDIS_CLUSTER_NODES). Both speak the same commands; a Cluster additionally refuses any command,
 * script, MULTI or pipeline whose keys live in different slots, so keys one atomic step touches share
 * a hash tag (`user:pending:{alice}`, `user:cache:{alice}`) and steps over several users' keys go
 * through sendEach.
 */
export type RedisClient = Redis | Cluster;

/** Where Redis is: the URL (always: it carries the ACL user and password) and, for a Cluster, its seed nodes. */
export interface RedisTarget {
  redisUrl: string;
  /** `host:port` seeds; empty or absent = the single Redis of redisUrl. */
  redisClusterNodes?: string[];
  /** Put before every key (ioredis keyPrefix, also inside scripts' KEYS); empty or absent = none. */
  redisKeyPrefix?: string;
}

export interface RedisClientOptions {
  commandTimeoutMs?: number;
}

/**
 * A Redis client that fails fast while Redis is down (no offline queue, short command timeout) so
 * callers can apply their own failure rule (503, fallback limiter, database fallback) instead of
 * stalling requests; it keeps reconnecting in the background. With cluster nodes it is an ioredis
 * Cluster with the same rule: it follows MOVED/ASK redirections and a replica's promotion after a
 * master fails, and answers errors (not waits) while the slots it needs have no master. A Cluster
 * auto-pipelines (commands issued together go to each master in one write), which is what sendEach
 * relies on.
 */
export function createRedisClient(target: string | RedisTarget, log: Logger, options: RedisClientOptions = {}): RedisClient {
  const { redisUrl, redisClusterNodes = [], redisKeyPrefix } = typeof target === 'string' ? { redisUrl: target } : target;
  const commandTimeout = options.commandTimeoutMs ?? 1000;
  const keyPrefix = redisKeyPrefix || undefined;
  const client: RedisClient =
    redisClusterNodes.length === 0
      ? new Redis(redisUrl, {
          lazyConnect: false,
          keyPrefix,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout,
          connectTimeout: 2000,
          retryStrategy: (times) => Math.min(times * 200, 2000),
        })
      : new Cluster(redisClusterNodes.map(hostPort), {
          keyPrefix,
          enableOfflineQueue: false,
          enableAutoPipelining: true,
          clusterRetryStrategy: (times) => Math.min(times * 200, 2000),
          // A failover takes the cluster a few seconds (cluster-node-timeout + election): retry a
          // redirected or CLUSTERDOWN command briefly, then fail it so the caller's rule applies.
          retryDelayOnFailover: 200,
          retryDelayOnClusterDown: 200,
          maxRedirections: 5,
          slotsRefreshTimeout: 2000,
          redisOptions: { ...credentials(redisUrl), maxRetriesPerRequest: 1, commandTimeout, connectTimeout: 2000 },
        });
  let down = false;
  client.on('error', (err: Error) => {
    if (!down) log.warn({ err: err.message }, 'redis unavailable');
    down = true;
  });
  client.on('ready', () => {
    if (down) log.info('redis reachable again');
    down = false;
  });
  return client;
}

function hostPort(entry: string): { host: string; port: number } {
  const at = entry.lastIndexOf(':');
  return { host: entry.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(entry.slice(at + 1)) };
}

function credentials(redisUrl: string): { username?: string; password?: string; tls?: object } {
  const url = new URL(redisUrl);
  return {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:' ? {} : undefined,
  };
}

/** Waits for the first connection (or its failure) without failing start-up: Redis may come later. */
export function redisReady(client: RedisClient, timeoutMs = 5000): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** One command: its name (a Redis command or one registered with defineCommand) and its arguments. */
export type RedisCall = [command: string, ...args: Array<string | number>];

type Callable = Record<string, (...args: Array<string | number>) => unknown>;

/**
 * Sends commands that are each single-slot but may touch different slots (several users' keys),
 * and gives each one's outcome in order, as `[error, reply]` like a pipeline's exec (never throws:
 * Redis unreachable = every entry has the error). One Redis: one pipeline, one round trip. A Cluster
 * refuses a pipeline spanning masters, so there each command is sent on its own and
 * auto-pipelining batches them per master. Either way nothing is atomic across commands: callers
 * use this only for steps that are independent of one another (and say why).
 */
export async function sendEach(client: RedisClient, calls: RedisCall[]): Promise<Array<[Error | null, unknown]>> {
  if (calls.length === 0) return [];
  if (client.isCluster) {
    const target = client as unknown as Callable;
    const settled = await Promise.allSettled(calls.map(([command, ...args]) => Promise.resolve().then(() => target[command](...args))));
    return settled.map((s) => (s.status === 'fulfilled' ? [null, s.value] : [toError(s.reason), undefined]));
  }
  const pipeline = client.pipeline() as unknown as Callable & { exec(): Promise<Array<[Error | null, unknown]> | null> };
  for (const [command, ...args] of calls) pipeline[command](...args);
  let replies: Array<[Error | null, unknown]> | null;
  try {
    replies = await pipeline.exec();
  } catch (err) {
    return calls.map(() => [toError(err), undefined]);
  }
  return calls.map((_, i) => replies?.[i] ?? [new Error('no reply from redis'), undefined]);
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
