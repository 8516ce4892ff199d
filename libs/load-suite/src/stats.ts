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

/**
 * The percentile of `values` (q in [0, 1]), nearest rank: the smallest sample with at least q of
 * all samples at or below it, so p99 is a latency some request really had. NaN when empty. The one
 * percentile implementation of the load suite and the benchmarks.
 */
export function percentile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  return nearestRank(Float64Array.from(values).sort(), q);
}

/**
 * The middle of `values`, the mean of the two middle ones for an even count (unlike percentile,
 * which always picks a sample): what the benchmarks report over their repeated runs. NaN when empty.
 */
export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Count, mean, p50/p95/p99 (nearest rank, see percentile) and max; all 0 when empty. */
export function summarize(values: number[]): LatencySummary {
  if (values.length === 0) return { count: 0, avg: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { count: s.length, avg: sum / s.length, p50: nearestRank(s, 0.5), p95: nearestRank(s, 0.95), p99: nearestRank(s, 0.99), max: s[s.length - 1] };
}

/**
 * What an open-model stage offered and what came back. `acceptedQps` is the rate of expected
 * answers completing inside the offered window after its first tenth (when answers to the first
 * requests are still on their way): a server that refuses, or falls behind and answers late, shows
 * up as accepted < offered.
 */
export interface OpenLoopFigures {
  offeredQps: number;
  acceptedQps: number;
  /** seconds over which requests were offered (the stage also waits for late answers) */
  windowSec: number;
  /** p99 of (actual send - scheduled send): > a few ms means the generator or its in-flight cap lagged */
  sendLagP99Ms: number;
}

/** Expected answers per second over (windowSec / 10, windowSec], by completion time (see OpenLoopFigures). */
export function acceptedRate(samples: Samples, windowSec: number): number {
  const from = windowSec * 100; // ms: a tenth of the window
  const to = windowSec * 1000;
  let n = 0;
  for (let i = 0; i < samples.at.length; i++) if (samples.ok[i] && samples.at[i] > from && samples.at[i] <= to) n++;
  return windowSec > 0 ? n / (windowSec * 0.9) : 0;
}

export interface StageReport extends LatencySummary {
  stage: string;
  scenario: string;
  durationSec: number;
  qps: number;
  /** answers that were neither what the operation expects nor an honest refusal (503) */
  errors: number;
  errorRate: number;
  /**
   * 503s: overload protection said "not now, retry after" (hash pool over its wait budget, login
   * fast-fail, a dependency down) and nothing was written. Counted apart from errors: refusing the
   * excess quickly is the system working as designed under load, not a wrong answer.
   */
  refused: number;
  refusedRate: number;
  /** count per HTTP status ("0" = network error or timeout) */
  byStatus: Record<string, number>;
  /** 202 → request state "applied", for creates (only when wait-for-user is on); notApplied: ended rejected or dead-lettered */
  waitForUser?: LatencySummary & { timedOut: number; notApplied: number };
  /** the load tool's own CPU use during the stage, % of one core (summed over processes) */
  toolCpuPercent: number;
  /** open-model stages only (latencies there run from the scheduled send time) */
  open?: OpenLoopFigures;
  /** per-second series for the chart */
  perSecond: { second: number; count: number; p50: number; p99: number; errors: number }[];
}

export function stageReport(scenario: string, stage: string, durationSec: number, samples: Samples, toolCpuPercent: number, waits?: { ms: number[]; timedOut: number; notApplied: number }, open?: { offeredQps: number; windowSec: number; sendLagP99Ms: number }): StageReport {
  const lat = summarize(samples.latencyMs);
  const byStatus: Record<string, number> = {};
  let errors = 0;
  let refused = 0;
  for (let i = 0; i < samples.status.length; i++) {
    byStatus[samples.status[i]] = (byStatus[samples.status[i]] ?? 0) + 1;
    if (samples.ok[i]) continue;
    if (samples.status[i] === 503) refused++;
    else errors++;
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
    refused,
    refusedRate: lat.count ? refused / lat.count : 0,
    byStatus,
    ...(waits ? { waitForUser: { ...summarize(waits.ms), timedOut: waits.timedOut, notApplied: waits.notApplied } } : {}),
    toolCpuPercent,
    ...(open ? { open: { ...open, acceptedQps: acceptedRate(samples, open.windowSec) } } : {}),
    perSecond,
  };
}

const n = (v: number, d = 1) => (v >= 1000 ? v.toFixed(0) : v.toFixed(d));

/** The per-stage table printed at the end of a run. */
export function formatTable(reports: StageReport[]): string {
  const head = ['stage', 'requests', 'qps', 'offered/accepted', 'avg ms', 'p50', 'p95', 'p99', 'max', 'errors', 'refused (503)', 'by status', 'wait-for-user p50/p99 ms', 'tool cpu'];
  const rows = reports.map((r) => [
    r.stage,
    String(r.count),
    n(r.qps),
    r.open ? `${n(r.open.offeredQps)}/${n(r.open.acceptedQps)}${r.open.sendLagP99Ms > 10 ? ` (send lag p99 ${n(r.open.sendLagP99Ms)} ms)` : ''}` : '-',
    n(r.avg, 2),
    n(r.p50, 2),
    n(r.p95, 2),
    n(r.p99, 2),
    n(r.max, 2),
    `${(r.errorRate * 100).toFixed(2)}%`,
    `${(r.refusedRate * 100).toFixed(2)}%`,
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
