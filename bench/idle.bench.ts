/**
 * Idle benchmark (issue 15): the four services as shipped, no traffic at all, for 60 s: how much
 * CPU does each use? Target: the four together under 2% of one core. Pollers (WAL relay, shared
 * settings, readiness, metrics collection, Kafka fetch waits) are what an idle system pays for.
 *
 *   node --import tsx bench/idle.bench.ts          BENCH_IDLE_SECONDS=60 (default); BENCH_QUICK=1: 10 s
 *
 * The services start with service-runner's command (tracing preload, OTLP exporter, LOG_LEVEL=info)
 * against a private PostgreSQL server, Kafka and Jaeger, the shared Redis, a fresh WAL directory and consumer
 * group; after they answer /healthz they get BENCH_IDLE_SETTLE_SECONDS (default 15) to finish
 * starting (consumer group join, first metadata fetches, first span batches), then the window is
 * measured. The infrastructure's own idle use is reported next to them; it is shared with whatever
 * else runs on the machine, so it is information, not a target.
 */
import { SERVICES, startServices } from '@usersys/service-runner';
import { freePort, startPrivateKafka } from '@usersys/test-infra';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CpuSampler, infraProcesses, rates, type MeasuredProcess } from './lib/cpu';
import { writeResults, type Figure } from './lib/report';
import { SHIPPED, benchDatabase, benchJaeger } from './lib/shipped';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? (QUICK ? 10 : 60));
const SETTLE_SECONDS = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? (QUICK ? 5 : 15));
/** % of one core, the four services together */
const TARGET_PERCENT = 2;

async function main(): Promise<void> {
  const runId = randomBytes(3).toString('hex');
  const walDir = path.join(os.tmpdir(), `usersys-bench-idle-wal-${runId}`);
  // A private Kafka: a fresh consumer group on the shared topics would replay their backlog, which
  // is work, not idling.
  const [db, jaeger, kafka] = await Promise.all([benchDatabase(), benchJaeger(), startPrivateKafka()]);
  const env: Record<string, string> = { ...SHIPPED.env, ...jaeger.env, DATABASE_URL: db.url, KAFKA_BROKERS: kafka.url, WAL_DIR: walDir, CONSUMER_GROUP_ID: `user-consumer-bench-idle-${runId}` };
  const ports: Record<string, number> = {};
  for (const s of SERVICES) {
    ports[s.name] = await freePort();
    env[s.portEnv] = String(ports[s.name]);
  }
  env.USER_COMMAND_URL = `http://127.0.0.1:${ports['user-command']}`;
  const services = await startServices({ logDir: path.resolve(__dirname, '../.data/logs/bench-idle'), env });
  let perSecond: Map<string, number>;
  let seconds: number;
  try {
    const measured: MeasuredProcess[] = [...services.processes].map(([name, child]) => ({ name, pid: child.pid! }));
    const sampler = new CpuSampler([...measured, ...infraProcesses({ databaseUrl: db.url, kafkaBrokers: kafka.url, jaegerOtlpPort: jaeger.otlpPort })]);
    console.log(`… ${SETTLE_SECONDS}s for the services to finish starting, then ${SECONDS}s idle`);
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const [r0, t0] = [sampler.read(), performance.now()];
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const [r1, t1] = [sampler.read(), performance.now()];
    perSecond = rates(r0, r1, t1 - t0);
    seconds = (t1 - t0) / 1000;
  } finally {
    await services.stop();
    await db.drop().catch(() => {});
    await jaeger.destroy();
    await kafka.destroy();
    rmSync(walDir, { recursive: true, force: true });
  }

  // CPU-ms per second / 10 = % of one core
  const percent = (name: string) => (perSecond.get(name) ?? NaN) / 10;
  const serviceNames: string[] = SERVICES.map((s) => s.name);
  const total = serviceNames.reduce((sum, name) => sum + percent(name), 0);
  const config = `${SHIPPED.label}; no traffic, ${seconds.toFixed(0)} s after ${SETTLE_SECONDS} s settling`;
  const figures: Figure[] = [
    { figure: `four services idle, ${seconds.toFixed(0)} s, CPU together`, unit: '% of one core', value: total, runs: [total], config, target: `< ${TARGET_PERCENT}% of one core`, pass: total < TARGET_PERCENT, lowerIsBetter: true },
    ...serviceNames.map((name): Figure => ({ figure: `  ${name} idle CPU`, unit: '% of one core', value: percent(name), runs: [percent(name)], config, lowerIsBetter: true })),
    ...[...perSecond.keys()]
      .filter((name) => !serviceNames.includes(name))
      .map((name): Figure => ({ figure: `  ${name} idle CPU (information)`, unit: '% of one core', value: percent(name), runs: [percent(name)], config, lowerIsBetter: true })),
  ];
  writeResults('idle', figures, { config: SHIPPED.label, seconds, settleSeconds: SETTLE_SECONDS, cpuMsPerSecond: Object.fromEntries(perSecond) });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
