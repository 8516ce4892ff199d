// The cluster-mode components (`up --cluster`): three Kafka brokers (replication 3, min ISR 2), a
// Redis Cluster of 3 masters + 3 replicas and HAProxy in front of two gateways (here two small
// HTTP servers standing in for them), on ALTERNATE ports in a private data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS } from '@usersys/event-schema';
import { Cluster } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import type { Context } from './component';
import { KAFKA_MODES, REDIS_CLUSTER } from './defaults';
import { createContext, down, statusLines, up } from './infra';
import { freePortBase, range } from './ports.spec-helper';
import { redisCli } from './redis';
import { readPid } from './proc';
import { clusterInfo, redisClusterProcesses } from './redis-cluster';
import { readSettings } from './settings';

/** A stand-in gateway: /readyz 200 while `ready`, every other path echoes who answered and X-Forwarded-For. */
function fakeGateway(name: string) {
  const state = { ready: true };
  const server = http.createServer((req, res) => {
    if (req.url === '/readyz') return void res.writeHead(state.ready ? 200 : 503).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, forwardedFor: req.headers['x-forwarded-for'] ?? null }));
  });
  return { server, state };
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

/** Polls `fn` until it returns a value that is not undefined (or gives up after `seconds`). */
async function eventually<T>(seconds: number, fn: () => Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined || Date.now() > deadline) return v;
    await sleep(250);
  }
}

async function throughProxy(port: number, headers: Record<string, string> = {}): Promise<{ name: string; forwardedFor: string | null } | undefined> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/anything`, { headers, signal: AbortSignal.timeout(2000) });
  return res.status === 200 ? ((await res.json()) as { name: string; forwardedFor: string | null }) : undefined;
}

describe('tools/infra --cluster: three brokers, a Redis Cluster and HAProxy on alternate ports', () => {
  jest.setTimeout(400_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-infra-cluster-'));
  const gateways = [fakeGateway('gateway-a'), fakeGateway('gateway-b')];
  let ctx: Context;
  let env: Record<string, string>;

  beforeAll(async () => {
    const kafkaBase = await freePortBase(range(6));
    const redisBase = await freePortBase([...range(6), ...range(6, 10000)]);
    const haproxyPort = await freePortBase([0]);
    const backends = await Promise.all(gateways.map(async (g) => `127.0.0.1:${await listen(g.server)}`));
    env = {
      INFRA_DATA_DIR: dataDir,
      INFRA_SERVICES: 'kafka redis-cluster haproxy',
      KAFKA_PORT: String(kafkaBase),
      KAFKA_CONTROLLER_PORT: String(kafkaBase + 1),
      KAFKA_HEAP: '-Xms128m -Xmx384m',
      REDIS_CLUSTER_PORT: String(redisBase),
      HAPROXY_PORT: String(haproxyPort),
      HAPROXY_BACKENDS: backends.join(','),
    };
    ctx = createContext(readSettings({ ...process.env, ...env }), () => {}, { cluster: true });
    await up(ctx, { cluster: true });
  });

  afterAll(async () => {
    if (ctx) await down(ctx);
    for (const g of gateways) g.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('status shows three brokers, six Redis nodes and HAProxy up', async () => {
    const lines = await statusLines(ctx);
    expect(lines.map((l) => [l.name, l.state])).toEqual([
      ['kafka-1', 'up'],
      ['kafka-2', 'up'],
      ['kafka-3', 'up'],
      ...range(6, 1).map((n) => [`redis-c${n}`, 'up']),
      ['haproxy', 'up'],
    ]);
  });

  it('Kafka: every contract topic partition has three replicas, all in sync, and min ISR 2', async () => {
    const brokers = range(3).map((i) => `127.0.0.1:${ctx.settings.kafka.port + 2 * i}`);
    const admin = new Kafka({ clientId: 'infra-cluster-spec', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers).toHaveLength(KAFKA_MODES.cluster.nodes);
      const { topics } = await admin.fetchTopicMetadata({ topics: Object.values(TOPICS) });
      for (const t of topics) for (const p of t.partitions) expect([p.replicas.length, p.isr.length]).toEqual([3, 3]);
      const configs = await admin.describeConfigs({ resources: [{ type: 2 /* TOPIC */, name: TOPICS.events, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
      expect(configs.resources[0].configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
    } finally {
      await admin.disconnect();
    }
  });

  it('Redis Cluster: 3 masters + 3 replicas, slots covered, keys of every slot range readable through the Cluster client', async () => {
    const { user, password } = ctx.settings.redis;
    const nodes = (await redisCli(ctx.settings.redisCluster.port, user, password, ['cluster', 'nodes'])).trim().split('\n');
    const flags = nodes.map((n) => n.split(' ')[2].split(','));
    expect(flags.filter((f) => f.includes('master'))).toHaveLength(REDIS_CLUSTER.masters);
    expect(flags.filter((f) => f.includes('slave'))).toHaveLength(REDIS_CLUSTER.masters * REDIS_CLUSTER.replicasPerMaster);
    expect(await clusterInfo(ctx, 1)).toMatchObject({ cluster_state: 'ok', cluster_slots_ok: '16384' });
    const cluster = new Cluster([{ host: '127.0.0.1', port: ctx.settings.redisCluster.port }], { redisOptions: { username: user, password } });
    try {
      const keys = range(30).map((i) => `infra-spec:${i}`); // spread over all three masters' slots
      for (const k of keys) await cluster.set(k, k);
      for (const k of keys) expect(await cluster.get(k)).toBe(k);
      expect(new Set(await Promise.all(keys.map((k) => cluster.cluster('KEYSLOT', k)))).size).toBeGreaterThan(1);
    } finally {
      cluster.disconnect();
    }
  });

  it('Redis Cluster: every replica replicates from its master (authenticated as the ACL user)', async () => {
    const { user, password } = ctx.settings.redis;
    const replicas = [];
    for (const p of redisClusterProcesses(ctx)) {
      const info = await redisCli(p.port, user, password, ['info', 'replication']);
      if (/^role:slave/m.test(info)) replicas.push(/^master_link_status:(\w+)/m.exec(info)?.[1]);
    }
    expect(replicas).toEqual(['up', 'up', 'up']);
  });

  it('Redis Cluster: a SIGKILLed master is replaced by its replica and its keys stay readable; up restarts the node', async () => {
    const { user, password } = ctx.settings.redis;
    const cluster = new Cluster([{ host: '127.0.0.1', port: ctx.settings.redisCluster.port + 1 }], { redisOptions: { username: user, password } });
    try {
      const keys = range(30).map((i) => `infra-failover:${i}`);
      for (const k of keys) await cluster.set(k, k);
      const victim = redisClusterProcesses(ctx)[0];
      const replication = (port: number) => redisCli(port, user, password, ['info', 'replication']);
      const roleOf = async (port: number) => /^role:(\w+)/m.exec(await replication(port))?.[1];
      expect(await roleOf(victim.port)).toBe('master');
      // Replication is asynchronous: kill only once the replica has everything (a write acknowledged
      // just before a master dies may be lost, which the apps must survive, but this checks failover).
      const caughtUp = await eventually(30, async () => {
        const info = await replication(victim.port);
        const offset = /^master_repl_offset:(\d+)/m.exec(info)?.[1];
        return /^slave0:.*offset=(\d+)/m.exec(info)?.[1] === offset ? true : undefined;
      });
      expect(caughtUp).toBe(true);
      process.kill(victim.pid!, 'SIGKILL');
      const healed = await eventually(60, async () => ((await clusterInfo(ctx, 2))?.cluster_state === 'ok' ? true : undefined));
      expect(healed).toBe(true);
      const values = await eventually(30, async () => {
        const vs = [];
        for (const k of keys) vs.push(await cluster.get(k));
        return vs;
      });
      expect(values).toEqual(keys);
      await up(ctx, { cluster: true });
      expect(redisClusterProcesses(ctx).every((p) => p.pid !== null)).toBe(true);
      // the old master comes back as a replica of the node that took over
      expect(await eventually(30, async () => ((await roleOf(victim.port)) === 'slave' ? 'slave' : undefined))).toBe('slave');
    } finally {
      cluster.disconnect();
    }
  });

  it('Kafka: with one broker SIGKILLed, acks=all writes still succeed (min ISR 2); up restarts it', async () => {
    const brokers = range(3).map((i) => `127.0.0.1:${ctx.settings.kafka.port + 2 * i}`);
    const victim = readPid(path.join(ctx.settings.runDir, 'kafka-3.pid'));
    expect(victim).not.toBeNull();
    process.kill(victim!, 'SIGKILL');
    // Until the controller notices the dead broker (its session timeout, ~9 s) it still leads some
    // partitions: keep retrying for longer than kafkajs' default ~9 s, as the relay does.
    const producer = new Kafka({ clientId: 'infra-cluster-spec', brokers: brokers.slice(0, 2), logLevel: logLevel.NOTHING, retry: { retries: 15, maxRetryTime: 3000 } }).producer();
    await producer.connect();
    try {
      const sent = await producer.send({ topic: TOPICS.loginAudit, acks: -1, messages: range(12).map((i) => ({ key: `k${i}`, value: `v${i}` })) });
      expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    } finally {
      await producer.disconnect();
    }
    await up(ctx, { cluster: true });
    expect((await statusLines(ctx)).filter((l) => l.name.startsWith('kafka-')).map((l) => l.state)).toEqual(['up', 'up', 'up']);
  });

  it('HAProxy balances over both gateways and forwards the client address, not one the client made up', async () => {
    const seen = new Set<string>();
    const forwarded = await eventually(30, async () => {
      const r = await throughProxy(ctx.settings.haproxy.port, { 'x-forwarded-for': '203.0.113.9' });
      if (r) seen.add(r.name);
      return seen.size === 2 ? r?.forwardedFor : undefined;
    });
    expect([...seen].sort()).toEqual(['gateway-a', 'gateway-b']);
    expect(forwarded).toBe('127.0.0.1');
  });

  it('HAProxy routes around a gateway whose /readyz fails', async () => {
    gateways[0].state.ready = false;
    // once its checks have failed, every request goes to the other gateway
    const onlyB = await eventually(30, async () => {
      const names = [];
      for (let i = 0; i < 6; i++) names.push((await throughProxy(ctx.settings.haproxy.port))?.name);
      return names.every((n) => n === 'gateway-b') ? names : undefined;
    });
    expect(onlyB).toHaveLength(6);
    gateways[0].state.ready = true;
  });

  it('down stops the cluster parts; their status lines disappear and Kafka shows down', async () => {
    await down(ctx);
    expect((await statusLines(ctx)).map((l) => [l.name, l.state])).toEqual([['kafka', 'down']]);
  });
});
