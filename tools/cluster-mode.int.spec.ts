// `npm start -- --cluster` on ALTERNATE ports in a private data directory: the cluster-mode
// infrastructure (3 Kafka brokers, a Redis Cluster 3+3, PostgreSQL, HAProxy) through tools/infra,
// then the cluster topology started by the same code run-services.ts uses (service-runner's
// clusterStartOptions).
// Never touches the shared infrastructure's ports or .data.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyMigrations } from '@usersys/db';
import { createContext, down, freePortBase, readSettings, up, type Context } from '@usersys/infra';
import { clusterStartOptions, startServices, type RunningServices } from '@usersys/service-runner';
import { freePort } from '@usersys/test-infra';
import { Kafka, logLevel } from 'kafkajs';

const json = { 'content-type': 'application/json' };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function eventually<T>(what: string, seconds: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

/** login_attempts_total{result="success"} of one gateway, from its /metrics. */
async function successfulLogins(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('login_attempts_total{') && l.includes('result="success"'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

describe('npm start -- --cluster: the cluster topology on private infrastructure', () => {
  jest.setTimeout(600_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-cluster-mode-'));
  const consumerGroup = 'user-consumer-cluster-mode';
  let ctx: Context;
  let services: RunningServices;
  let proxy: string;
  /** The connection variables the services got (from the private infrastructure). */
  let shared: Record<string, string>;
  /** The user the sign-up test creates; the kill/restart test logs in as it. */
  let user: { username: string; password: string; email: string; phone: string };
  const login = () => fetch(`${proxy}/v1/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username: user.username, password: user.password }) });

  beforeAll(async () => {
    const [gateway1, gateway2] = [await freePort(), await freePort()];
    const kafkaBase = await freePortBase(range(6));
    const redisBase = await freePortBase([...range(6), ...range(6).map((i) => i + 10000)]);
    const env = {
      INFRA_DATA_DIR: dataDir,
      INFRA_SERVICES: 'postgres kafka redis-cluster haproxy',
      PG_PORT: String(await freePort()),
      KAFKA_PORT: String(kafkaBase),
      KAFKA_CONTROLLER_PORT: String(kafkaBase + 1),
      KAFKA_HEAP: '-Xms128m -Xmx384m',
      REDIS_CLUSTER_PORT: String(redisBase),
      HAPROXY_PORT: String(await freePort()),
      HAPROXY_BACKENDS: `127.0.0.1:${gateway1},127.0.0.1:${gateway2}`,
    };
    ctx = createContext(readSettings({ ...process.env, ...env }), () => {}, { cluster: true });
    await up(ctx, { cluster: true });
    proxy = `http://127.0.0.1:${ctx.settings.haproxy.port}`;
    const options = clusterStartOptions(
      ctx,
      {
        commandPorts: [await freePort(), await freePort()],
        relayPorts: [await freePort(), await freePort()],
        consumerPorts: [await freePort(), await freePort(), await freePort()],
        walRoot: path.join(dataDir, 'wal'),
      },
      {}, // nothing from this process's environment: every connection comes from the private infrastructure
    );
    shared = options.env!;
    await applyMigrations(shared.DATABASE_URL);
    services = await startServices({
      ...options,
      env: { ...shared, CONSUMER_GROUP_ID: consumerGroup, BCRYPT_COST: '4', OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'warn' },
      logDir: path.join(dataDir, 'logs/services'),
    });
  });

  afterAll(async () => {
    await services?.stop();
    if (ctx) await down(ctx);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('every replica is up and ready: 2 gateways, 2 command replicas, 2 relays, 3 consumers', async () => {
    expect(services.instances.map((i) => i.name).sort()).toEqual(['auth-gateway-1', 'auth-gateway-2', 'user-command-1', 'user-command-2', 'user-consumer-1', 'user-consumer-2', 'user-consumer-3', 'wal-relay-1', 'wal-relay-2']);
    for (const { name } of services.instances) {
      await eventually(`${name} ready`, 60, async () => ((await fetch(`${services.urlOf(name)}/readyz`)).status === 200 ? true : undefined));
    }
    // HAProxy lets a gateway in after two passed checks (1 s apart): until then it answers 503 itself
    await eventually('HAProxy forwarding to a ready gateway', 30, async () => ((await fetch(`${proxy}/readyz`)).status === 200 ? true : undefined));
  });

  it('the three consumers are members of one group; each command replica has its own WAL', async () => {
    const admin = new Kafka({ clientId: 'cluster-mode-spec', brokers: shared.KAFKA_BROKERS.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const members = await eventually('3 members in the consumer group', 90, async () => {
        const group = (await admin.describeGroups([consumerGroup])).groups[0];
        return group?.state === 'Stable' && group.members.length === 3 ? group.members : undefined;
      });
      expect(members).toHaveLength(3);
    } finally {
      await admin.disconnect();
    }
    expect([1, 2].map((n) => existsSync(path.join(dataDir, 'wal', `replica-${n}`, `user-command-${n}`)))).toEqual([true, true]);
  });

  it('through HAProxy: sign-up ends applied, the user logs in, and both gateways serve logins', async () => {
    const id = Math.random().toString(36).slice(2, 10);
    user = { username: `cluster_${id}`, password: `pw-${id}-secret`, email: `cluster.${id}@example.com`, phone: `+49 151 ${String(Date.now()).slice(-9)}` };
    const res = await fetch(`${proxy}/v1/users`, { method: 'POST', headers: json, body: JSON.stringify(user) });
    expect(res.status).toBe(202);
    const { requestId } = (await res.json()) as { requestId: string };
    const outcome = await eventually('the sign-up request terminal', 90, async () => {
      const r = await fetch(`${proxy}/v1/requests/${requestId}`);
      const body = r.status === 200 ? ((await r.json()) as { state: string }) : undefined;
      return body && body.state !== 'pending' ? body.state : undefined;
    });
    expect(outcome).toBe('applied');

    const first = await login();
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual(expect.objectContaining({ accessToken: expect.any(String), refreshToken: expect.any(String) }));

    // HAProxy balances each request (round robin over the gateways it checks healthy)
    const gateways = services.instances.filter((i) => i.app === 'auth-gateway').map((i) => services.urlOf(i.name));
    const counts = await eventually('a successful login on each gateway', 60, async () => {
      await login();
      const c = await Promise.all(gateways.map(successfulLogins));
      return c.every((n) => n > 0) ? c : undefined;
    });
    expect(counts.every((n) => n > 0)).toBe(true);
  });

  it('an instance killed by name leaves the others serving, and restarts by name', async () => {
    const before = services.processes.get('auth-gateway-2')!;
    await services.kill('auth-gateway-2');
    expect(before.signalCode).toBe('SIGKILL');
    expect(services.processes.get('auth-gateway-1')!.exitCode).toBeNull();
    // HAProxy takes the dead gateway out (and redispatches a refused connection): logins still succeed
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await login()).status);
    expect(statuses).toEqual(Array(6).fill(200));

    await services.restart('auth-gateway-2');
    expect(services.processes.get('auth-gateway-2')!.pid).not.toBe(before.pid);
    await eventually('auth-gateway-2 ready again', 60, async () => ((await fetch(`${services.urlOf('auth-gateway-2')}/readyz`)).status === 200 ? true : undefined));
  });
});
