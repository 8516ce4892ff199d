import { emptySamples, percentile, summarize, type Samples } from './stats';
import type { OperationResult } from './scenarios';

/**
 * One named stage of a run (the original team's stages; see load.config.json). Closed model by
 * default: `concurrency` workers, each sending its next request when the previous one answered.
 * With `arrivalRate`, open model: requests are due at fixed intervals whatever the answers.
 */
export interface StageSpec {
  name: string;
  /** workers at the start (fixed stages: throughout); open model: the cap on requests in flight */
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
  /** paced workers: at most this many requests per second over all workers; latency runs from each slot */
  ratePerSec?: number;
  /**
   * Open model: request k is due at start + k / arrivalRate s, sent then whether or not earlier
   * ones answered (a due request waits only for the `concurrency` cap). Latency runs from the
   * scheduled send time, so queueing the server causes is counted, not hidden (coordinated omission).
   */
  arrivalRate?: number;
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
    ...(spec.arrivalRate !== undefined ? { arrivalRate: spec.arrivalRate / n } : {}),
  };
}

export interface StageRun {
  samples: Samples;
  elapsedSec: number;
  /** CPU used by this process during the stage, % of one core */
  cpuPercent: number;
  /** open model only: the rate offered and how late the sends were against their schedule */
  open?: { offeredQps: number; windowSec: number; sendLagP99Ms: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints one line per second: the stage's progress, rate, latency and errors since the last line. */
function progressTimer(spec: StageSpec, started: number, samples: Samples, progress: (line: string) => void): NodeJS.Timeout {
  let lastTick = started;
  let lastCount = 0;
  return setInterval(() => {
    const now = performance.now();
    const recent = samples.latencyMs.slice(lastCount);
    const errs = samples.ok.slice(lastCount).filter((ok) => !ok).length;
    const s = summarize(recent);
    const elapsed = (now - started) / 1000;
    const load = spec.arrivalRate ? `offered ${spec.arrivalRate.toFixed(0)}/s` : `workers ${activeWorkers(spec, elapsed)}`;
    progress(
      `[${spec.name}] ${elapsed.toFixed(0)}s${spec.durationSec ? `/${spec.durationSec}s` : ` ${samples.at.length}/${spec.requests}`} ` +
        `${load} qps ${(recent.length / ((now - lastTick) / 1000)).toFixed(0)} p50 ${s.p50.toFixed(1)}ms p99 ${s.p99.toFixed(1)}ms errors ${errs}`,
    );
    lastTick = now;
    lastCount = samples.at.length;
  }, 1000);
}

/** Runs one stage in this process: the open model when `spec.arrivalRate` is set, else closed. */
export function runStage(spec: StageSpec, operation: (worker: number, i: number) => Promise<OperationResult>, progress?: (line: string) => void): Promise<StageRun> {
  return spec.arrivalRate ? runOpenStage(spec, operation, progress) : runClosedStage(spec, operation, progress);
}

/**
 * Closed model: up to maxWorkers(spec) async workers on keep-alive connections, each looping
 * request → (think) → request while it is among the active ones. No artificial waits beyond the
 * configured think time and pacing. Paced workers (`ratePerSec`) time each request from its slot.
 */
async function runClosedStage(spec: StageSpec, operation: (worker: number, i: number) => Promise<OperationResult>, progress?: (line: string) => void): Promise<StageRun> {
  const samples = emptySamples();
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const deadline = spec.durationSec ? started + spec.durationSec * 1000 : Infinity;
  let issued = 0;
  const budget = spec.requests ?? Infinity;
  let paced = 0;
  const timer = progress ? progressTimer(spec, started, samples, progress) : null;

  const worker = async (w: number) => {
    let i = 0;
    for (;;) {
      const now = performance.now();
      if (now >= deadline || issued >= budget) return;
      if (w >= activeWorkers(spec, (now - started) / 1000)) {
        await sleep(20);
        continue;
      }
      let t0: number;
      if (spec.ratePerSec) {
        const slot = started + (paced++ * 1000) / spec.ratePerSec;
        if (slot > now) await sleep(slot - now);
        if (performance.now() >= deadline) return;
        t0 = slot; // a slot missed because every worker was busy still counts from when it was due
      } else {
        t0 = performance.now();
      }
      issued++;
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

/**
 * Open model: one scheduler sends request k at start + k / arrivalRate (or as soon after as the
 * in-flight cap allows) and never waits for answers otherwise. Each latency is completion minus
 * the scheduled send time. The stage lasts until the last answer (`elapsedSec` includes that
 * drain); stats' acceptedRate says whether the answers kept up with the offered rate.
 */
async function runOpenStage(spec: StageSpec, operation: (worker: number, i: number) => Promise<OperationResult>, progress?: (line: string) => void): Promise<StageRun> {
  const rate = spec.arrivalRate!;
  const total = spec.requests ?? Math.floor((spec.durationSec ?? 0) * rate);
  const cap = Math.max(1, spec.concurrency);
  const samples = emptySamples();
  const sendLag: number[] = [];
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const timer = progress ? progressTimer(spec, started, samples, progress) : null;
  let inFlight = 0;
  let freed: (() => void) | null = null;
  const running = new Set<Promise<void>>();

  const send = (k: number, scheduled: number) => {
    inFlight++;
    const p = operation(k % cap, k)
      .catch((): OperationResult => ({ status: 0, ok: false }))
      .then((result) => {
        const t1 = performance.now();
        samples.at.push(t1 - started);
        samples.latencyMs.push(t1 - scheduled);
        samples.status.push(result.status);
        samples.ok.push(result.ok);
        inFlight--;
        running.delete(p);
        freed?.();
      });
    running.add(p);
  };

  for (let k = 0; k < total; k++) {
    const scheduled = started + (k * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait >= 1) await sleep(wait);
    else await new Promise<void>((r) => setImmediate(r)); // behind schedule: send at once, but let answers in
    while (inFlight >= cap) await new Promise<void>((r) => (freed = r));
    freed = null;
    sendLag.push(performance.now() - scheduled);
    send(k, scheduled);
  }
  while (running.size) await Promise.all([...running]);
  if (timer) clearInterval(timer);
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return {
    samples,
    elapsedSec: elapsedMs / 1000,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    open: { offeredQps: rate, windowSec: total / rate, sendLagP99Ms: percentile(sendLag, 0.99) || 0 },
  };
}
