// The single-node set (Redis, PostgreSQL, Kafka, Jaeger, Prometheus) through the real entry point,
// `bash tools/infra.sh`, on ALTERNATE ports in a private data directory: never the shared
// infrastructure's default ports or <repo>/.data.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TOPICS } from '@usersys/event-schema';
import { Kafka, logLevel } from 'kafkajs';
import { freePortBase } from './ports.spec-helper';
import { redisPing } from './redis';
import { REPO } from './settings';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function infraSh(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve) => {
    execFile('bash', [path.join(REPO, 'tools/infra.sh'), ...args], { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const pids = (status: string) => Object.fromEntries([...status.matchAll(/^(\S+)\s+\S+\s+pid (\S+)/gm)].map((m) => [m[1], m[2]]));

describe('tools/infra.sh: the single-node set on alternate ports', () => {
  jest.setTimeout(300_000);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-infra-single-'));
  let env: Record<string, string>;
  let redisPort: number;
  let kafkaPort: number;

  beforeAll(async () => {
    // one base, ten ports: Redis, PostgreSQL, Kafka + controller, five for Jaeger, Prometheus
    const base = await freePortBase([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    [redisPort, kafkaPort] = [base, base + 2];
    env = {
      INFRA_DATA_DIR: dataDir,
      REDIS_PORT: String(base),
      PG_PORT: String(base + 1),
      KAFKA_PORT: String(base + 2),
      KAFKA_CONTROLLER_PORT: String(base + 3),
      JAEGER_UI_PORT: String(base + 4),
      JAEGER_QUERY_GRPC_PORT: String(base + 5),
      JAEGER_OTLP_GRPC_PORT: String(base + 6),
      JAEGER_OTLP_HTTP_PORT: String(base + 7),
      JAEGER_THRIFT_HTTP_PORT: String(base + 8),
      PROMETHEUS_PORT: String(base + 9),
      KAFKA_HEAP: '-Xms128m -Xmx384m',
    };
  });

  afterAll(async () => {
    await infraSh(['down'], env);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('up starts all five, says each is ready and prints the connection variables', async () => {
    const up = await infraSh(['up'], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    for (const svc of ['redis', 'postgres', 'jaeger', 'kafka', 'prometheus']) expect(up.stdout).toMatch(new RegExp(`^infra: ${svc} +ready on `, 'm'));
    expect(up.stdout).toMatch(/^infra: jaeger +ready on .*Jaeger UI v2\.14\.1/m);
    expect(up.stdout).toContain(`  REDIS_URL=redis://usersys:usersys-dev-redis-pw@127.0.0.1:${redisPort}\n`);
    expect(up.stdout).toContain(`  DATABASE_URL=postgresql://usersys:usersys@127.0.0.1:${env.PG_PORT}/usersys\n`);
    expect(up.stdout).toContain(`  KAFKA_BROKERS=127.0.0.1:${kafkaPort}\n`);
  });

  it('status shows every service up; the servers answer and Kafka has the contract topics', async () => {
    const status = await infraSh(['status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout.match(/^(redis|postgres|kafka|jaeger|prometheus) +up +pid \d+ +127\.0\.0\.1:\d+/gm)).toHaveLength(5);
    expect(await redisPing(redisPort, 'usersys', 'usersys-dev-redis-pw')).toBe(true);
    // the real Jaeger UI (jaeger-ui.ts), not the placeholder page of the binary built from Go
    const ui = await fetch(`http://127.0.0.1:${env.JAEGER_UI_PORT}/search`);
    expect(await ui.text()).toContain('<title>Jaeger UI</title>');
    const admin = new Kafka({ clientId: 'infra-spec', brokers: [`127.0.0.1:${kafkaPort}`], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(Object.values(TOPICS)));
    } finally {
      await admin.disconnect();
    }
  });

  it('Prometheus runs the alert rules and scrapes the default ports until npm start names its instances', async () => {
    const rules = (await (await fetch(`http://127.0.0.1:${env.PROMETHEUS_PORT}/api/v1/rules`)).json()) as { data: { groups: { name: string; file: string }[] } };
    expect(rules.data.groups.map((g) => g.name).sort()).toEqual(['usersys.availability', 'usersys.login', 'usersys.write-path']);
    expect(rules.data.groups.every((g) => g.file.startsWith(path.join(REPO, 'infra/prometheus/rules/')))).toBe(true);
    // File-based discovery reads the target files shortly after start-up, not before the API answers.
    let byJob: Record<string, string> = {};
    for (let deadline = Date.now() + 30_000; Object.keys(byJob).length < 4 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const targets = (await (await fetch(`http://127.0.0.1:${env.PROMETHEUS_PORT}/api/v1/targets`)).json()) as { data: { activeTargets: { labels: Record<string, string> }[] } };
      byJob = Object.fromEntries(targets.data.activeTargets.map((t) => [t.labels.job, t.labels.instance]));
    }
    expect(byJob).toEqual({ 'auth-gateway': '127.0.0.1:8080', 'user-command': '127.0.0.1:8081', 'wal-relay': '127.0.0.1:9464', 'user-consumer': '127.0.0.1:9465' });
  });

  it('a second up leaves the running servers alone', async () => {
    const before = pids((await infraSh(['status'], env)).stdout);
    const again = await infraSh(['up'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toMatch(/initialising|created topics/);
    expect(pids((await infraSh(['status'], env)).stdout)).toEqual(before);
  });

  it('env and logs work like before', async () => {
    const vars = await infraSh(['env'], env);
    expect(vars.stdout).toContain(`export KAFKA_BROKERS=127.0.0.1:${kafkaPort}\n`);
    const logs = await infraSh(['logs', 'redis'], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('Ready to accept connections');
    const none = await infraSh(['logs', 'no-such-service'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`infra: logs missing: no log file for 'no-such-service' in ${dataDir}/logs\n`);
  });

  it('down stops everything; status then exits 3', async () => {
    const down = await infraSh(['down'], env);
    expect(down.code).toBe(0);
    for (const svc of ['prometheus', 'jaeger', 'kafka', 'postgres', 'redis']) expect(down.stdout).toMatch(new RegExp(`^infra: ${svc} stopped`, 'm'));
    const status = await infraSh(['status'], env);
    expect(status.code).toBe(3);
    expect(status.stdout.match(/^\S+ +down +pid - /gm)).toHaveLength(5);
    expect(await redisPing(redisPort, 'usersys', 'usersys-dev-redis-pw', 500)).toBe(false);
  });

  it('refuses a port someone else holds, in one line naming the variable', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(redisPort, '127.0.0.1', r));
    try {
      const up = await infraSh(['up'], { ...env, INFRA_SERVICES: 'redis' });
      expect(up.code).toBe(1);
      expect(up.stderr).toMatch(new RegExp(`^infra: redis failed: 127\\.0\\.0\\.1:${redisPort} is already in use by another process.*; stop it or set REDIS_PORT; see .*redis\\.log\\n$`));
    } finally {
      server.close();
    }
  });
});
