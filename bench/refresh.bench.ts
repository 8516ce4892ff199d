/**
 * Refresh benchmark (issue 13): refreshes per second through the gateway and CPU-ms per refresh in
 * the gateway process and in Redis, next to Keycloak's published sizing figure (120 refresh
 * requests/s per vCPU, https://www.keycloak.org/high-availability/concepts-memory-and-cpu-sizing).
 * Ours per vCPU = refreshes/s ÷ the gateway's CPU cores used during the run (its CPU time ÷ wall
 * time), so the figure does not depend on how many cores the machine lends it.
 *
 * Each virtual client is a chain, as a real client is: it logs in once, then refreshes with the
 * refresh token the previous refresh returned (every refresh: verify, per-account check, rotation in
 * Redis, two signatures). A non-200 answer is counted as an error and that client logs in again.
 * Two gateways, measured in alternating rounds: (a) as shipped (the per-account check cached for
 * SESSION_CHECK_CACHE_TTL=1s, which the back-to-back chains of a few accounts nearly always hit) and
 * (b) with that cache off, the cost of a real account's refresh every few minutes. Keycloak's
 * figure includes TLS and its session store; ours is plain HTTP on keep-alive sockets.
 *
 *   node --import tsx bench/refresh.bench.ts
 *   BENCH_SECONDS=10 BENCH_REPS=3 BENCH_CONCURRENCY=64 (defaults); BENCH_QUICK=1: a short smoke run
 *   As shipped: tracing on (OTEL_TRACES_EXPORTER=otlp to the local Jaeger) and the default log level;
 *   OTEL_TRACES_EXPORTER=none to compare without tracing.
 *
 * The gateway is started with the project's own service command (tracing preload included) against
 * a throw-away PostgreSQL database (users inserted directly, bcrypt cost 4) and a private Redis, so
 * Redis's CPU (INFO cpu) is this run's alone. The load generator is this process, on keep-alive
 * sockets; on a small machine it competes with the gateway for CPU, which lowers refreshes/s but
 * not the CPU-ms per refresh.
 */
import { createPrismaClient, createTestDatabase, type TestDatabase } from '@usersys/db';
import { HttpClient, runStage, summarize } from '@usersys/load-suite';
import { startServices, type RunningServices } from '@usersys/service-runner';
import { freePort, startPrivateRedis, type PrivateService } from '@usersys/test-infra';
import bcrypt from 'bcryptjs';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { processCpuMs } from './lib/create-load';
import { median, writeResults, type Figure } from './lib/report';

const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10));
const REPS = QUICK ? 1 : Math.max(3, Number(process.env.BENCH_REPS ?? 3));
const WARMUP_SECONDS = QUICK ? 1 : 3;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const PASSWORD = 'bench-refresh-password';
/** Keycloak's sizing guide: refresh token requests per second per vCPU. */
const KEYCLOAK_REFRESH_PER_VCPU = 120;

interface Pair {
  accessToken: string;
  refreshToken: string;
}

interface Rep {
  refreshesPerSecond: number;
  gatewayCpuMsPerRefresh: number;
  gatewayCores: number;
  perGatewayVcpu: number;
  redisCpuMsPerRefresh: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Redis's own CPU time so far (main thread and background threads), ms. */
async function redisCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1000;
}

interface Scenario {
  name: string;
  label: string;
  env: Record<string, string>;
  pid: number;
  client: HttpClient;
  run: (seconds: number) => ReturnType<typeof runStage>;
  reps: Rep[];
}

async function main(): Promise<void> {
  let db: TestDatabase | undefined;
  let privateRedis: PrivateService | undefined;
  const running: RunningServices[] = [];
  const scenarios: Scenario[] = [];
  let redis: Redis | undefined;
  let relogins = 0;
  const walDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-bench-refresh-wal-'));
  try {
    [db, privateRedis] = await Promise.all([createTestDatabase({ migrate: true }), startPrivateRedis()]);
    const prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const names = Array.from({ length: CONCURRENCY }, (_, i) => `bench_refresh_${i}`);
    await prisma.user.createMany({ data: names.map((username, i) => ({ username, email: `${username}@bench.local`, phone: `+1555${String(i).padStart(7, '0')}`, passwordHash: hash })) });
    await prisma.$disconnect();
    redis = new Redis(privateRedis.url, { maxRetriesPerRequest: 1 });

    // (a) the shipped default: each of the accounts refreshes back to back, so its per-account
    // check is served from the in-process cache (SESSION_CHECK_CACHE_TTL 1s) nearly every time;
    // (b) that cache off: every refresh reads the account from PostgreSQL and the revoked-before
    // marker from Redis, which is what a real account (one refresh every few minutes) costs.
    const setups: { name: string; label: string; env: Record<string, string> }[] = [
      { name: 'check cache on', label: '(a) per-account check cached (SESSION_CHECK_CACHE_TTL=1s, default)', env: {} },
      { name: 'check cache off', label: '(b) per-account check on every refresh (SESSION_CHECK_CACHE_TTL=0ms)', env: { SESSION_CHECK_CACHE_TTL: '0ms' } },
    ];
    for (const setup of setups) {
      const port = await freePort();
      const services = await startServices({
        only: ['auth-gateway'],
        logDir: path.join(walDir, 'logs'),
        env: {
          AUTH_GATEWAY_PORT: String(port),
          DATABASE_URL: db.url,
          REDIS_URL: privateRedis.url,
          WAL_DIR: walDir,
          BCRYPT_COST: '4',
          LOGIN_RATE_LIMIT: '1000000000',
          OTEL_TRACES_EXPORTER: process.env.OTEL_TRACES_EXPORTER ?? 'otlp',
          ...setup.env,
        },
      });
      running.push(services);
      const client = new HttpClient(`http://127.0.0.1:${port}`, CONCURRENCY);
      const login = async (username: string): Promise<Pair> => {
        const res = await client.request('POST', '/v1/auth/login', { username, password: PASSWORD });
        if (res.status !== 200) throw new Error(`login of ${username} answered ${res.status}: ${res.body.slice(0, 200)}`);
        return JSON.parse(res.body) as Pair;
      };
      // One chain per virtual client: its current pair, replaced by every refresh's answer.
      const chains = await Promise.all(names.map(login));
      const refreshOnce = async (worker: number) => {
        const res = await client.request('POST', '/v1/auth/refresh', { refreshToken: chains[worker].refreshToken });
        if (res.status === 200) {
          chains[worker] = JSON.parse(res.body) as Pair;
          return { status: 200, ok: true };
        }
        relogins++;
        chains[worker] = await login(names[worker]);
        return { status: res.status, ok: false };
      };
      const run = (seconds: number) => runStage({ name: setup.name, concurrency: CONCURRENCY, durationSec: seconds, thinkMs: 0 }, refreshOnce);
      scenarios.push({ ...setup, pid: services.processes.get('auth-gateway')!.pid!, client, run, reps: [] });
    }

    for (const s of scenarios) {
      console.log(`… warm-up ${WARMUP_SECONDS}s: ${s.name}`);
      await s.run(WARMUP_SECONDS);
    }
    // Rounds: every scenario once per round, so both see the same background load (shared machine).
    for (let i = 0; i < REPS; i++) {
      for (const s of scenarios) {
        const [gw0, redis0, t0] = [processCpuMs(s.pid), await redisCpuMs(redis), performance.now()];
        const r = await s.run(SECONDS);
        const [gw1, redis1, t1] = [processCpuMs(s.pid), await redisCpuMs(redis), performance.now()];
        const ok = r.samples.ok.filter(Boolean).length;
        const lat = summarize(r.samples.latencyMs.filter((_, k) => r.samples.ok[k]));
        const rate = ok / r.elapsedSec;
        const cores = (gw1 - gw0) / (t1 - t0);
        const rep: Rep = {
          refreshesPerSecond: rate,
          gatewayCpuMsPerRefresh: (gw1 - gw0) / Math.max(1, ok),
          gatewayCores: cores,
          perGatewayVcpu: rate / cores,
          redisCpuMsPerRefresh: (redis1 - redis0) / Math.max(1, ok),
          p50: lat.p50,
          p99: lat.p99,
          errors: r.samples.ok.length - ok,
        };
        s.reps.push(rep);
        console.log(
          `round ${i + 1}/${REPS} ${s.name}: ${rate.toFixed(0)} refresh/s, gateway ${rep.gatewayCpuMsPerRefresh.toFixed(3)} CPU-ms/refresh on ${cores.toFixed(2)} cores = ${rep.perGatewayVcpu.toFixed(0)}/s per vCPU, Redis ${rep.redisCpuMsPerRefresh.toFixed(3)} CPU-ms/refresh, p50 ${lat.p50.toFixed(1)} p99 ${lat.p99.toFixed(1)} ms, errors ${rep.errors}`,
        );
      }
    }
    if (relogins > 0) console.log(`${relogins} refreshes were refused and their clients logged in again`);
  } finally {
    for (const s of scenarios) s.client.close();
    redis?.disconnect();
    await Promise.all(running.map((r) => r.stop()));
    await Promise.all([db?.drop(), privateRedis?.destroy()]);
    rmSync(walDir, { recursive: true, force: true });
  }

  const keycloak = { name: 'Keycloak sizing: refresh requests/s per vCPU', value: KEYCLOAK_REFRESH_PER_VCPU, runs: [KEYCLOAK_REFRESH_PER_VCPU] };
  const figures: Figure[] = [];
  let errors = 0;
  for (const s of scenarios) {
    const pick = (k: keyof Rep) => s.reps.map((r) => r[k]);
    const perVcpu = median(pick('perGatewayVcpu'));
    errors += pick('errors').reduce((a, b) => a + b, 0);
    figures.push(
      { figure: `${s.label}: refreshes/s, ${CONCURRENCY} client chains`, unit: '/s', value: median(pick('refreshesPerSecond')), runs: pick('refreshesPerSecond') },
      { figure: `  gateway CPU per refresh (all threads)`, unit: 'ms', value: median(pick('gatewayCpuMsPerRefresh')), runs: pick('gatewayCpuMsPerRefresh'), lowerIsBetter: true },
      { figure: `  gateway CPU cores used`, unit: 'cores', value: median(pick('gatewayCores')), runs: pick('gatewayCores') },
      { figure: `  refreshes/s per gateway vCPU (refreshes/s / cores used)`, unit: '/s', value: perVcpu, runs: pick('perGatewayVcpu'), baseline: keycloak, ratio: perVcpu / KEYCLOAK_REFRESH_PER_VCPU },
      { figure: `  Redis CPU per refresh`, unit: 'ms', value: median(pick('redisCpuMsPerRefresh')), runs: pick('redisCpuMsPerRefresh'), lowerIsBetter: true },
      { figure: `  refresh p50`, unit: 'ms', value: median(pick('p50')), runs: pick('p50'), lowerIsBetter: true },
      { figure: `  refresh p99`, unit: 'ms', value: median(pick('p99')), runs: pick('p99'), lowerIsBetter: true },
    );
  }
  figures.push({ figure: 'refused refreshes (non-200), all runs', unit: '', value: errors, runs: [errors], target: '0', pass: errors === 0, lowerIsBetter: true });
  writeResults('refresh', figures, { concurrency: CONCURRENCY, secondsPerRun: SECONDS, reps: REPS, tracesExporter: process.env.OTEL_TRACES_EXPORTER ?? 'otlp', details: Object.fromEntries(scenarios.map((s) => [s.name, s.reps])) });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
