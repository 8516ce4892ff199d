/** Samples of one stage: when each request finished, how long it took, what it answered. */
export interface Samples {
  /** ms since the stage started, at completion */
  at: number[];
  latencyMs: number[];
  status: number[];
  /** per request: did it answer what the operation expects (e.g. 202 for a create) */
  ok: boolean[];
}

export const emptySamples = (): Samples => ({ at: [], latencyMs: [], status: [], ok: [] });

export function mergeSamples(into: Samples, from: Samples): Samples {
  for (let i = 0; i < from.at.length; i++) {
    into.at.push(from.at[i]);
    into.latencyMs.push(from.latencyMs[i]);
    into.status.push(from.status[i]);
    into.ok.push(from.ok[i]);
  }
  return into;
}

export interface LatencySummary {
  count: number;
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, avg: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const s = Float64Array.from(values).sort();
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, avg: sum / s.length, p50: q(0.5), p95: q(0.95), p99: q(0.99), max: s[s.length - 1] };
}

export interface StageReport extends LatencySummary {
  stage: string;
  scenario: string;
  durationSec: number;
  qps: number;
  errors: number;
  errorRate: number;
  /** count per HTTP status ("0" = network error or timeout) */
  byStatus: Record<string, number>;
  /** 202 → request state "applied", for creates (only when wait-for-user is on); notApplied: ended rejected or dead-lettered */
  waitForUser?: LatencySummary & { timedOut: number; notApplied: number };
  /** the load tool's own CPU use during the stage, % of one core (summed over processes) */
  toolCpuPercent: number;
  /** per-second series for the chart */
  perSecond: { second: number; count: number; p50: number; p99: number; errors: number }[];
}

export function stageReport(scenario: string, stage: string, durationSec: number, samples: Samples, toolCpuPercent: number, waits?: { ms: number[]; timedOut: number; notApplied: number }): StageReport {
  const lat = summarize(samples.latencyMs);
  const byStatus: Record<string, number> = {};
  let errors = 0;
  for (let i = 0; i < samples.status.length; i++) {
    byStatus[samples.status[i]] = (byStatus[samples.status[i]] ?? 0) + 1;
    if (!samples.ok[i]) errors++;
  }
  const buckets = new Map<number, { lat: number[]; errors: number }>();
  for (let i = 0; i < samples.at.length; i++) {
    const sec = Math.floor(samples.at[i] / 1000);
    const b = buckets.get(sec) ?? { lat: [], errors: 0 };
    b.lat.push(samples.latencyMs[i]);
    if (!samples.ok[i]) b.errors++;
    buckets.set(sec, b);
  }
  const perSecond = [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, b]) => {
      const s = summarize(b.lat);
      return { second, count: s.count, p50: s.p50, p99: s.p99, errors: b.errors };
    });
  return {
    scenario,
    stage,
    durationSec,
    qps: durationSec > 0 ? lat.count / durationSec : 0,
    ...lat,
    errors,
    errorRate: lat.count ? errors / lat.count : 0,
    byStatus,
    ...(waits ? { waitForUser: { ...summarize(waits.ms), timedOut: waits.timedOut, notApplied: waits.notApplied } } : {}),
    toolCpuPercent,
    perSecond,
  };
}

const n = (v: number, d = 1) => (v >= 1000 ? v.toFixed(0) : v.toFixed(d));

/** The per-stage table printed at the end of a run. */
export function formatTable(reports: StageReport[]): string {
  const head = ['stage', 'requests', 'qps', 'avg ms', 'p50', 'p95', 'p99', 'max', 'errors', 'by status', 'wait-for-user p50/p99 ms', 'tool cpu'];
  const rows = reports.map((r) => [
    r.stage,
    String(r.count),
    n(r.qps),
    n(r.avg, 2),
    n(r.p50, 2),
    n(r.p95, 2),
    n(r.p99, 2),
    n(r.max, 2),
    `${(r.errorRate * 100).toFixed(2)}%`,
    Object.entries(r.byStatus)
      .map(([s, c]) => `${s}:${c}`)
      .join(' '),
    r.waitForUser ? `${n(r.waitForUser.p50)}/${n(r.waitForUser.p99)}${r.waitForUser.timedOut ? ` (${r.waitForUser.timedOut} timed out)` : ''}${r.waitForUser.notApplied ? ` (${r.waitForUser.notApplied} not applied)` : ''}` : '-',
    `${r.toolCpuPercent.toFixed(0)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
