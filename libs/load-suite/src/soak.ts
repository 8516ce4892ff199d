/** Runtime figures of one service, read from its Prometheus /metrics (prom-client default metrics). */
export interface RuntimeSample {
  rssMiB: number;
  heapUsedMiB: number;
  eventLoopP99Ms: number;
  activeHandles: number;
}

const METRICS: Record<keyof RuntimeSample, [string, number]> = {
  rssMiB: ['process_resident_memory_bytes', 1 / 2 ** 20],
  heapUsedMiB: ['nodejs_heap_size_used_bytes', 1 / 2 ** 20],
  eventLoopP99Ms: ['nodejs_eventloop_lag_p99_seconds', 1000],
  activeHandles: ['nodejs_active_handles_total', 1],
};

export function parseRuntime(text: string): RuntimeSample {
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
  };
  const out = {} as RuntimeSample;
  for (const [k, [name, scale]] of Object.entries(METRICS) as [keyof RuntimeSample, [string, number]][]) out[k] = value(name) * scale;
  return out;
}

export async function sampleServices(services: Record<string, string>): Promise<Record<string, RuntimeSample | null>> {
  const out: Record<string, RuntimeSample | null> = {};
  for (const [name, url] of Object.entries(services)) {
    try {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
      out[name] = res.ok ? parseRuntime(await res.text()) : null;
    } catch {
      out[name] = null;
    }
  }
  return out;
}

export interface GrowthFinding {
  service: string;
  metric: keyof RuntimeSample;
  start: number;
  end: number;
  flagged: boolean;
}

/**
 * Start vs end of a soak. Flags RSS or heap growth over 50% (and over 32 MiB), more than 20 extra
 * active handles, or an event-loop p99 over 100 ms at the end: the leaks the original team hunted
 * as goroutines are handles, timers and listeners here.
 */
export function compareSamples(start: Record<string, RuntimeSample | null>, end: Record<string, RuntimeSample | null>): GrowthFinding[] {
  const findings: GrowthFinding[] = [];
  for (const service of Object.keys(start)) {
    const a = start[service];
    const b = end[service];
    if (!a || !b) continue;
    const grew = (k: 'rssMiB' | 'heapUsedMiB') => b[k] > a[k] * 1.5 && b[k] - a[k] > 32;
    findings.push(
      { service, metric: 'rssMiB', start: a.rssMiB, end: b.rssMiB, flagged: grew('rssMiB') },
      { service, metric: 'heapUsedMiB', start: a.heapUsedMiB, end: b.heapUsedMiB, flagged: grew('heapUsedMiB') },
      { service, metric: 'activeHandles', start: a.activeHandles, end: b.activeHandles, flagged: b.activeHandles - a.activeHandles > 20 },
      { service, metric: 'eventLoopP99Ms', start: a.eventLoopP99Ms, end: b.eventLoopP99Ms, flagged: b.eventLoopP99Ms > 100 },
    );
  }
  return findings;
}
