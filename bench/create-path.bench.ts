// Create through user-command at concurrency 64, bcrypt cost 4 and cost 10: accepted/s, p50/p95/p99
// of the synchronous path, the per-step breakdown, and the bcrypt ceiling (hash workers ÷ one hash's
// time, measured in this run) with the ratio. The ceiling is given twice: from one hash timed here
// before the load (the issue's definition), and from the mean time of a hash inside the service's
// workers during the load, which is what the pool could do with the CPU it actually got on a shared
// machine; the ratio to the latter says whether anything besides bcrypt holds the path back. Starts user-command itself on a free port with a temp
// WAL dir, against the shared Redis and a throw-away PostgreSQL database; cleans up its keys.
// As shipped: tracing on (default exporter and sampling), LOG_LEVEL=info. This is a closed loop: at
// c=64 its p99 is queueing by Little's law (64 ÷ rate), so the 50 ms target for the synchronous
// path is checked under an open-model load in bench/create-capacity.bench.ts instead.
//
//   node --import tsx bench/create-path.bench.ts
//   BENCH_SECONDS=3 BENCH_REPS=3 BENCH_COSTS=4 node --import tsx bench/create-path.bench.ts   (quicker)
//   BENCH_QUICK=1: 2 s, one rep (a smoke run); OTEL_TRACES_EXPORTER=none: tracing off
import bcrypt from 'bcryptjs';
import { DEFAULT_REDIS_URL } from '@usersys/config';
import { createTestDatabase } from '@usersys/db-testing';
import { median, summarize } from '@usersys/load-suite';
import { startServices } from '@usersys/service-runner';
import { freePort } from '@usersys/test-infra';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { reservationKey } from '@usersys/user-cache';
import { Redis } from 'ioredis';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { newRunIdentity, processCpuMs, runCreateLoad, scrapeSteps, signUpOf, stepMeans } from './lib/create-load';
import { writeResults, type Figure } from './lib/report';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const QUICK = process.env.BENCH_QUICK === '1';
const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 5));
const REPS = QUICK ? 1 : Math.max(3, Number(process.env.BENCH_REPS ?? 3));
const TRACES = process.env.OTEL_TRACES_EXPORTER ?? 'otlp';
const COSTS = (process.env.BENCH_COSTS ?? '4,10').split(',').map(Number);
const HASH_WORKERS = Number(process.env.HASH_WORKERS ?? 2);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? `${DEFAULT_REDIS_URL}/5`;
const TOKEN = 'bench-internal-token';
const STEPS = ['checkUserExist', 'ensureContactUniqueness', 'hashPassword', 'hashInWorker', 'markUserPendingCreate', 'reassertContacts', 'confirmUsernameFree', 'recordRequest', 'walAppend'];

/** One bcrypt hash at `cost` on this machine, now (median of a few, after one warm-up). */
function hashMs(cost: number): { ms: number; runs: number[] } {
  const n = cost <= 6 ? 30 : 5;
  bcrypt.hashSync('warm-up password', cost);
  const runs = Array.from({ length: n }, () => {
    const t0 = performance.now();
    bcrypt.hashSync('benchmark password', cost);
    return performance.now() - t0;
  });
  return { ms: median(runs), runs };
}

async function main() {
  const db = await createTestDatabase({ migrate: true });
  const redis = new Redis(REDIS_URL);
  const run = newRunIdentity();
  let next = 0;
  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  try {
    for (const cost of COSTS) {
      const walDir = await mkdtemp(path.join(os.tmpdir(), 'bench-create-wal-'));
      const port = await freePort();
      const services = await startServices({
        only: ['user-command'],
        logDir: path.join(walDir, 'logs'),
        env: {
          USER_COMMAND_PORT: String(port),
          DATABASE_URL: db.url,
          REDIS_URL,
          WAL_DIR: walDir,
          INTERNAL_TOKEN: TOKEN,
          BCRYPT_COST: String(cost),
          HASH_WORKERS: String(HASH_WORKERS),
          OTEL_TRACES_EXPORTER: TRACES,
          LOG_LEVEL: 'info',
          // BENCH_PROFILE=<dir>: a V8 CPU profile of user-command, written when it stops.
          ...(process.env.BENCH_PROFILE ? { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${process.env.BENCH_PROFILE}` } : {}),
        },
      });
      const url = `http://127.0.0.1:${port}`;
      const pid = services.processes.get('user-command')!.pid!;
      try {
        const hash = hashMs(cost);
        const ceiling = HASH_WORKERS / (hash.ms / 1000);
        const seconds = cost >= 10 ? SECONDS * 2 : SECONDS;
        // Warm-up (discarded): JIT, connection pools, worker threads.
        next = (await runCreateLoad({ url, token: TOKEN, concurrency: CONCURRENCY, seconds: Math.max(2, seconds / 2), run, first: next })).next;
        const reps: { cpuPerRequest: number; rate: number; p50: number; p95: number; p99: number; steps: Record<string, number>; failed: Record<string, number> }[] = [];
        for (let i = 0; i < REPS; i++) {
          const before = await scrapeSteps(url);
          const cpu0 = processCpuMs(pid);
          const r = await runCreateLoad({ url, token: TOKEN, concurrency: CONCURRENCY, seconds, run, first: next });
          next = r.next;
          const cpuPerRequest = (processCpuMs(pid) - cpu0) / Math.max(1, r.accepted);
          const steps = stepMeans(before, await scrapeSteps(url));
          reps.push({ cpuPerRequest, rate: r.accepted / r.seconds, p50: summarize(r.latencies).p50, p95: summarize(r.latencies).p95, p99: summarize(r.latencies).p99, steps, failed: r.failed });
          console.log(`cost ${cost} rep ${i + 1}: ${(r.accepted / r.seconds).toFixed(1)}/s p50 ${reps[i].p50.toFixed(1)} p95 ${reps[i].p95.toFixed(1)} p99 ${reps[i].p99.toFixed(1)} ms; ${cpuPerRequest.toFixed(2)} ms CPU/request; failed ${JSON.stringify(r.failed)}`);
        }
        const pick = (k: 'rate' | 'p50' | 'p95' | 'p99') => reps.map((r) => r[k]);
        const label = `bcrypt cost ${cost}, c=${CONCURRENCY} closed loop, ${HASH_WORKERS} hash workers, tracing ${TRACES === 'none' ? 'off' : 'on'}`;
        const rateFig: Figure = { figure: `create accepted/s, ${label}`, unit: '/s', value: median(pick('rate')), runs: pick('rate'), baseline: { name: `bcrypt ceiling = ${HASH_WORKERS} workers / ${hash.ms.toFixed(1)} ms hash`, value: ceiling, runs: hash.runs.map((ms) => HASH_WORKERS / (ms / 1000)) } };
        rateFig.ratio = rateFig.value / ceiling;
        figures.push(rateFig);
        const inRun = reps.map((r) => HASH_WORKERS / (r.steps.hashInWorker / 1000));
        const inRunFig: Figure = { figure: `create accepted/s vs in-run ceiling, ${label}`, unit: '/s', value: rateFig.value, runs: rateFig.runs, baseline: { name: `in-run ceiling = ${HASH_WORKERS} workers / ${median(reps.map((r) => r.steps.hashInWorker)).toFixed(1)} ms hash in worker`, value: median(inRun), runs: inRun } };
        inRunFig.ratio = median(reps.map((r, i) => r.rate / inRun[i]));
        if (cost >= 10) Object.assign(inRunFig, { target: '>= 0.9 x bcrypt ceiling', pass: inRunFig.ratio >= 0.9 });
        figures.push(inRunFig);
        for (const q of ['p50', 'p95', 'p99'] as const) {
          figures.push({ figure: `create ${q} synchronous path, ${label}`, unit: 'ms', value: median(pick(q)), runs: pick(q), lowerIsBetter: true });
        }
        figures.push({ figure: `  user-command CPU per accepted create (all threads), cost ${cost}`, unit: 'ms', value: median(reps.map((r) => r.cpuPerRequest)), runs: reps.map((r) => r.cpuPerRequest), lowerIsBetter: true });
        for (const step of STEPS) {
          const runs = reps.map((r) => r.steps[step]).filter((v) => v !== undefined);
          if (runs.length) figures.push({ figure: `  step ${step} mean, cost ${cost}`, unit: 'ms', value: median(runs), runs, lowerIsBetter: true });
        }
        details[`cost${cost}`] = { hashMs: hash.runs, reps };
      } finally {
        await services.stop();
        await rm(walDir, { recursive: true, force: true });
      }
    }
  } finally {
    // Every key this run can have written, by exact name (the shared Redis is left as it was).
    for (let from = 0; from < next; from += 1000) {
      const pipeline = redis.pipeline();
      for (let n = from; n < Math.min(next, from + 1000); n++) {
        const u = signUpOf(run, n);
        pipeline.del(pendingMarkerKey(u.username), reservationKey('email', u.email), reservationKey('phone', u.phone));
      }
      await pipeline.exec();
    }
    redis.disconnect();
    await db.drop();
  }
  const configuration = `user-command as shipped (tracing ${TRACES === 'none' ? 'off' : `on, ${TRACES} exporter, default sampling`}, LOG_LEVEL=info), ${HASH_WORKERS} hash workers, closed loop c=${CONCURRENCY}`;
  writeResults('create-path', figures, { configuration, quick: QUICK, concurrency: CONCURRENCY, secondsPerRep: SECONDS, reps: REPS, hashWorkers: HASH_WORKERS, tracesExporter: TRACES, details });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
