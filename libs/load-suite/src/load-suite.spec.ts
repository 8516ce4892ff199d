import { activeWorkers, maxWorkers, runStage, splitStage } from './runner';
import { acceptedRate, emptySamples, median, percentile, stageReport, summarize } from './stats';
import { parseRuntime, compareSamples } from './soak';

describe('load suite statistics', () => {
  it('takes the median of repeated runs, averaging the two middle ones for an even count', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });
  it('summarises latencies with nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, avg: 50.5 });
  });

  it('has one nearest-rank percentile: a value some request really had', () => {
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(percentile([7], 0)).toBe(7);
    expect(percentile([], 0.99)).toBeNaN();
    const values = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    expect(summarize(values).p99).toBe(percentile(values, 0.99));
  });

  it('counts as accepted only expected answers inside the offered window, after its first tenth', () => {
    const samples = emptySamples();
    // window 10 s: 50 ms (warm-up tenth), 5 s ok, 6 s refused, 9.9 s ok, 12 s (late, after the window)
    for (const [at, ok] of [[50, true], [5000, true], [6000, false], [9900, true], [12000, true]] as const) {
      samples.at.push(at);
      samples.latencyMs.push(1);
      samples.status.push(ok ? 202 : 503);
      samples.ok.push(ok);
    }
    expect(acceptedRate(samples, 10)).toBeCloseTo(2 / 9, 10);
    const r = stageReport('create', 'open', 12, samples, 1, undefined, { offeredQps: 0.5, windowSec: 10, sendLagP99Ms: 0 });
    expect(r.open).toEqual({ offeredQps: 0.5, windowSec: 10, sendLagP99Ms: 0, acceptedQps: 2 / 9 });
  });

  it('counts errors by expectation, not by status class', () => {
    const samples = emptySamples();
    [200, 200, 401, 0].forEach((status, i) => {
      samples.at.push(i * 600);
      samples.latencyMs.push(10);
      samples.status.push(status);
      samples.ok.push(status === 200);
    });
    const r = stageReport('login', 'x', 2, samples, 5);
    expect(r.errors).toBe(2);
    expect(r.byStatus).toEqual({ '0': 1, '200': 2, '401': 1 });
    expect(r.qps).toBe(2);
    expect(r.perSecond.map((p) => p.second)).toEqual([0, 1]);
  });
});

describe('load suite stages', () => {
  it('ramps and spikes the number of active workers', () => {
    const ramp = { name: 'r', concurrency: 8, rampTo: 128, durationSec: 30, thinkMs: 0 };
    expect(activeWorkers(ramp, 0)).toBe(8);
    expect(activeWorkers(ramp, 15)).toBe(68);
    expect(activeWorkers(ramp, 30)).toBe(128);
    const spike = { name: 's', concurrency: 16, spike: { concurrency: 256, atSec: 10, forSec: 5 }, durationSec: 30, thinkMs: 0 };
    expect([activeWorkers(spike, 9), activeWorkers(spike, 12), activeWorkers(spike, 15)]).toEqual([16, 256, 16]);
    expect(maxWorkers(spike)).toBe(256);
    expect(splitStage(spike, 4)).toMatchObject({ concurrency: 4, spike: { concurrency: 64 } });
  });

  it('stops a count-bound stage after exactly that many requests', async () => {
    let calls = 0;
    const run = await runStage({ name: 'c', concurrency: 8, requests: 100, thinkMs: 0 }, async () => {
      calls++;
      await new Promise((r) => setImmediate(r));
      return { status: 200, ok: true };
    });
    expect(calls).toBe(100);
    expect(run.samples.at).toHaveLength(100);
  });

  it('paces workers to a rate', async () => {
    const run = await runStage({ name: 'p', concurrency: 16, durationSec: 1, thinkMs: 0, ratePerSec: 50 }, async () => ({ status: 200, ok: true }));
    expect(run.samples.at.length).toBeGreaterThanOrEqual(40);
    expect(run.samples.at.length).toBeLessThanOrEqual(52);
  });
});

describe('open model (arrival rate)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A server that answers each request `serviceMs` after it arrives, one at a time (a queue). */
  const singleServer = (serviceMs: number) => {
    let busyUntil = 0;
    return () => {
      const now = performance.now();
      busyUntil = Math.max(busyUntil, now) + serviceMs;
      return new Promise<{ status: number; ok: boolean }>((r) => setTimeout(() => r({ status: 200, ok: true }), busyUntil - now));
    };
  };

  it('measures latency from the scheduled send time, so a queue that forms is counted (coordinated omission)', async () => {
    // 100/s offered (every 10 ms) to a server that needs 20 ms per request: request k is due at
    // 10k ms and answered at 20(k+1) ms, so its latency is 10k + 20 ms. A closed-loop client
    // would have reported 20 ms for every request.
    const done = runStage({ name: 'o', concurrency: 1024, requests: 20, thinkMs: 0, arrivalRate: 100 }, singleServer(20));
    await jest.advanceTimersByTimeAsync(1000);
    const run = await done;
    expect(run.samples.latencyMs.map((ms) => Math.round(ms))).toEqual(Array.from({ length: 20 }, (_, k) => 10 * k + 20));
    expect(run.open).toMatchObject({ offeredQps: 100, windowSec: 0.2 });
  });

  it('keeps sending on schedule while earlier requests are unanswered', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const slow = () => {
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      return new Promise<{ status: number; ok: boolean }>((r) => setTimeout(() => (inFlight--, r({ status: 200, ok: true })), 1000));
    };
    const done = runStage({ name: 'o', concurrency: 1024, durationSec: 1, thinkMs: 0, arrivalRate: 50 }, slow);
    await jest.advanceTimersByTimeAsync(3000);
    const run = await done;
    expect(run.samples.at).toHaveLength(50);
    expect(maxInFlight).toBe(50);
  });

  it('a due request held back by the in-flight cap still counts from its scheduled time', async () => {
    // cap 1, 10 ms per request, due every 5 ms: request k is sent at 10k, answered at 10k + 10.
    const done = runStage({ name: 'o', concurrency: 1, requests: 4, thinkMs: 0, arrivalRate: 200 }, () => new Promise((r) => setTimeout(() => r({ status: 200, ok: true }), 10)));
    await jest.advanceTimersByTimeAsync(1000);
    const run = await done;
    expect(run.samples.latencyMs.map((ms) => Math.round(ms))).toEqual([10, 15, 20, 25]);
    expect(run.open!.sendLagP99Ms).toBeGreaterThanOrEqual(15);
  });

  it('paced workers (ratePerSec) also time each request from its slot', async () => {
    const done = runStage({ name: 'p', concurrency: 1, requests: 4, thinkMs: 0, ratePerSec: 200 }, () => new Promise((r) => setTimeout(() => r({ status: 200, ok: true }), 10)));
    await jest.advanceTimersByTimeAsync(1000);
    const run = await done;
    expect(run.samples.latencyMs.map((ms) => Math.round(ms))).toEqual([10, 15, 20, 25]);
  });

  it('splits its rate over processes', () => {
    expect(splitStage({ name: 'o', concurrency: 1024, durationSec: 10, thinkMs: 0, arrivalRate: 300 }, 3)).toMatchObject({ arrivalRate: 100, concurrency: 342 });
  });
});

describe('soak sampling', () => {
  it('reads runtime figures from prom-client text and flags growth', () => {
    const text = ['process_resident_memory_bytes 104857600', 'nodejs_heap_size_used_bytes 52428800', 'nodejs_eventloop_lag_p99_seconds 0.012', 'nodejs_active_handles_total 10'].join('\n');
    const a = parseRuntime(text);
    expect(a).toEqual({ rssMiB: 100, heapUsedMiB: 50, eventLoopP99Ms: 12, activeHandles: 10 });
    const b = { ...a, rssMiB: 200, activeHandles: 40 };
    const flagged = compareSamples({ svc: a }, { svc: b }).filter((f) => f.flagged).map((f) => f.metric);
    expect(flagged).toEqual(['rssMiB', 'activeHandles']);
  });
});
