import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Shared output of every benchmark under bench/: a table on stdout and bench/results/<name>.json,
 * which `npm run bench` collects into bench/RESULTS.md. Figures are medians of several runs; each
 * one is reported next to its baseline measured in the same process, as a ratio. Percentiles of
 * samples and medians of runs come from @usersys/load-suite (one implementation for the suite and here).
 */
/**
 * Figures count only on the Node the project ships (tools/bootstrap.sh's NODE_VERSION): a benchmark
 * started with another `node` on PATH (the machine's own) measures a different runtime. Checked on
 * import, so a wrong runtime fails before the run, not after it.
 */
const SHIPPED_NODE_MAJOR = /^NODE_VERSION="(\d+)\./m.exec(readFileSync(path.resolve(__dirname, '../../tools/bootstrap.sh'), 'utf8'))?.[1];
if (process.versions.node.split('.')[0] !== SHIPPED_NODE_MAJOR) {
  throw new Error(`benchmarks run on the shipped Node ${SHIPPED_NODE_MAJOR} (tools/bootstrap.sh), this is ${process.version}: use npm run bench, or put .tools/node/bin first on PATH`);
}

export interface Figure {
  /** e.g. "create accepted/s, bcrypt cost 4, c=64" */
  figure: string;
  unit: string;
  /** median of the measured runs (warm-up discarded) */
  value: number;
  runs: number[];
  baseline?: { name: string; value: number; runs: number[] };
  /** value / baseline.value (or baseline / value when lowerIsBetter) */
  ratio?: number;
  /** human text, e.g. ">= 0.9 x bcrypt ceiling" or "p99 < 50 ms" */
  target?: string;
  pass?: boolean;
  lowerIsBetter?: boolean;
  /**
   * The configuration the figure was measured in, e.g. "shipped (tracing otlp, LOG_LEVEL=info)" or
   * "tracing off (OTEL_TRACES_EXPORTER=none)"; RESULTS.md shows it in its own column.
   */
  config?: string;
}

export function spread(xs: number[]): { min: number; max: number } {
  return { min: Math.min(...xs), max: Math.max(...xs) };
}

export function machine() {
  return { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
}

const fmt = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 || n === 0 ? n.toFixed(2) : n.toPrecision(2)) : String(n));

export function writeResults(name: string, figures: Figure[], extra: Record<string, unknown> = {}): string {
  const dir = path.resolve(__dirname, '../results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ name, date: new Date().toISOString(), machine: machine(), figures, ...extra }, null, 2) + '\n');
  const rows = figures.map((f) => [
    f.figure,
    f.config ?? '',
    `${fmt(f.value)} ${f.unit}`,
    f.runs.length > 1 ? `${fmt(spread(f.runs).min)}–${fmt(spread(f.runs).max)}` : '',
    f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : '',
    f.ratio !== undefined ? fmt(f.ratio) : '',
    f.target ?? '',
    f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS',
  ]);
  const head = ['figure', 'config', 'median', 'spread', 'baseline', 'ratio', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ');
  console.log(`\n${name}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\nwritten ${path.relative(process.cwd(), file)}`);
  return file;
}
