import { Cluster } from 'ioredis';
import { startPrivateRedisCluster, type PrivateRedisCluster } from './redis-cluster';

describe('startPrivateRedisCluster', () => {
  let cluster: PrivateRedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    const url = new URL(cluster.url);
    client = new Cluster(cluster.nodes.map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })), { redisOptions: { username: url.username, password: decodeURIComponent(url.password) } });
  }, 120_000);

  afterAll(async () => {
    client?.disconnect();
    await cluster?.destroy();
  });

  it('runs 3 masters and 3 replicas that only the ACL user may use', async () => {
    expect(cluster.nodes).toHaveLength(6);
    const nodes = (await client.call('CLUSTER', 'NODES')) as string;
    expect(nodes.split('\n').filter((l) => / (myself,)?master /.test(l))).toHaveLength(3);
    expect(nodes.split('\n').filter((l) => / (myself,)?slave /.test(l))).toHaveLength(3);
    const anonymous = new Cluster([{ host: '127.0.0.1', port: Number(cluster.nodes[0].split(':')[1]) }], { clusterRetryStrategy: () => null, redisOptions: { maxRetriesPerRequest: 0 } });
    anonymous.on('error', () => {});
    await expect(anonymous.get('x')).rejects.toThrow();
    anonymous.disconnect();
  });

  it('a killed master is replaced by its replica, keeps its data and rejoins after restart', async () => {
    await client.set('probe:{a}', 'kept');
    await client.wait(1, 2000); // replicated before the kill: asynchronous replication otherwise may lose it
    const master = await cluster.masterOf('probe:{a}');
    await cluster.kill(master);
    await cluster.healthy();
    const promoted = await cluster.masterOf('probe:{a}');
    expect(promoted).not.toBe(master);
    await expect(client.get('probe:{a}')).resolves.toBe('kept');
    await cluster.restart(master);
    await cluster.healthy();
    expect(await cluster.masterOf('probe:{a}')).toBe(promoted);
  }, 90_000);
});
