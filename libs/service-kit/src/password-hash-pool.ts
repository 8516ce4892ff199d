import path from 'node:path';
import { Piscina } from 'piscina';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Which bcrypt runs in the workers; both read and write the same `$2b$` hashes. */
export const PASSWORD_HASH_IMPLS = ['bcryptjs', 'node-rs'] as const;
export type PasswordHashImpl = (typeof PASSWORD_HASH_IMPLS)[number];
/** The faster of the two on this project's machines (bench/bcrypt.bench.ts); the other stays as the fallback. */
export const DEFAULT_PASSWORD_HASH_IMPL: PasswordHashImpl = 'bcryptjs';

export interface PasswordHashPoolOptions {
  workers: number;
  impl: PasswordHashImpl;
  /** A task whose expected wait for a worker exceeds this is refused at once (HashPoolBusyError). */
  waitBudgetMs: number;
  /** Metrics go to this registry, named `<prefix>_bcrypt_hash_seconds`, `<prefix>_hash_pool_refused_total`, … */
  metrics?: { registry: Registry; prefix: string };
}

/** The pool is full: the caller answers 503 with Retry-After (nothing was queued). */
export class HashPoolBusyError extends Error {
  constructor(
    readonly expectedWaitMs: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`password hashing is busy (expected wait ${Math.round(expectedWaitMs)} ms)`);
    this.name = 'HashPoolBusyError';
  }
}

type Op = 'hash' | 'compare';

/** Time weight of the newest measurement in the running mean (recent load matters most). */
const EWMA_WEIGHT = 0.2;

/**
 * bcrypt in a fixed pool of worker threads (piscina) with a bounded queue. The bound is a time, not
 * a length: before queueing, the expected wait (work already admitted ÷ workers) is compared with a
 * budget, and over it the task is refused at once instead of waiting behind the others. Work is
 * estimated from the measured time of one bcrypt round (a running mean of time ÷ 2^cost), so hashes
 * and compares of different costs add up correctly. Tasks already running count in full: the
 * estimate errs towards refusing early rather than answering late.
 */
export class PasswordHashPool {
  private readonly pool: Piscina;
  private msPerRound = 0;
  private pendingWorkMs = 0;
  private pending = 0;
  private readonly seconds?: Histogram<'op' | 'cost'>;
  private readonly refused?: Counter<'op'>;

  constructor(private readonly options: PasswordHashPoolOptions) {
    this.pool = new Piscina({
      filename: path.join(__dirname, 'hash-worker.cjs'),
      minThreads: options.workers,
      maxThreads: options.workers,
      // Plain JS worker: no TS loader or tracing preload in each thread.
      execArgv: [],
    });
    const m = options.metrics;
    if (!m) return;
    this.seconds = new Histogram({ name: `${m.prefix}_bcrypt_hash_seconds`, help: 'Time of one bcrypt hash or compare inside a worker thread (no queueing)', labelNames: ['op', 'cost'] as const, buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5], registers: [m.registry] });
    this.refused = new Counter({ name: `${m.prefix}_hash_pool_refused_total`, help: 'bcrypt tasks refused because the expected wait exceeded the budget', labelNames: ['op'] as const, registers: [m.registry] });
    const expectedWaitSeconds = () => this.expectedWaitMs() / 1000;
    new Gauge({
      name: `${m.prefix}_hash_pool_expected_wait_seconds`,
      help: 'Expected wait for a bcrypt worker of a task arriving now',
      registers: [m.registry],
      collect() {
        this.set(expectedWaitSeconds());
      },
    });
  }

  hash(password: string, cost: number): Promise<string> {
    return this.run('hash', cost, { password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.run('compare', costOf(hash), { password, hash }) as Promise<boolean>;
  }

  /** How long a task arriving now would wait for a worker (0 while one is free). */
  expectedWaitMs(): number {
    return this.pending < this.options.workers ? 0 : this.pendingWorkMs / this.options.workers;
  }

  get workers(): number {
    return this.pool.threads.length;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  /** Throws HashPoolBusyError (and counts it) when a task arriving now would wait past the budget. */
  refuseIfBusy(op: Op): void {
    const waitMs = this.expectedWaitMs();
    if (waitMs <= this.options.waitBudgetMs) return;
    this.refused?.inc({ op });
    throw new HashPoolBusyError(waitMs, Math.max(1, Math.ceil(waitMs / 1000)));
  }

  private async run(op: Op, cost: number, task: { password: string; hash?: string; cost?: number }): Promise<string | boolean> {
    this.refuseIfBusy(op);
    const estimateMs = this.msPerRound * 2 ** cost;
    this.pending++;
    this.pendingWorkMs += estimateMs;
    try {
      const { value, ms } = (await this.pool.run({ ...task, op, impl: this.options.impl })) as { value: string | boolean; ms: number };
      this.measured(op, cost, ms);
      return value;
    } finally {
      this.pending--;
      // Never below zero: the estimate may have grown while the task ran.
      this.pendingWorkMs = this.pending === 0 ? 0 : Math.max(0, this.pendingWorkMs - estimateMs);
    }
  }

  private measured(op: Op, cost: number, ms: number): void {
    this.seconds?.observe({ op, cost: String(cost) }, ms / 1000);
    const perRound = ms / 2 ** cost;
    this.msPerRound = this.msPerRound === 0 ? perRound : this.msPerRound + EWMA_WEIGHT * (perRound - this.msPerRound);
  }
}

/** The cost of a `$2a$/$2b$/$2y$` hash (0 for anything else: bcrypt rejects it at once). */
function costOf(hash: string): number {
  const m = /^\$2[abxy]?\$(\d{2})\$/.exec(hash);
  return m ? Number(m[1]) : 0;
}
