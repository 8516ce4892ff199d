// bcrypt implementations and the WAL (issue 15). Run: node --import tsx bench/bcrypt.bench.ts
//
// 1. @node-rs/bcrypt against bcryptjs, hash and compare at costs 4, 10 and 12, in the same run and
//    interleaved: CPU-ms per operation (process.cpuUsage around synchronous calls on this thread,
//    the figure that is stable on a shared machine) and the ratio bcryptjs ÷ node-rs. The services
//    default to node-rs only where it is at least 1.3× faster (PASSWORD_HASH_IMPL picks either).
// 2. The WAL's append latency (16 appenders, group commit, fdatasync) alone, beside two threads
//    spinning on the CPU (the control: what CPU contention alone costs), while node-rs's async
//    hash() fills libuv's thread pool (which the WAL's fs calls share), and while the services'
//    PasswordHashPool (hashing synchronously in worker threads, no libuv slot) runs the same load.
import { median, summarize } from '@usersys/load-suite';
import { DEFAULT_PASSWORD_HASH_IMPL, PasswordHashPool, type PasswordHashImpl } from '@usersys/service-kit';
import { WalWriter } from '@usersys/wal';
import * as nodeRs from '@node-rs/bcrypt';
import bcryptjs from 'bcryptjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { writeResults, type Figure } from './lib/report';
import { benchEvent } from './lib/wal-records';

const QUICK = process.env.BENCH_QUICK === '1';
const REPS = Number(process.env.BENCH_REPS ?? (QUICK ? 1 : 3));
const COSTS = [4, 10, 12];
/** Operations per measurement: about half a second each at this machine's speed. */
const OPS: Record<number, number> = QUICK ? { 4: 50, 10: 3, 12: 1 } : { 4: 400, 10: 8, 12: 2 };
const WAL_MS = Number(process.env.BENCH_WAL_MS ?? (QUICK ? 1500 : 5000));
const APPENDERS = 16;
/** Hashes kept in flight during the WAL runs: more than libuv's 4 threads and the pool's 2 workers. */
const HASHES_IN_FLIGHT = 8;
const HASH_COST = 10;
const POOL_WORKERS = 2;
const ROOT = path.resolve(__dirname, '../.data/bench-wal');
const PASSWORD = 'correct horse battery staple';

interface Impl {
  name: PasswordHashImpl;
  hash: (password: string, cost: number) => string;
  compare: (password: string, hash: string) => boolean;
}
const IMPLS: Impl[] = [
  { name: 'node-rs', hash: (p, c) => nodeRs.hashSync(p, c), compare: (p, h) => nodeRs.verifySync(p, h) },
  { name: 'bcryptjs', hash: (p, c) => bcryptjs.hashSync(p, c), compare: (p, h) => bcryptjs.compareSync(p, h) },
];

/** CPU-ms of this thread's process per call of `op` (nothing else runs meanwhile: the calls are synchronous). */
function cpuMsPerOp(n: number, op: () => unknown): number {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) op();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / n;
}

function implFigures(): Figure[] {
  const figures: Figure[] = [];
  for (const cost of COSTS) {
    const hashOf = Object.fromEntries(IMPLS.map((impl) => [impl.name, impl.hash(PASSWORD, cost)])); // also the warm-up
    const runs: Record<string, number[]> = {};
    for (let rep = 0; rep < REPS; rep++) {
      // Alternate the order so a slow moment of the machine does not always hit the same one.
      for (const impl of rep % 2 ? [...IMPLS].reverse() : IMPLS) {
        (runs[`${impl.name} hash`] ??= []).push(cpuMsPerOp(OPS[cost], () => impl.hash(PASSWORD, cost)));
        // Compares the other implementation's hash: the same `$2b$` format either way.
        const other = hashOf[impl.name === 'node-rs' ? 'bcryptjs' : 'node-rs'];
        (runs[`${impl.name} compare`] ??= []).push(cpuMsPerOp(OPS[cost], () => impl.compare(PASSWORD, other)));
      }
    }
    for (const op of ['hash', 'compare']) {
      const fast = runs[`node-rs ${op}`];
      const slow = runs[`bcryptjs ${op}`];
      const ratio = median(slow) / median(fast);
      figures.push({ figure: `bcryptjs ${op}, cost ${cost}, CPU per op`, unit: 'CPU-ms', value: median(slow), runs: slow, lowerIsBetter: true });
      figures.push({ figure: `@node-rs/bcrypt ${op}, cost ${cost}, CPU per op`, unit: 'CPU-ms', value: median(fast), runs: fast, baseline: { name: 'bcryptjs', value: median(slow), runs: slow }, ratio, target: cost === 10 ? '>= 1.3 x faster to be the default' : undefined, pass: cost === 10 ? ratio >= 1.3 : undefined, lowerIsBetter: true });
      console.log(`  cost ${cost} ${op}: bcryptjs ${median(slow).toFixed(2)} CPU-ms, node-rs ${median(fast).toFixed(2)} CPU-ms (x${ratio.toFixed(2)})`);
    }
  }
  return figures;
}

/** Append latencies (ms) of APPENDERS concurrent appenders for WAL_MS, while `background` runs. */
async function walLatencies(label: string, background?: { start(): void; stop(): Promise<void> }): Promise<number[]> {
  const dir = path.join(ROOT, `bcrypt-${label}-${process.pid}-${Date.now()}`);
  await fs.mkdir(dir, { recursive: true });
  const wal = await WalWriter.open(dir);
  const latencies: number[] = [];
  try {
    background?.start();
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the background load fill its threads
    const deadline = performance.now() + WAL_MS;
    let i = 0;
    await Promise.all(
      Array.from({ length: APPENDERS }, async () => {
        while (performance.now() < deadline) {
          const t0 = performance.now();
          await wal.append(benchEvent(i++));
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    await background?.stop();
    await wal.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
  return latencies;
}

/** Keeps HASHES_IN_FLIGHT hashes running through `hash` until stopped. */
function hashLoad(hash: () => Promise<unknown>): { start(): void; stop(): Promise<void> } {
  let running = false;
  let loops: Promise<void>[] = [];
  return {
    start() {
      running = true;
      loops = Array.from({ length: HASHES_IN_FLIGHT }, async () => {
        while (running) await hash();
      });
    },
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** `n` worker threads each spinning on the CPU until stopped. */
function spinThreads(n: number): { start(): void; stop(): Promise<void> } {
  let workers: Worker[] = [];
  return {
    start() {
      workers = Array.from({ length: n }, () => new Worker('for (;;) {}', { eval: true }));
    },
    async stop() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

async function walFigures(): Promise<Figure[]> {
  const pool = new PasswordHashPool({ workers: POOL_WORKERS, impl: DEFAULT_PASSWORD_HASH_IMPL, waitBudgetMs: Number.MAX_SAFE_INTEGER });
  try {
    await pool.hash(PASSWORD, HASH_COST); // starts the workers
    await walLatencies('warm-up');
    const scenarios = {
      alone: () => walLatencies('alone'),
      // The control: the same two cores busy without bcrypt or libuv, so what remains above it is not CPU.
      [`${POOL_WORKERS} threads spinning (CPU only)`]: () => walLatencies('spin', spinThreads(POOL_WORKERS)),
      'node-rs async hash() (libuv pool)': () => walLatencies('libuv', hashLoad(() => nodeRs.hash(PASSWORD, HASH_COST))),
      [`PasswordHashPool (${POOL_WORKERS} worker threads, ${DEFAULT_PASSWORD_HASH_IMPL})`]: () => walLatencies('pool', hashLoad(() => pool.hash(PASSWORD, HASH_COST))),
    };
    const p99s: Record<string, number[]> = {};
    const p50s: Record<string, number[]> = {};
    for (let rep = 0; rep < REPS; rep++) {
      for (const [name, run] of Object.entries(scenarios)) {
        const s = summarize(await run());
        (p99s[name] ??= []).push(s.p99);
        (p50s[name] ??= []).push(s.p50);
        console.log(`  WAL append, ${name}: p50 ${s.p50.toFixed(2)} ms, p99 ${s.p99.toFixed(2)} ms (${s.count} appends)`);
      }
    }
    const alone = { name: 'WAL alone', value: median(p99s.alone), runs: p99s.alone };
    return Object.keys(scenarios).flatMap((name): Figure[] => {
      const during = name === 'alone' ? 'alone' : name.includes('spinning') ? `beside ${name}` : `during ${HASHES_IN_FLIGHT} cost-${HASH_COST} hashes in flight via ${name}`;
      return [
        { figure: `WAL append p50, ${APPENDERS} appenders, ${during}`, unit: 'ms', value: median(p50s[name]), runs: p50s[name], lowerIsBetter: true },
        { figure: `WAL append p99, ${APPENDERS} appenders, ${during}`, unit: 'ms', value: median(p99s[name]), runs: p99s[name], lowerIsBetter: true, ...(name === 'alone' ? {} : { baseline: alone, ratio: median(p99s[name]) / alone.value }) },
      ];
    });
  } finally {
    await pool.close();
  }
}

async function main() {
  console.log(`bcrypt: node-rs vs bcryptjs at costs ${COSTS.join(', ')}, ${REPS} rep(s)`);
  const figures = implFigures();
  console.log(`WAL append latency with hashing beside it (default implementation: ${DEFAULT_PASSWORD_HASH_IMPL})`);
  figures.push(...(await walFigures()));
  writeResults('bcrypt', figures, { settings: { reps: REPS, ops: OPS, walMs: WAL_MS, appenders: APPENDERS, hashesInFlight: HASHES_IN_FLIGHT, hashCost: HASH_COST, poolWorkers: POOL_WORKERS, defaultImpl: DEFAULT_PASSWORD_HASH_IMPL, quick: QUICK } });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
