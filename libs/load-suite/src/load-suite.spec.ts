import { activeWorkers, maxWorkers, runStage, splitStage } from './runner';
import { emptySamples, stageReport, summarize } from './stats';
import { parseRuntime, compareSamples } from './soak';

describe('load suite statistics', () => {
  it('summarises latencies with nearest-rank percentiles', () => {
    const s = summarize(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(s).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100, avg: 50.5 });
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

  it('paces an open-loop stage to its rate', async () => {
    const run = await runStage({ name: 'p', concurrency: 16, durationSec: 1, thinkMs: 0, ratePerSec: 50 }, async () => ({ status: 200, ok: true }));
    expect(run.samples.at.length).toBeGreaterThanOrEqual(40);
    expect(run.samples.at.length).toBeLessThanOrEqual(52);
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
