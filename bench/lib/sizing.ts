/**
 * The sizing model of docs/capacity.md: whole-system CPU-ms per operation, as the shipped
 * benchmarks measured it (bench/results/*.json), turned into vCPU for a request mix. CPU scales
 * linearly with requests (each request's work is independent; the pools refuse instead of
 * queueing), so a mix costs the sum of its parts; bench/sizing.bench.ts checks that on a real run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export type Operation = 'login' | 'loginUncached' | 'refresh' | 'signUp';

/** Whole-system CPU-ms per operation (services + PostgreSQL + Redis + Kafka + Jaeger). */
export type Costs = Record<Operation, number>;

/** Operations per second of a mix. */
export type Mix = Partial<Record<Operation, number>>;

const RESULTS_DIR = path.resolve(__dirname, '../results');

interface ResultFile {
  date: string;
  figures: Array<{ figure: string; value: number }>;
}

function readResult(name: string): ResultFile {
  return JSON.parse(readFileSync(path.join(RESULTS_DIR, `${name}.json`), 'utf8')) as ResultFile;
}

/** The value of the one figure of a result file whose name starts with `prefix`. */
export function figureValue(result: ResultFile, prefix: string): number {
  const found = result.figures.filter((f) => f.figure.startsWith(prefix));
  if (found.length !== 1) throw new Error(`sizing: ${found.length} figures start with "${prefix}" (expected exactly one)`);
  return found[0].value;
}

/**
 * The shipped per-operation costs from the benchmarks' result files. Sign-up at the shipped bcrypt
 * cost (10) is derived: the whole system at cost 4 (e2e-create) with user-command's CPU replaced
 * by user-command's CPU per accepted create at cost 10 (create-capacity); the rest of a sign-up
 * (gateway, relay, Kafka, consumer, PostgreSQL, Redis, Jaeger) does not depend on the cost.
 */
export function shippedCosts(read: (name: string) => ResultFile = readResult): { costs: Costs; signUpCost4: number } {
  const login = read('login');
  const refresh = read('refresh');
  const e2e = read('e2e-create');
  const capacity = read('create-capacity');
  const signUpCost4 = figureValue(e2e, '  sign-up per accepted create, bcrypt cost 4, c=64: whole-system CPU per op');
  const commandCost4 = figureValue(e2e, '  sign-up per accepted create, bcrypt cost 4, c=64: user-command CPU per op');
  const commandCost10 = figureValue(capacity, '  user-command CPU per accepted create (all threads), 80%');
  return {
    costs: {
      login: figureValue(login, '  (a) cache hits: whole-system CPU per op'),
      loginUncached: figureValue(login, '  (b) cache misses, cost 10: whole-system CPU per op'),
      refresh: figureValue(refresh, '  check cache on, per refresh: whole-system CPU per op'),
      signUp: signUpCost4 - commandCost4 + commandCost10,
    },
    signUpCost4,
  };
}

/** CPU-ms per second (1000 = one vCPU busy) a mix needs. */
export function cpuMsPerSecond(mix: Mix, costs: Costs): number {
  return (Object.entries(mix) as Array<[Operation, number]>).reduce((sum, [op, rate]) => sum + rate * costs[op], 0);
}

/** vCPU for `rate` operations per second of one kind. */
export function vcpuFor(op: Operation, rate: number, costs: Costs): number {
  return (rate * costs[op]) / 1000;
}
