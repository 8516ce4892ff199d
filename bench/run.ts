// `npm run bench`: every benchmark, one after the other (they would disturb each other in
// parallel), then bench/RESULTS.md and bench/results/all.json from their bench/results/<name>.json.
//   npm run bench -- [--only a,b] [--quick] [--help]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Figure } from './lib/report';

interface ResultFile {
  name: string;
  date: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; platform: string };
  figures: Figure[];
  /** the configuration of every figure that does not name its own */
  config?: string;
}

const BENCH = __dirname;
const help = (names: string[]) => `usage: npm run bench -- [--only <name>[,<name>...]] [--quick] [--report] [--help]

Runs every bench/<name>.bench.ts one after the other (or only the named ones), then writes
bench/RESULTS.md and bench/results/all.json from bench/results/<name>.json (the newest result of
every benchmark, also of earlier single runs).

  --only a,b   run only these benchmarks (names without .bench.ts): ${names.join(', ')}
  --quick      short runs (BENCH_QUICK=1): a smoke run, not a result
  --report     run nothing: only rewrite RESULTS.md and all.json from bench/results
  --help       this text

Every benchmark runs the services as shipped (tracing on with the default exporter and sampling,
LOG_LEVEL=info) unless a row's config column says otherwise, and reports CPU-ms per operation for
each process (services, PostgreSQL with its backends, Redis, Kafka, Jaeger) with the idle baseline
of the same run removed. Needs the infrastructure (npm start or npm test prepares it).
`;
const { values } = parseArgs({ options: { only: { type: 'string' }, quick: { type: 'boolean' }, report: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
const only = values.only?.split(',').map((s) => s.trim());
const all = readdirSync(BENCH)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .sort();
if (values.help) {
  process.stdout.write(help(all));
  process.exit(0);
}
const benches = values.report ? [] : all.filter((name) => !only || only.includes(name));
if (benches.length === 0 && !values.report) {
  process.stderr.write(`bench: nothing to run${only ? ` (no bench/<name>.bench.ts for ${only.join(', ')})` : ''}\n`);
  process.exit(2);
}

const failed: string[] = [];
const ran: string[] = [];
for (const name of benches) {
  process.stdout.write(`\n=== bench ${name} ===\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--enable-source-maps', '--import', 'tsx', path.join(BENCH, `${name}.bench.ts`)], {
    stdio: 'inherit',
    env: { ...process.env, ...(values.quick ? { BENCH_QUICK: '1' } : {}) },
  });
  process.stdout.write(`=== bench ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(0)}s ===\n`);
  (r.status === 0 ? ran : failed).push(name);
}

// Collect every result file (also ones from earlier single runs), newest data per benchmark.
const results: ResultFile[] = readdirSync(path.join(BENCH, 'results'))
  .filter((f) => f.endsWith('.json') && f !== 'all.json')
  .map((f) => JSON.parse(readFileSync(path.join(BENCH, 'results', f), 'utf8')) as ResultFile)
  .sort((a, b) => a.name.localeCompare(b.name));

const fmt = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 || n === 0 ? n.toFixed(2) : n.toPrecision(2));
const lines = [
  '# Benchmark results',
  '',
  'Written by `npm run bench` (bench/run.ts) from bench/results/*.json. Each figure is the median of',
  'several runs after a discarded warm-up, next to a baseline measured in the same run; "spread" is',
  'min–max over the runs. These machines are shared and noisy: compare ratios and CPU-ms per operation,',
  'not throughput. "config" is the configuration the row was measured in: "shipped" is what `npm start`',
  'runs (tracing preload, OTLP exporter to Jaeger, default sampling, LOG_LEVEL=info); "tracing off" is the',
  'same without the tracing preload. CPU per op rows have the idle baseline of the same run removed.',
  '',
  '| benchmark | figure | config | median | spread | baseline | ratio | target | | machine | date |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
];
for (const r of results) {
  const m = `${r.machine.cpus} × ${r.machine.cpuModel.replace(/\s+/g, ' ').trim()}, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}`;
  for (const f of r.figures) {
    const spread = f.runs.length > 1 ? `${fmt(Math.min(...f.runs))}–${fmt(Math.max(...f.runs))}` : '';
    const baseline = f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : '';
    const pass = f.pass === undefined ? '' : f.pass ? 'PASS' : 'MISS';
    lines.push(`| ${r.name} | ${f.figure} | ${f.config ?? r.config ?? ''} | ${fmt(f.value)} ${f.unit} | ${spread} | ${baseline} | ${fmt(f.ratio)} | ${f.target ?? ''} | ${pass} | ${m} | ${r.date.slice(0, 16).replace('T', ' ')} |`);
  }
}
lines.push('', 'Reproduce: `npm run bench` (all) or `npm run bench -- --only <name>`; each benchmark also runs alone with', '`node --import tsx bench/<name>.bench.ts` once `npm start` or `npm test` has prepared the machine.', '');
writeFileSync(path.join(BENCH, 'RESULTS.md'), lines.join('\n'));
writeFileSync(path.join(BENCH, 'results', 'all.json'), JSON.stringify(results, null, 2) + '\n');
process.stdout.write(`\nbench: ${ran.length} ran${failed.length ? `, FAILED: ${failed.join(', ')}` : ''}; wrote bench/RESULTS.md\n`);
if (existsSync(path.join(BENCH, 'RESULTS.md'))) process.stdout.write(readFileSync(path.join(BENCH, 'RESULTS.md'), 'utf8'));
process.exit(failed.length ? 1 : 0);
