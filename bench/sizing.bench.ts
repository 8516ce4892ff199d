// Checks docs/capacity.md's sizing on a real run: the four services as shipped (npm start's command,
// bcrypt cost 10) against a private Redis, PostgreSQL, Kafka and Jaeger, so every CPU-second and
// every Redis command, PostgreSQL transaction and Kafka message counted is this run's. Phases, each
// open loop: logins (credential-cache hits), refreshes, sign-ups, each alone, then all three at once.
// For each phase: whole-system CPU-ms per operation and Redis commands, PostgreSQL transactions and
// rows written, Kafka messages per operation; for the mix: the vCPU measured against the vCPU the
// sizing model predicts from (a) the shipped benchmarks' per-operation costs (bench/lib/sizing.ts)
// and (b) this run's single-operation phases. The first login of each seeded user (a credential-
// cache miss: one bcrypt compare) is measured as its own phase.
//   node --import tsx bench/sizing.bench.ts        (BENCH_QUICK=1: short smoke run)
import { applyMigrations } from '@usersys/db';
import { CREDENTIALS, createContext, down, freePortBase, readSettings, up } from '@usersys/infra';
import { HttpClient, newUser, runStage, WaitForUser, type OperationResult, type StageRun } from '@usersys/load-suite';
import { clusterStartOptions, startServices, type RunningServices } from '@usersys/service-runner';
import { freePort, startPrivateKafka, startPrivateRedis } from '@usersys/test-infra';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CpuSampler, infraProcesses, pidListeningOn, type MeasuredProcess } from './lib/cpu';
import { writeResults, type Figure } from './lib/report';
import { SHIPPED, benchDatabase, benchJaeger } from './lib/shipped';
import { cpuMsPerSecond, shippedCosts, type Costs, type Mix, type Operation } from './lib/sizing';

const CLUSTER = process.argv.includes('--cluster');
const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = QUICK ? 5 : 30;
const MIX_SECONDS = QUICK ? 5 : 60;
const SEED_USERS = QUICK ? 40 : 300;
/** Rates of the single phases and of the mix: well inside what 2 shared vCPUs carry. */
const RATES: Record<Operation, number> = { login: 100, refresh: 200, signUp: 6, loginUncached: 0 };
const MIX: Mix = { login: 50, refresh: 100, signUp: 2 };
/** PostgreSQL flushes a backend's statistics when idle for this long (PG 15: 10 s). */
const PG_STATS_FLUSH_MS = 11_000;

interface Counters {
  redisCommands: number;
  pgTransactions: number;
  pgRowsWritten: number;
  kafkaMessages: number;
}

/** The system under test: the four services (or the cluster topology) on private infrastructure. */
interface System {
  label: string;
  gatewayUrl: string;
  services: RunningServices;
  /** the infrastructure's processes (PostgreSQL with its backends, Redis nodes, brokers, HAProxy, Jaeger) */
  infra: MeasuredProcess[];
  /** Redis servers whose commands count (a cluster's masters: replicas only replay them) */
  redisNodes: Array<{ host: string; port: number }>;
  redisAuth: { username?: string; password?: string };
  databaseUrl: string;
  kafkaBrokers: string[];
  stop(): Promise<void>;
}

const SERVICE_ENV = {
  // one client address sends everything: the per-client limits would measure themselves
  ENABLE_RATE_LIMITER: 'false',
  WRITE_RATE_LIMIT: '100000000',
  ...SHIPPED.env,
};

/** npm start's topology: one of each service; private Redis, PostgreSQL, Kafka (one broker) and Jaeger. */
async function singleSystem(runId: string): Promise<System> {
  const [db, jaeger, redis, kafka] = await Promise.all([benchDatabase(), benchJaeger(), startPrivateRedis(), startPrivateKafka()]);
  const destroyInfra = () => Promise.all([db.drop(), jaeger.destroy(), redis.destroy(), kafka.destroy()].map((p) => p.catch(() => {})));
  const ports = { gw: await freePort(), cmd: await freePort(), relay: await freePort(), consumer: await freePort() };
  const walDir = path.join(os.tmpdir(), `usersys-bench-sizing-wal-${runId}`);
  const services = await startServices({
    logDir: path.resolve(__dirname, '../.data/logs/bench-sizing'),
    env: {
      AUTH_GATEWAY_PORT: String(ports.gw),
      USER_COMMAND_PORT: String(ports.cmd),
      USER_COMMAND_URL: `http://127.0.0.1:${ports.cmd}`,
      WAL_RELAY_PORT: String(ports.relay),
      USER_CONSUMER_PORT: String(ports.consumer),
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      KAFKA_BROKERS: kafka.url,
      WAL_DIR: walDir,
      ...SERVICE_ENV,
      ...jaeger.env,
    },
  }).catch(async (err: unknown) => {
    await destroyInfra();
    throw err;
  });
  const redisUrl = new URL(redis.url);
  return {
    label: 'single topology (npm start): private Redis, PostgreSQL, Kafka, Jaeger',
    gatewayUrl: `http://127.0.0.1:${ports.gw}`,
    services,
    infra: infraProcesses({ databaseUrl: db.url, redisUrl: redis.url, kafkaBrokers: kafka.url, jaegerOtlpPort: jaeger.otlpPort }),
    redisNodes: [{ host: '127.0.0.1', port: redis.port }],
    redisAuth: { username: decodeURIComponent(redisUrl.username), password: decodeURIComponent(redisUrl.password) },
    databaseUrl: db.url,
    kafkaBrokers: [kafka.url],
    stop: async () => {
      await services.stop();
      await destroyInfra();
      rmSync(walDir, { recursive: true, force: true });
    },
  };
}

/**
 * `npm start -- --cluster`'s topology (tools/cluster-start.ts: 2 gateways behind HAProxy, 2 command
 * replicas each with its relay, 3 consumers) on private cluster infrastructure from tools/infra
 * (3 brokers, replication 3, min ISR 2; a Redis Cluster 3+3; PostgreSQL; HAProxy) and a private Jaeger.
 */
async function clusterSystem(): Promise<System> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-bench-sizing-cluster-'));
  const [gateway1, gateway2] = [await freePort(), await freePort()];
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  const kafkaBase = await freePortBase(range(6));
  const redisBase = await freePortBase([...range(6), ...range(6).map((i) => i + 10000)]);
  const ctx = createContext(
    readSettings({
      ...process.env,
      INFRA_DATA_DIR: dataDir,
      INFRA_SERVICES: 'postgres kafka redis-cluster haproxy',
      PG_PORT: String(await freePort()),
      KAFKA_PORT: String(kafkaBase),
      KAFKA_CONTROLLER_PORT: String(kafkaBase + 1),
      KAFKA_HEAP: '-Xms128m -Xmx384m',
      REDIS_CLUSTER_PORT: String(redisBase),
      HAPROXY_PORT: String(await freePort()),
      HAPROXY_BACKENDS: `127.0.0.1:${gateway1},127.0.0.1:${gateway2}`,
    }),
    () => {},
    { cluster: true },
  );
  const jaeger = await benchJaeger();
  let services: RunningServices | undefined;
  const stop = async () => {
    await services?.stop();
    await down(ctx).catch(() => {});
    await jaeger.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await up(ctx, { cluster: true });
    // the topology `npm start -- --cluster` runs, wired to this infrastructure (every connection from it)
    const options = clusterStartOptions(
      ctx,
      { commandPorts: [await freePort(), await freePort()], relayPorts: [await freePort(), await freePort()], consumerPorts: [await freePort(), await freePort(), await freePort()], walRoot: path.join(dataDir, 'wal') },
      {},
    );
    const shared = { REDIS_URL: `redis://${CREDENTIALS.redisUser}:${CREDENTIALS.redisPassword}@127.0.0.1:6379`, ...options.env } as Record<string, string>;
    await applyMigrations(shared.DATABASE_URL);
    services = await startServices({ ...options, env: { ...options.env, ...SERVICE_ENV, ...jaeger.env }, logDir: path.resolve(__dirname, '../.data/logs/bench-sizing-cluster') });
    const brokers = shared.KAFKA_BROKERS.split(',');
    const nodes = shared.REDIS_CLUSTER_NODES.split(',').map((n) => ({ host: n.split(':')[0], port: Number(n.split(':')[1]) }));
    const redisUrl = new URL(shared.REDIS_URL);
    const at = (name: string, port: number, withChildren = false): MeasuredProcess[] => {
      const pid = pidListeningOn(port);
      return pid === undefined ? [] : [{ name, pid, withChildren }];
    };
    const infra = [
      ...at('postgresql', Number(new URL(shared.DATABASE_URL).port), true),
      ...brokers.flatMap((b, i) => at(`kafka-${i + 1}`, Number(b.split(':')[1]))),
      ...nodes.flatMap((n, i) => at(`redis-${i + 1}`, n.port)),
      ...at('haproxy', ctx.settings.haproxy.port),
      ...at('jaeger', jaeger.otlpPort),
    ];
    const redisAuth = { username: decodeURIComponent(redisUrl.username), password: decodeURIComponent(redisUrl.password) };
    const masters: System['redisNodes'] = [];
    for (const n of nodes) {
      const client = new Redis({ ...n, ...redisAuth });
      if (/role:master/.test(await client.info('replication'))) masters.push(n);
      client.disconnect();
    }
    return {
      label: 'cluster topology (npm start -- --cluster): 2 gateways behind HAProxy, 2 command replicas + 2 relays, 3 consumers; private 3 brokers (replication 3, min ISR 2), Redis Cluster 3+3, PostgreSQL, Jaeger',
      gatewayUrl: `http://127.0.0.1:${ctx.settings.haproxy.port}`,
      services,
      infra,
      redisNodes: masters,
      redisAuth,
      databaseUrl: shared.DATABASE_URL,
      kafkaBrokers: brokers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const system = CLUSTER ? await clusterSystem() : await singleSystem(runId);
  const { services } = system;
  const gateway = new HttpClient(system.gatewayUrl, 1024);
  const redisClients = system.redisNodes.map((n) => new Redis({ ...n, ...system.redisAuth }));
  const pgClient = new pg.Client({ connectionString: system.databaseUrl });
  await pgClient.connect();
  const admin = new Kafka({ clientId: 'bench-sizing', brokers: system.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();

  const counters = async (): Promise<Counters> => {
    let redisCommands = 0;
    for (const client of redisClients) {
      const stats = await client.info('commandstats');
      redisCommands += [...stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)].filter((m) => !['info', 'cluster|nodes', 'cluster|slots', 'cluster|shards', 'ping'].includes(m[1])).reduce((sum, m) => sum + Number(m[2]), 0);
    }
    const row = (await pgClient.query('SELECT xact_commit, tup_inserted + tup_updated + tup_deleted AS written FROM pg_stat_database WHERE datname = current_database()')).rows[0] as { xact_commit: string; written: string };
    let kafkaMessages = 0;
    for (const topic of await admin.listTopics()) {
      if (topic.startsWith('__')) continue;
      for (const p of await admin.fetchTopicOffsets(topic)) kafkaMessages += Number(p.high) - Number(p.low);
    }
    return { redisCommands, pgTransactions: Number(row.xact_commit), pgRowsWritten: Number(row.written), kafkaMessages };
  };

  const sampler = new CpuSampler([...[...services.processes].map(([name, child]) => ({ name, pid: child.pid! })), ...system.infra]);
  const serviceNames = [...services.processes.keys()];
  const settleOn = [...serviceNames, 'jaeger'];
  const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

  // Seeded accounts with a refresh token each; a token is in one request at a time (a reused one revokes its family).
  const users: Array<{ username: string; password: string }> = [];
  const refreshTokens: string[] = [];
  const signUp = async (): Promise<OperationResult & { res?: Awaited<ReturnType<HttpClient['request']>> }> => {
    const u = newUser(`sz${runId}`);
    const res = await gateway.request('POST', '/v1/users', u);
    if (res.status === 202) users.push({ username: u.username, password: u.password });
    return { status: res.status, ok: res.status === 202, res };
  };
  const login = async (i: number): Promise<OperationResult> => {
    const u = users[i % users.length];
    const res = await gateway.request('POST', '/v1/auth/login', u);
    return { status: res.status, ok: res.status === 200 };
  };
  const refresh = async (): Promise<OperationResult> => {
    const token = refreshTokens.shift();
    if (!token) return { status: -1, ok: false };
    const res = await gateway.request('POST', '/v1/auth/refresh', { refreshToken: token });
    if (res.status === 200) refreshTokens.push((JSON.parse(res.body) as { refreshToken: string }).refreshToken);
    else if (res.status === 503) refreshTokens.push(token); // refused before anything happened: still valid
    return { status: res.status, ok: res.status === 200 };
  };
  const open = (name: string, rate: number, seconds: number, op: (i: number) => Promise<OperationResult>) =>
    runStage({ name, concurrency: 256, durationSec: seconds, thinkMs: 0, arrivalRate: rate }, (_w, i) => op(i));
  const okCount = (run: StageRun) => run.samples.ok.filter(Boolean).length;
  /** Answers other than success, by status (0: no answer; -1: no refresh token was free, nothing sent). */
  const failures = (runs: StageRun[]) => {
    const by: Record<number, number> = {};
    for (const run of runs) run.samples.status.forEach((st, i) => !run.samples.ok[i] && (by[st] = (by[st] ?? 0) + 1));
    return by;
  };

  interface Phase {
    name: string;
    ops: number;
    failed: Record<number, number>;
    cpuMsPerOp: number;
    perProcess: Record<string, number>;
    cpuMsPerSecond: number;
    perOp: Counters;
  }
  const phases: Phase[] = [];
  /** Runs `load`, waits until quiet, reads the CPU and the counters, per accepted operation. */
  const measure = async (name: string, load: () => Promise<{ ops: number; failed: Record<number, number>; seconds: number }>) => {
    const c0 = await counters();
    const [r0, t0] = [sampler.read(), performance.now()];
    const { ops, failed: bad, seconds } = await load();
    await sampler.settle({ only: settleOn });
    const [r1, t1] = [sampler.read(), performance.now()];
    await new Promise((r) => setTimeout(r, PG_STATS_FLUSH_MS));
    const c1 = await counters();
    const cpu = sampler.perOp(r0, r1, t1 - t0, ops);
    const perOp = Object.fromEntries(Object.entries(c1).map(([k, v]) => [k, (v - c0[k as keyof Counters]) / Math.max(1, ops)])) as unknown as Counters;
    const phase = { name, ops, failed: bad, cpuMsPerOp: cpu.system, perProcess: cpu.perProcess, cpuMsPerSecond: (cpu.system * ops) / seconds, perOp };
    phases.push(phase);
    process.stderr.write(`${name}: ${ops} ok, failed by status ${JSON.stringify(bad)}; ${cpu.system.toFixed(3)} CPU-ms/op (${Object.entries(cpu.perProcess).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}); per op: ${JSON.stringify(perOp)}\n`);
    return phase;
  };

  const rss: Record<string, number> = {};
  try {
    // Seed: sign-ups by 4 clients, each followed until applied (also the sign-up warm-up); a 503
    // (the hash pool's wait budget) is retried after its Retry-After, like a client would.
    const waits = new WaitForUser(gateway, 50, 60_000);
    const statuses: Record<number, number> = {};
    let attempts = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (users.length < SEED_USERS && attempts++ < SEED_USERS * 5) {
          const r = await signUp();
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.ok && r.res) waits.track(r.res, performance.now());
          else if (r.status === 503) await new Promise((res) => setTimeout(res, 1000));
        }
      }),
    );
    await waits.drain();
    process.stderr.write(`seeded ${users.length} users (answers ${JSON.stringify(statuses)}; not applied ${waits.notApplied + waits.timedOut})\n`);
    if (users.length < SEED_USERS) throw new Error(`sizing: only ${users.length} of ${SEED_USERS} seeded sign-ups were accepted (answers ${JSON.stringify(statuses)})`);
    // The idle baseline once the seeding's events are consumed and its spans exported.
    await sampler.settle({ only: settleOn });
    process.stderr.write(`idle baseline: ${JSON.stringify(await sampler.measureIdle(QUICK ? 3 : 10))} CPU-ms/s\n`);
    // First login of each seeded user: a credential-cache miss (bcrypt compare); keeps its refresh token.
    await measure('login, credential-cache miss (first login, bcrypt cost 10)', async () => {
      const t0 = performance.now();
      let ok = 0;
      const bad: Record<number, number> = {};
      const queue = [...users];
      // as many clients as the gateway has compare workers (LOGIN_BCRYPT_WORKERS, 2): a refused
      // attempt (503, wait budget) costs CPU and an audit record too, and is counted under 503
      await Promise.all(
        Array.from({ length: 2 }, async () => {
          for (let u = queue.shift(); u; u = queue.shift()) {
            const res = await gateway.request('POST', '/v1/auth/login', u);
            if (res.status === 200) {
              ok++;
              refreshTokens.push((JSON.parse(res.body) as { refreshToken: string }).refreshToken);
            } else {
              bad[res.status] = (bad[res.status] ?? 0) + 1;
              if (res.status === 503) queue.push(u); // refused by the hash pool: try again
            }
          }
        }),
      );
      return { ops: ok, failed: bad, seconds: (performance.now() - t0) / 1000 };
    });
    const single = async (name: string, op: Operation, fn: (i: number) => Promise<OperationResult>) =>
      measure(name, async () => {
        const run = await open(name, RATES[op], SECONDS, fn);
        return { ops: okCount(run), failed: failures([run]), seconds: run.elapsedSec };
      });
    const loginPhase = await single(`login, credential-cache hit, ${RATES.login}/s`, 'login', login);
    const refreshPhase = await single(`refresh, ${RATES.refresh}/s`, 'refresh', () => refresh());
    const signUpPhase = await single(`sign-up, bcrypt cost 10, ${RATES.signUp}/s`, 'signUp', () => signUp());
    // The mix's prediction counts the operations that succeeded (refused ones cost a little and are not in the model).
    const mixDone: Mix = {};
    const mixPhase = await measure(`mix: ${MIX.login} logins + ${MIX.refresh} refreshes + ${MIX.signUp} sign-ups per second`, async () => {
      const runs = await Promise.all([open('mix-login', MIX.login!, MIX_SECONDS, login), open('mix-refresh', MIX.refresh!, MIX_SECONDS, () => refresh()), open('mix-signup', MIX.signUp!, MIX_SECONDS, () => signUp())]);
      const seconds = Math.max(...runs.map((r) => r.elapsedSec));
      [mixDone.login, mixDone.refresh, mixDone.signUp] = runs.map((r) => okCount(r) / seconds);
      return { ops: runs.reduce((s, r) => s + okCount(r), 0), failed: failures(runs), seconds: Math.max(...runs.map((r) => r.elapsedSec)) };
    });
    for (const [name, child] of services.processes) rss[name] = rssOf(child.pid!);
    for (const p of system.infra) rss[p.name] = rssOf(p.pid);

    const shipped = shippedCosts().costs;
    const thisRun: Costs = { login: loginPhase.cpuMsPerOp, refresh: refreshPhase.cpuMsPerOp, signUp: signUpPhase.cpuMsPerOp, loginUncached: phases[0].cpuMsPerOp };
    const measuredVcpu = mixPhase.cpuMsPerSecond / 1000;
    const fromShipped = cpuMsPerSecond(mixDone, shipped) / 1000;
    const fromRun = cpuMsPerSecond(mixDone, thisRun) / 1000;
    process.stderr.write(`mix done per second: ${JSON.stringify(mixDone)}; measured ${measuredVcpu.toFixed(3)} vCPU, predicted ${fromShipped.toFixed(3)} (shipped costs), ${fromRun.toFixed(3)} (this run's phases)\n`);
    const config = `${SHIPPED.label}, bcrypt cost 10; ${system.label}`;
    const figures: Figure[] = phases.flatMap((p) => [
      { figure: `${p.name}: whole-system CPU per op (services + infrastructure, idle baseline removed)`, unit: 'ms', value: p.cpuMsPerOp, runs: [p.cpuMsPerOp], config, lowerIsBetter: true },
      ...Object.entries(p.perProcess).map(([proc, v]) => ({ figure: `  ${p.name}: ${proc} CPU per op`, unit: 'ms', value: v, runs: [v], config, lowerIsBetter: true })),
      { figure: `  ${p.name}: Redis commands per op`, unit: '', value: p.perOp.redisCommands, runs: [p.perOp.redisCommands], config },
      { figure: `  ${p.name}: PostgreSQL transactions per op`, unit: '', value: p.perOp.pgTransactions, runs: [p.perOp.pgTransactions], config },
      { figure: `  ${p.name}: PostgreSQL rows written per op`, unit: '', value: p.perOp.pgRowsWritten, runs: [p.perOp.pgRowsWritten], config },
      { figure: `  ${p.name}: Kafka messages per op`, unit: '', value: p.perOp.kafkaMessages, runs: [p.perOp.kafkaMessages], config },
      { figure: `  ${p.name}: operations succeeded (failed by status: ${JSON.stringify(p.failed)})`, unit: '', value: p.ops, runs: [p.ops], config },
    ]);
    figures.push(
      { figure: 'mix: vCPU measured vs predicted from the shipped benchmarks (bench/lib/sizing.ts)', unit: 'vCPU', value: measuredVcpu, runs: [measuredVcpu], baseline: { name: 'predicted, shipped costs', value: fromShipped, runs: [fromShipped] }, ratio: measuredVcpu / fromShipped, config },
      { figure: "mix: vCPU measured vs predicted from this run's single phases", unit: 'vCPU', value: measuredVcpu, runs: [measuredVcpu], baseline: { name: 'predicted, this run', value: fromRun, runs: [fromRun] }, ratio: measuredVcpu / fromRun, config },
      ...Object.entries(rss).map(([name, mb]) => ({ figure: `  ${name} RSS after the mix`, unit: 'MiB', value: mb, runs: [mb], config })),
    );
    writeResults(CLUSTER ? 'sizing-cluster' : 'sizing', figures, { config, rates: RATES, mix: MIX, mixSucceededPerSecond: mixDone, costsThisRun: thisRun, costsShipped: shipped, seconds: SECONDS, mixSeconds: MIX_SECONDS, idleCpuMsPerSecond: Object.fromEntries(sampler.processes.map((p) => [p.name, sampler.idleRate(p.name)])) });
  } finally {
    gateway.close();
    await admin.disconnect().catch(() => {});
    await pgClient.end().catch(() => {});
    for (const client of redisClients) client.disconnect();
    await system.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`sizing bench: ${(err as Error).stack}\n`);
  process.exit(1);
});
