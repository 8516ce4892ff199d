import { DEFAULT_HAPROXY_BACKENDS } from '@usersys/infra';
import { CLUSTER_PORTS, clusterTopology, singleTopology, type ServiceInstance } from './topology';

const byName = (instances: ServiceInstance[]) => Object.fromEntries(instances.map((i) => [i.name, i]));

describe('singleTopology', () => {
  it('is the four apps under their own names, on the contract ports, with nothing of their own', () => {
    expect(singleTopology({})).toEqual([
      { name: 'user-consumer', app: 'user-consumer', port: 9465, env: {} },
      { name: 'wal-relay', app: 'wal-relay', port: 9464, env: {} },
      { name: 'user-command', app: 'user-command', port: 8081, env: {} },
      { name: 'auth-gateway', app: 'auth-gateway', port: 8080, env: {} },
    ]);
  });

  it('takes the ports the environment gives', () => {
    expect(singleTopology({ AUTH_GATEWAY_PORT: '18080', USER_COMMAND_PORT: '18081' }).map((i) => i.port)).toEqual([9465, 9464, 18081, 18080]);
  });
});

describe('clusterTopology', () => {
  const cluster = clusterTopology();
  const one = byName(cluster);

  it('runs 3 consumers, 2 relays, 2 command replicas and 2 gateways, started from the back of the write path', () => {
    expect(cluster.map((i) => i.name)).toEqual(['user-consumer-1', 'user-consumer-2', 'user-consumer-3', 'wal-relay-1', 'wal-relay-2', 'user-command-1', 'user-command-2', 'auth-gateway-1', 'auth-gateway-2']);
    expect(new Set(cluster.map((i) => i.port)).size).toBe(cluster.length);
  });

  it('puts the gateways on the ports HAProxy balances over', () => {
    expect(['auth-gateway-1', 'auth-gateway-2'].map((n) => `127.0.0.1:${one[n].port}`)).toEqual(DEFAULT_HAPROXY_BACKENDS);
  });

  it('gateways trust exactly the proxy and know every command replica', () => {
    for (const n of ['auth-gateway-1', 'auth-gateway-2']) {
      expect(one[n].env.TRUST_PROXY).toBe('loopback');
      expect(one[n].env.USER_COMMAND_URLS).toBe('http://127.0.0.1:8101,http://127.0.0.1:8102');
    }
  });

  it('each command replica knows the list and itself, and has its own WAL directory and WAL name', () => {
    expect(one['user-command-1'].env).toMatchObject({ USER_COMMAND_URLS: 'http://127.0.0.1:8101,http://127.0.0.1:8102', USER_COMMAND_SELF: 'http://127.0.0.1:8101', WAL_DIR: '.data/wal-cluster/replica-1', WAL_NAME: 'user-command-1' });
    expect(one['user-command-2'].env).toMatchObject({ USER_COMMAND_SELF: 'http://127.0.0.1:8102', WAL_DIR: '.data/wal-cluster/replica-2', WAL_NAME: 'user-command-2' });
  });

  it("each relay ships its command replica's WAL directory, and every gateway's audit WAL lies in one of them", () => {
    expect([one['wal-relay-1'].env.WAL_DIR, one['wal-relay-2'].env.WAL_DIR]).toEqual(['.data/wal-cluster/replica-1', '.data/wal-cluster/replica-2']);
    expect([one['auth-gateway-1'].env.WAL_DIR, one['auth-gateway-2'].env.WAL_DIR]).toEqual(['.data/wal-cluster/replica-1', '.data/wal-cluster/replica-2']);
    expect(new Set([one['auth-gateway-1'].env.AUDIT_WAL_NAME, one['auth-gateway-2'].env.AUDIT_WAL_NAME]).size).toBe(2);
  });

  it('consumers share the group of the shared environment: no CONSUMER_GROUP_ID of their own', () => {
    for (const n of ['user-consumer-1', 'user-consumer-2', 'user-consumer-3']) expect(one[n].env.CONSUMER_GROUP_ID).toBeUndefined();
  });

  it('tells replicas apart in traces by service.instance.id', () => {
    for (const i of cluster) expect(i.env.OTEL_RESOURCE_ATTRIBUTES).toBe(`service.instance.id=${i.name}`);
  });

  it('builds any size on given ports and WAL root (tests use free ports)', () => {
    const small = clusterTopology({ gatewayPorts: [1, 2, 3], commandPorts: [4], relayPorts: [5], consumerPorts: [6], walRoot: '/tmp/w', trustProxy: '10.0.0.1' });
    expect(small.map((i) => `${i.name}:${i.port}`)).toEqual(['user-consumer-1:6', 'wal-relay-1:5', 'user-command-1:4', 'auth-gateway-1:1', 'auth-gateway-2:2', 'auth-gateway-3:3']);
    expect(small.filter((i) => i.app === 'auth-gateway').map((i) => [i.env.WAL_DIR, i.env.TRUST_PROXY])).toEqual([['/tmp/w/replica-1', '10.0.0.1'], ['/tmp/w/replica-1', '10.0.0.1'], ['/tmp/w/replica-1', '10.0.0.1']]);
  });

  it('refuses shapes it cannot run: a relay count unlike the command count, a port used twice, no gateway', () => {
    expect(() => clusterTopology({ commandPorts: [1, 2], relayPorts: [3] })).toThrow(/one wal-relay per user-command replica/);
    expect(() => clusterTopology({ gatewayPorts: [CLUSTER_PORTS.commands[0], 2] })).toThrow(/its own port/);
    expect(() => clusterTopology({ gatewayPorts: [] })).toThrow(/at least one gateway/);
  });
});
