/**
 * Login benchmark (issue 6): login/s and p50/p95/p99 for (a) credential-cache hits, (b) cache
 * misses at bcrypt cost 10, against (c) a bare express 5 JSON endpoint (the HTTP ceiling) and
 * (d) the bcrypt ceiling (pool size ÷ one compare's time), all from the same run, plus the
 * gateway's longest event-loop stall (perf_hooks.monitorEventLoopDelay via prom-client's
 * nodejs_eventloop_lag_max_seconds, reset by each scrape, so scraping before and after a run gives
 * that run's maximum).
 *
 *   node --import tsx bench/login.bench.ts          (BENCH_SECONDS=3 BENCH_REPS=3 BENCH_IDLE_SECONDS=5 by default; BENCH_QUICK=1: smoke run)
 *
 * The gateway runs as its own process as shipped (service-runner's command: tracing preload, OTLP
 * to the local Jaeger, LOG_LEVEL=info), and for the cache-hit runs also with tracing off (no
 * preload) next to it: the on/off ratio of CPU per login is issue 15's target (<= 1.25x). Every
 * scenario reports CPU-ms per login for each process (gateway, Redis, PostgreSQL with its backends,
 * Jaeger; the load generator for information), the idle baseline of the same run removed, read
 * after the gateway and Jaeger went quiet again (span batches exported and ingested). Against a
 * private PostgreSQL server (benchDatabase: no other test's backends in its CPU), a private Redis and Jaeger (benchJaeger), a temporary audit WAL directory (its group
 * commits are part of every login's cost); the load generator is a third process with keep-alive
 * sockets and many requests in flight.
 */
import { createPrismaClient } from '@usersys/db';
import { median } from '@usersys/load-suite';
import { startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import { DEFAULT_PASSWORD_HASH_IMPL } from '@usersys/service-kit';
import bcrypt from 'bcryptjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { CpuSampler, cpuFigures, infraProcesses, type CpuPerOp } from './lib/cpu';
import { type Figure, writeResults } from './lib/report';
import { SHIPPED, TRACING_OFF, benchDatabase, benchJaeger, startService, type ServiceConfig } from './lib/shipped';

const REPO = path.resolve(__dirname, '..');
const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 3));
const REPS = QUICK ? 1 : Math.max(3, Number(process.env.BENCH_REPS ?? 3));
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? (QUICK ? 1 : 2));
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? (QUICK ? 2 : 5));
const HTTP_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
// Enough clients to keep the hash pool full while refused ones wait their Retry-After (>= 1 s).
const BCRYPT_CONCURRENCY = 64;
const WORKERS = Number(process.env.LOGIN_BCRYPT_WORKERS ?? 2);
const COST = 10;
const USERS = 64;
const PASSWORD = 'bench-password-1';

interface LoadResult {
  requests: number;
  errors: number;
  /** 503 + Retry-After answers (overload protection); the client then waited as told */
  refused?: number;
  statuses: Record<string, number>;
  durationMs: number;
  perSecond: number;
  p50: number;
  p95: number;
  p99: number;
  /** the load generator's own CPU, ms (absent for the in-process bcrypt ceiling) */
  cpuMs?: number;
}

function spawnNode(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function output(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err.slice(-2000)}`))));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function load(url: string, bodies: string[], concurrency: number, seconds: number): Promise<LoadResult> {
  const job = { url: `${url}/v1/auth/login`, bodies, concurrency, durationMs: seconds * 1000 };
  return JSON.parse(await output(spawnNode(['--import', 'tsx', 'bench/lib/login-loadgen.ts', JSON.stringify(job)]))) as LoadResult;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(name))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

/** The longest event-loop stall since the previous call (reading resets it). */
async function stall(target: { url: string; gateway: boolean }): Promise<number> {
  if (target.gateway) return (await metric(target.url, 'nodejs_eventloop_lag_max_seconds')) * 1000;
  return ((await (await fetch(`${target.url}/stall`)).json()) as { maxMs: number }).maxMs;
}

interface Scenario {
  name: string;
  run: (seconds: number) => Promise<LoadResult>;
  target?: { url: string; gateway: boolean };
  runs: LoadResult[];
  stalls: number[];
  /** CPU per login: `process` is the server's name in the sampler; system = it + the infrastructure */
  cpu?: { process: string; system: string[]; settleOn: string[]; runs: CpuPerOp[] };
}

let sampler: CpuSampler | undefined;

/**
 * REPS rounds (after the warm-up and the idle baseline) in which every scenario runs once, one after the other:
 * each figure and its baseline see the same background load (this machine is shared).
 */
async function measure(scenarios: Scenario[]): Promise<void> {
  for (let i = 0; i < REPS; i++) {
    for (const s of scenarios) {
      if (s.target) await stall(s.target);
      let r: LoadResult;
      if (s.cpu && sampler) {
        const m = await sampler.around(() => s.run(SECONDS), (x) => x.requests - x.errors, { settleOn: s.cpu.settleOn, system: s.cpu.system });
        r = m.result;
        s.cpu.runs.push(m.cpu);
      } else {
        r = await s.run(SECONDS);
      }
      if (s.target) s.stalls.push(await stall(s.target));
      if (r.errors > 0) console.log(`  ${s.name}: ${r.errors} non-200 answers ${JSON.stringify(r.statuses)}`);
      s.runs.push(r);
      const cpu = s.cpu?.runs.at(-1);
      console.log(`  round ${i + 1} ${s.name}: ${r.perSecond.toFixed(1)}/s p99 ${r.p99.toFixed(1)} ms${s.target ? `, longest loop stall ${s.stalls.at(-1)!.toFixed(1)} ms` : ''}${cpu ? `, CPU/login ${cpu.system.toFixed(3)} ms (${Object.entries(cpu.perProcess).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')})` : ''}`);
    }
  }
}

/** (d): the worker pool the gateway uses, same size, compares back to back: pool size ÷ one compare's time. */
async function bcryptCeiling(hash: string): Promise<(seconds: number) => Promise<LoadResult>> {
  const pool = new Piscina({ filename: path.join(REPO, 'libs/service-kit/src/hash-worker.cjs'), minThreads: WORKERS, maxThreads: WORKERS, execArgv: [] });
  closers.push(() => pool.close());
  return async (seconds) => {
    const deadline = Date.now() + seconds * 1000;
    const times: number[] = [];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (Date.now() < deadline) {
          const t0 = process.hrtime.bigint();
          await pool.run({ op: 'compare', impl: DEFAULT_PASSWORD_HASH_IMPL, password: PASSWORD, hash });
          times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        }
      }),
    );
    const perCompare = median(times);
    return { requests: times.length, errors: 0, statuses: {}, durationMs: Date.now() - started, perSecond: (WORKERS * 1000) / perCompare, p50: perCompare, p95: NaN, p99: NaN };
  };
}

const closers: Array<() => Promise<unknown>> = [];

function figures(label: string, runs: LoadResult[]): Figure[] {
  const pick = (k: 'p50' | 'p95' | 'p99') => runs.map((r) => r[k]);
  return (['p50', 'p95', 'p99'] as const).map((k) => ({ figure: `${label} ${k}`, unit: 'ms', value: median(pick(k)), runs: pick(k), lowerIsBetter: true }));
}

async function main() {
  let db: Awaited<ReturnType<typeof benchDatabase>> | undefined;
  let jaeger: Awaited<ReturnType<typeof benchJaeger>> | undefined;
  let redis: PrivateService | undefined;
  const children: ChildProcess[] = [];
  const walDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-bench-login-wal-'));
  try {
    [db, redis, jaeger] = await Promise.all([benchDatabase(), startPrivateRedis(), benchJaeger()]);
    const prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    const hash = bcrypt.hashSync(PASSWORD, COST);
    const names = Array.from({ length: USERS }, (_, i) => `bench_user_${i}`);
    await prisma.user.createMany({ data: names.map((username, i) => ({ username, email: `${username}@bench.local`, phone: `+1555${String(i).padStart(7, '0')}`, passwordHash: hash })) });
    await prisma.$disconnect();
    const bodies = names.map((username) => JSON.stringify({ username, password: PASSWORD }));

    const baseline = spawnNode(['--import', 'tsx', 'bench/lib/login-express-baseline.ts']);
    children.push(baseline);
    const basePort = await new Promise<number>((resolve) => baseline.stdout!.once('data', (c) => resolve(Number(String(c).trim()))));
    const baseUrl = `http://127.0.0.1:${basePort}`;

    let gateways = 0;
    const startGateway = async (config: ServiceConfig, env: Record<string, string>) => {
      const gw = await startService('auth-gateway', config, {
        ...jaeger!.env,
        DATABASE_URL: db!.url,
        REDIS_URL: redis!.url,
        LOGIN_RATE_LIMIT: '1000000000',
        LOGIN_BCRYPT_WORKERS: String(WORKERS),
        BCRYPT_COST: String(COST),
        WAL_DIR: walDir,
        ...env,
      }, path.join(walDir, 'logs', `auth-gateway-${++gateways}.log`));
      children.push(gw.child);
      return gw;
    };
    // (a) every user logs in once first, so the measured logins are all credential-cache hits, as
    // shipped and with tracing off; (b) a cache of one entry and 64 users in turn, so every login runs bcrypt.
    const [hitsGw, hitsOffGw, missGw] = [await startGateway(SHIPPED, {}), await startGateway(TRACING_OFF, {}), await startGateway(SHIPPED, { LOGIN_CREDENTIAL_CACHE_SIZE: '1' })];
    for (const gw of [hitsGw, hitsOffGw]) {
      for (let i = 0; i < bodies.length; i += WORKERS) {
        await Promise.all(bodies.slice(i, i + WORKERS).map((body) => fetch(`${gw.url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })));
      }
    }
    const missesBefore = (await metric(hitsGw.url, 'login_credential_cache_misses_total')) + (await metric(hitsOffGw.url, 'login_credential_cache_misses_total'));

    const infra = infraProcesses({ databaseUrl: db.url, redisUrl: redis.url, jaegerOtlpPort: jaeger.otlpPort }).filter((p) => p.name !== 'kafka'); // a login does not touch Kafka
    const infraNames = infra.map((p) => p.name);
    sampler = new CpuSampler([
      { name: 'bare express', pid: baseline.pid! },
      { name: 'gateway (shipped)', pid: hitsGw.pid },
      { name: 'gateway (tracing off)', pid: hitsOffGw.pid },
      { name: 'gateway (cache misses, shipped)', pid: missGw.pid },
      ...infra,
    ]);
    const cpuOf = (process: string) => ({ process, system: [process, ...infraNames], settleOn: [process, ...infraNames.filter((n) => n === 'jaeger')], runs: [] as CpuPerOp[] });
    const express: Scenario = { name: '(c) bare express 5', run: (s) => load(baseUrl, bodies, HTTP_CONCURRENCY, s), target: { url: baseUrl, gateway: false }, runs: [], stalls: [], cpu: { ...cpuOf('bare express'), system: ['bare express'] } };
    const hits: Scenario = { name: '(a) cache hits, shipped', run: (s) => load(hitsGw.url, bodies, HTTP_CONCURRENCY, s), target: { url: hitsGw.url, gateway: true }, runs: [], stalls: [], cpu: cpuOf('gateway (shipped)') };
    const hitsOff: Scenario = { name: '(a) cache hits, tracing off', run: (s) => load(hitsOffGw.url, bodies, HTTP_CONCURRENCY, s), target: { url: hitsOffGw.url, gateway: true }, runs: [], stalls: [], cpu: cpuOf('gateway (tracing off)') };
    const misses: Scenario = { name: '(b) cache misses, shipped', run: (s) => load(missGw.url, bodies, BCRYPT_CONCURRENCY, s), target: { url: missGw.url, gateway: true }, runs: [], stalls: [], cpu: cpuOf('gateway (cache misses, shipped)') };
    const ceilingScenario: Scenario = { name: '(d) bcrypt ceiling', run: await bcryptCeiling(hash), runs: [], stalls: [] };
    const all = [express, hits, hitsOff, misses, ceilingScenario];
    for (const s of all) {
      console.log(`… warm-up ${WARMUP_SECONDS}s: ${s.name}`);
      await s.run(WARMUP_SECONDS);
    }
    await sampler.settle({ only: ['gateway (shipped)', 'gateway (cache misses, shipped)', ...infraNames.filter((n) => n === 'jaeger')] });
    console.log(`… idle baseline ${IDLE_SECONDS}s: ${JSON.stringify(await sampler.measureIdle(IDLE_SECONDS), (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))} CPU-ms/s`);
    await measure(all);
    const extraMisses = (await metric(hitsGw.url, 'login_credential_cache_misses_total')) + (await metric(hitsOffGw.url, 'login_credential_cache_misses_total')) - missesBefore;
    const missHits = await metric(missGw.url, 'login_credential_cache_hits_total');
    const ceilingRuns = ceilingScenario.runs.map((r) => r.perSecond);

    const rate = (x: { runs: LoadResult[] }) => x.runs.map((r) => r.perSecond);
    const expressRate = { name: '(c) bare express 5', value: median(rate(express)), runs: rate(express) };
    const ceiling = { name: `(d) bcrypt ceiling, ${WORKERS} workers`, value: median(ceilingRuns), runs: ceilingRuns };
    const hitRatio = median(rate(hits)) / expressRate.value;
    const missRatio = median(rate(misses)) / ceiling.value;
    const systemCpu = (x: Scenario) => x.cpu!.runs.map((c) => c.system);
    const gatewayCpu = (x: Scenario) => x.cpu!.runs.map((c) => c.perProcess[x.cpu!.process] ?? NaN);
    const onOff = median(systemCpu(hits)) / median(systemCpu(hitsOff));
    const onOffGateway = median(gatewayCpu(hits)) / median(gatewayCpu(hitsOff));
    const loadgenCpu = (x: Scenario) => x.runs.map((r) => (r.cpuMs ?? NaN) / Math.max(1, r.requests));
    const stalls = [...hits.stalls, ...hitsOff.stalls, ...misses.stalls];
    const machineStall = { name: 'bare express, same runs', value: Math.max(...express.stalls), runs: express.stalls };
    const BARE = 'bare express 5, no tracing';
    const withConfig = (config: string, rows: Figure[]) => rows.map((f) => ({ ...f, config }));
    const out: Figure[] = [
      ...withConfig(BARE, [{ figure: `(c) bare express 5 JSON POST, c=${HTTP_CONCURRENCY}`, unit: 'req/s', value: expressRate.value, runs: expressRate.runs }, ...figures('(c) bare express 5', express.runs)]),
      ...cpuFigures('(c) bare express 5', express.cpu!.runs, BARE),
      { figure: `(d) bcrypt ceiling (${WORKERS} workers / one cost-${COST} compare, pool busy)`, unit: 'login/s', value: ceiling.value, runs: ceiling.runs, config: `the gateway's compare worker in-process, cost ${COST}` },
      ...withConfig(SHIPPED.label, [
        { figure: `(a) login, credential-cache hits, c=${HTTP_CONCURRENCY}`, unit: 'login/s', value: median(rate(hits)), runs: rate(hits), baseline: expressRate, ratio: hitRatio, target: '>= 0.5 x bare express', pass: hitRatio >= 0.5 },
        ...figures('(a) cache hits', hits.runs),
        {
          figure: '(a) cache-hit login, whole-system CPU per login (gateway + Redis + PostgreSQL + Jaeger), tracing on vs off',
          unit: 'ms',
          value: median(systemCpu(hits)),
          runs: systemCpu(hits),
          baseline: { name: TRACING_OFF.label, value: median(systemCpu(hitsOff)), runs: systemCpu(hitsOff) },
          ratio: onOff,
          target: '<= 1.25 x tracing off',
          pass: onOff <= 1.25,
          lowerIsBetter: true,
        },
        {
          figure: '(a) cache-hit login, gateway CPU per login, tracing on vs off',
          unit: 'ms',
          value: median(gatewayCpu(hits)),
          runs: gatewayCpu(hits),
          baseline: { name: 'gateway, tracing off', value: median(gatewayCpu(hitsOff)), runs: gatewayCpu(hitsOff) },
          ratio: onOffGateway,
          lowerIsBetter: true,
        },
      ]),
      ...cpuFigures('(a) cache hits', hits.cpu!.runs, SHIPPED.label),
      ...withConfig(TRACING_OFF.label, [{ figure: `(a) login, credential-cache hits, c=${HTTP_CONCURRENCY}, tracing off`, unit: 'login/s', value: median(rate(hitsOff)), runs: rate(hitsOff) }, ...figures('(a) cache hits, tracing off', hitsOff.runs)]),
      ...cpuFigures('(a) cache hits, tracing off', hitsOff.cpu!.runs, TRACING_OFF.label),
      ...withConfig(SHIPPED.label, [
        { figure: `(b) login, cache misses, bcrypt cost ${COST}, c=${BCRYPT_CONCURRENCY}`, unit: 'login/s', value: median(rate(misses)), runs: rate(misses), baseline: ceiling, ratio: missRatio, target: '>= 0.95 x bcrypt ceiling of the pool', pass: missRatio >= 0.95 },
        ...figures('(b) cache misses', misses.runs),
        { figure: `(b) cache misses: refused per second (503 + Retry-After from the hash pool's wait budget; clients wait as told)`, unit: '/s', value: median(misses.runs.map((r) => ((r.refused ?? 0) * 1000) / r.durationMs)), runs: misses.runs.map((r) => ((r.refused ?? 0) * 1000) / r.durationMs) },
      ]),
      ...cpuFigures(`(b) cache misses, cost ${COST}`, misses.cpu!.runs, SHIPPED.label),
      { figure: 'load generator CPU per login, cache hits shipped (information: not in the system figures)', unit: 'ms', value: median(loadgenCpu(hits)), runs: loadgenCpu(hits), config: 'separate node process, keep-alive', lowerIsBetter: true },
      { figure: 'gateway event loop, longest stall (all measured runs)', unit: 'ms', value: Math.max(...stalls), runs: stalls, baseline: machineStall, target: '< 50 ms', pass: Math.max(...stalls) < 50, lowerIsBetter: true, config: SHIPPED.label },
    ];
    writeResults('login', out, {
      settings: { seconds: SECONDS, reps: REPS, warmupSeconds: WARMUP_SECONDS, httpConcurrency: HTTP_CONCURRENCY, bcryptConcurrency: BCRYPT_CONCURRENCY, workers: WORKERS, cost: COST, users: USERS, idleSeconds: IDLE_SECONDS, shipped: SHIPPED, tracingOff: TRACING_OFF },
      idleCpuMsPerSecond: Object.fromEntries(sampler.processes.map((p) => [p.name, sampler!.idleRate(p.name)])),
      checks: { cacheMissesDuringHitRuns: extraMisses, cacheHitsDuringMissRuns: missHits },
    });
    console.log(`checks: cache misses during the cache-hit runs = ${extraMisses}, cache hits during the cache-miss runs = ${missHits}`);
  } finally {
    await Promise.all(children.map(stop));
    await Promise.all(closers.map((c) => c()));
    await Promise.all([db?.drop(), redis?.destroy(), jaeger?.destroy()]);
    rmSync(walDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
