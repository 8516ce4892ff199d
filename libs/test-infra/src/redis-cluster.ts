import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DEV_REDIS_PASSWORD, DEV_REDIS_USER } from '@usersys/config';
import { freePort } from './private-infra';

const run = promisify(execFile);

/**
 * A private Redis Cluster of 3 masters and 3 replicas (Debian's redis-server 7 in cluster mode,
 * joined with `redis-cli --cluster create`), on free ports in its own temp directory, with the
 * shared Redis's ACL rule (user `usersys` with the development password, `default` off). For tests
 * that run the Redis users against a cluster and kill a master under load.
 */
export interface PrivateRedisCluster {
  /** Carries the ACL user and password (what REDIS_URL gives the services); its host is the first node. */
  readonly url: string;
  /** `127.0.0.1:<port>` of every node (what REDIS_CLUSTER_NODES lists). */
  readonly nodes: string[];
  readonly dataDir: string;
  /** The node serving `key`'s slot as master right now. */
  masterOf(key: string): Promise<string>;
  /** SIGKILLs a node (no chance to clean up). */
  kill(node: string): Promise<void>;
  /** Starts a killed node again (same data and port); it rejoins, as a replica if it was replaced. */
  restart(node: string): Promise<void>;
  /** Resolves once every slot is served by a live master and the cluster says ok (after a kill: the replica took over). */
  healthy(timeoutMs?: number): Promise<void>;
  /** Kills every node and deletes the data. */
  destroy(): Promise<void>;
}

const NODE_TIMEOUT_MS = 2000;

interface ClusterNode {
  address: string;
  port: number;
  dir: string;
  down: boolean;
}

async function cli(port: number, args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), '--user', DEV_REDIS_USER, '--pass', DEV_REDIS_PASSWORD, '--no-auth-warning', ...args], { timeout: 60_000 });
  return stdout;
}

async function pidOf(node: ClusterNode): Promise<number | null> {
  try {
    const pid = Number((await readFile(path.join(node.dir, 'redis.pid'), 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not within ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** `CLUSTER NODES` as seen by one node: address, flags and owned slot ranges of each. */
function parseNodes(text: string): Array<{ address: string; flags: string[]; slots: Array<[number, number]> }> {
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      const slots = parts
        .slice(8)
        .filter((s) => /^\d+(-\d+)?$/.test(s))
        .map((s) => {
          const [a, b] = s.split('-').map(Number);
          return [a, b ?? a] as [number, number];
        });
      return { address: parts[1].split('@')[0], flags: parts[2].split(','), slots };
    });
}

export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'usersys-private-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const passwordSha = createHash('sha256').update(DEV_REDIS_PASSWORD).digest('hex');

  const startNode = async (node: ClusterNode) => {
    await run('redis-server', [path.join(node.dir, 'redis.conf')]);
    await until(`node ${node.address} answering`, 20_000, async () => ((await cli(node.port, ['ping'])).trim() === 'PONG' ? true : undefined));
    node.down = false;
  };

  const liveNode = () => {
    const node = nodes.find((n) => !n.down);
    if (!node) throw new Error('redis cluster: no live node');
    return node;
  };

  const cluster: PrivateRedisCluster = {
    url: '',
    nodes: [],
    dataDir,
    async masterOf(key) {
      const slot = Number((await cli(liveNode().port, ['cluster', 'keyslot', key])).trim());
      const owner = parseNodes(await cli(liveNode().port, ['cluster', 'nodes'])).find((n) => n.flags.includes('master') && !n.flags.includes('fail') && n.slots.some(([a, b]) => slot >= a && slot <= b));
      if (!owner) throw new Error(`redis cluster: no master serves slot ${slot}`);
      return owner.address;
    },
    async kill(address) {
      const node = nodes.find((n) => n.address === address);
      if (!node) throw new Error(`redis cluster: no node ${address}`);
      const pid = await pidOf(node);
      node.down = true;
      if (pid === null) return;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await until(`node ${address} gone`, 5000, async () => (alive(pid) ? undefined : true));
    },
    async restart(address) {
      const node = nodes.find((n) => n.address === address);
      if (!node) throw new Error(`redis cluster: no node ${address}`);
      await startNode(node);
    },
    async healthy(timeoutMs = 30_000) {
      await until('every slot served by a live master', timeoutMs, async () => {
        for (const node of nodes.filter((n) => !n.down)) {
          if (!(await cli(node.port, ['cluster', 'info'])).includes('cluster_state:ok')) return undefined;
          const view = parseNodes(await cli(node.port, ['cluster', 'nodes']));
          const down = new Set(nodes.filter((n) => n.down).map((n) => n.address));
          const served = view.filter((n) => n.flags.includes('master') && !n.flags.some((f) => f.startsWith('fail')) && !down.has(n.address)).flatMap((n) => n.slots);
          if (served.reduce((sum, [a, b]) => sum + b - a + 1, 0) !== 16384) return undefined;
        }
        return true;
      });
    },
    async destroy() {
      for (const node of nodes) {
        const pid = await pidOf(node);
        if (pid !== null && alive(pid)) {
          process.kill(pid, 'SIGCONT');
          process.kill(pid, 'SIGKILL');
        }
        node.down = true;
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };

  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      const busPort = await freePort();
      const dir = path.join(dataDir, `node-${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, 'redis.conf'),
        [
          '# generated by @usersys/test-infra (startPrivateRedisCluster)',
          `port ${port}`,
          `cluster-port ${busPort}`,
          'bind 127.0.0.1',
          'protected-mode yes',
          'cluster-enabled yes',
          'cluster-config-file nodes.conf',
          `cluster-node-timeout ${NODE_TIMEOUT_MS}`,
          // Like the shared Redis: only the ACL user gets in; replicas authenticate to their master as it.
          'user default off',
          `user ${DEV_REDIS_USER} on #${passwordSha} ~* &* +@all`,
          `masteruser ${DEV_REDIS_USER}`,
          `masterauth ${DEV_REDIS_PASSWORD}`,
          `dir ${dir}`,
          'appendonly yes',
          'appendfsync everysec',
          'daemonize yes',
          `pidfile ${path.join(dir, 'redis.pid')}`,
          `logfile ${path.join(dir, 'redis.log')}`,
          '',
        ].join('\n'),
      );
      const node: ClusterNode = { address: `127.0.0.1:${port}`, port, dir, down: true };
      nodes.push(node);
      await startNode(node);
    }
    await cli(nodes[0].port, ['--cluster', 'create', ...nodes.map((n) => n.address), '--cluster-replicas', '1', '--cluster-yes']);
    await cluster.healthy(60_000);
    // Every node must know the whole layout (replicas included) before a test kills a master.
    await until('every node seeing 6 nodes', 30_000, async () => {
      for (const node of nodes) if (parseNodes(await cli(node.port, ['cluster', 'nodes'])).filter((n) => !n.flags.includes('fail')).length !== 6) return undefined;
      // ...and every replica replicating, or a killed master would have nobody to take over.
      for (const node of nodes) {
        const info = await cli(node.port, ['info', 'replication']);
        if (info.includes('role:slave') && !info.includes('master_link_status:up')) return undefined;
      }
      return true;
    });
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return {
    ...cluster,
    url: `redis://${DEV_REDIS_USER}:${DEV_REDIS_PASSWORD}@${nodes[0].address}`,
    nodes: nodes.map((n) => n.address),
  };
}
