import { emptySamples, summarize, type Samples } from './stats';
import type { OperationResult } from './scenarios';

/** One named stage of a run (the original team's stages; see load.config.json). */
export interface StageSpec {
  name: string;
  /** workers at the start (fixed stages: throughout) */
  concurrency: number;
  /** stop after this long ... */
  durationSec?: number;
  /** ... or after this many requests (count-bound stages such as db_connection_pool) */
  requests?: number;
  /** pause between a worker's requests; 0 in burst stages */
  thinkMs: number;
  /** stress_ramp: workers grow linearly from `concurrency` to this over the stage */
  rampTo?: number;
  /** stress_spike: `concurrency` workers, then `spike.concurrency` for `forSec` from `atSec` */
  spike?: { concurrency: number; atSec: number; forSec: number };
  /** open-loop pacing (soak): at most this many requests per second over all workers */
  ratePerSec?: number;
}

export function maxWorkers(spec: StageSpec): number {
  return Math.max(spec.concurrency, spec.rampTo ?? 0, spec.spike?.concurrency ?? 0);
}

export function activeWorkers(spec: StageSpec, elapsedSec: number): number {
  if (spec.rampTo !== undefined && spec.durationSec) {
    return Math.round(spec.concurrency + (spec.rampTo - spec.concurrency) * Math.min(1, elapsedSec / spec.durationSec));
  }
  if (spec.spike && elapsedSec >= spec.spike.atSec && elapsedSec < spec.spike.atSec + spec.spike.forSec) return spec.spike.concurrency;
  return spec.concurrency;
}

/** Splits a stage across `n` processes (workers, request counts and rates divided evenly). */
export function splitStage(spec: StageSpec, n: number): StageSpec {
  const div = (v: number) => Math.max(1, Math.ceil(v / n));
  return {
    ...spec,
    concurrency: div(spec.concurrency),
    ...(spec.rampTo !== undefined ? { rampTo: div(spec.rampTo) } : {}),
    ...(spec.spike ? { spike: { ...spec.spike, concurrency: div(spec.spike.concurrency) } } : {}),
    ...(spec.requests !== undefined ? { requests: div(spec.requests) } : {}),
    ...(spec.ratePerSec !== undefined ? { ratePerSec: spec.ratePerSec / n } : {}),
  };
}

export interface StageRun {
  samples: Samples;
  elapsedSec: number;
  /** CPU used by this process during the stage, % of one core */
  cpuPercent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one stage in this process: up to maxWorkers(spec) async workers on keep-alive connections,
 * each looping request → (think) → request while it is among the active ones. No artificial waits
 * beyond the configured think time and pacing.
 */
export async function runStage(spec: StageSpec, operation: (worker: number, i: number) => Promise<OperationResult>, progress?: (line: string) => void): Promise<StageRun> {
  const samples = emptySamples();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = spec.durationSec ? started + spec.durationSec * 1000 : Infinity;
  let issued = 0;
  const budget = spec.requests ?? Infinity;
  let paced = 0;

  let lastTick = started;
  let lastCount = 0;
  const timer = progress
    ? setInterval(() => {
        const now = performance.now();
        const recent = samples.latencyMs.slice(lastCount);
        const errs = samples.ok.slice(lastCount).filter((ok) => !ok).length;
        const s = summarize(recent);
        const elapsed = (now - started) / 1000;
        progress(
          `[${spec.name}] ${elapsed.toFixed(0)}s${spec.durationSec ? `/${spec.durationSec}s` : ` ${samples.at.length}/${spec.requests}`} ` +
            `workers ${activeWorkers(spec, elapsed)} qps ${(recent.length / ((now - lastTick) / 1000)).toFixed(0)} p50 ${s.p50.toFixed(1)}ms p99 ${s.p99.toFixed(1)}ms errors ${errs}`,
        );
        lastTick = now;
        lastCount = samples.at.length;
      }, 1000)
    : null;

  const worker = async (w: number) => {
    let i = 0;
    for (;;) {
      const now = performance.now();
      if (now >= deadline || issued >= budget) return;
      if (w >= activeWorkers(spec, (now - started) / 1000)) {
        await sleep(20);
        continue;
      }
      if (spec.ratePerSec) {
        const slot = started + (paced++ * 1000) / spec.ratePerSec;
        if (slot > now) await sleep(slot - now);
        if (performance.now() >= deadline) return;
      }
      issued++;
      const t0 = performance.now();
      let result: OperationResult;
      try {
        result = await operation(w, i++);
      } catch {
        result = { status: 0, ok: false };
      }
      const t1 = performance.now();
      samples.at.push(t1 - started);
      samples.latencyMs.push(t1 - t0);
      samples.status.push(result.status);
      samples.ok.push(result.ok);
      if (spec.thinkMs > 0) await sleep(spec.thinkMs);
    }
  };
  await Promise.all(Array.from({ length: maxWorkers(spec) }, (_, w) => worker(w)));
  if (timer) clearInterval(timer);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return { samples, elapsedSec: elapsedMs / 1000, cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100 };
}
