// `npm test` ends here (after tools/bootstrap.sh has prepared Node, deps, infrastructure and
// migrations): typecheck and lint every project through Nx, then every unit and integration test
// in one Jest run, then the end-to-end suite against the real services. Ends with one summary line.
// The quick loop uses the same file without infrastructure (bootstrap.sh `tool`): `npm run lint`,
// `npm run typecheck`, `npm run test:unit` (jest.unit.config.cjs: every spec but *.int.spec.ts).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '@usersys/service-runner';

interface JestJson {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  success: boolean;
}

const USAGE = `usage: node --import tsx tools/run-tests.ts [all|lint|typecheck|unit]
  all        (npm test) typecheck and lint, unit and integration tests, end-to-end tests, invariant suite;
             needs the infrastructure (npm test brings it up first)
  lint       (npm run lint) eslint on every project through Nx
  typecheck  (npm run typecheck) tsc on every project through Nx
  unit       (npm run test:unit) every spec except *.int.spec.ts: no infrastructure needed
Results of the Jest runs: .data/test-results/*.json. Exit 0 when everything passed.`;
const MODES = ['all', 'lint', 'typecheck', 'unit'] as const;
const mode = process.argv[2] ?? 'all';
if (mode === '--help' || mode === '-h' || mode === 'help') {
  console.log(USAGE);
  process.exit(0);
}
if (!(MODES as readonly string[]).includes(mode) || process.argv.length > 3) {
  console.error(USAGE);
  process.exit(2);
}

const resultsDir = path.join(REPO, '.data/test-results');
mkdirSync(resultsDir, { recursive: true });
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: process.env.CI ? '0' : '1' };

function run(title: string, cmd: string, args: string[], timeoutMs?: number): boolean {
  process.stdout.write(`\n=== ${title} ===\n`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { cwd: REPO, env, stdio: 'inherit', timeout: timeoutMs, killSignal: 'SIGTERM' });
  const timedOut = result.error && (result.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  process.stdout.write(`=== ${title}: ${result.status === 0 ? 'ok' : timedOut ? `FAILED (stopped after ${timeoutMs! / 1000}s)` : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)}s ===\n`);
  return result.status === 0;
}

function jest(title: string, config: string, file: string, extra: string[] = [], timeoutMs?: number): JestJson | null {
  const out = path.join(resultsDir, file);
  rmSync(out, { force: true }); // a report left by an earlier run must not count for this one
  run(title, process.execPath, [require.resolve('jest/bin/jest'), '-c', config, '--json', `--outputFile=${out}`, ...extra], timeoutMs);
  return existsSync(out) ? (JSON.parse(readFileSync(out, 'utf8')) as JestJson) : null;
}

function nxTargets(targets: string[]): boolean {
  return run(`${targets.join(' and ')} (nx)`, process.execPath, [require.resolve('nx/bin/nx'), 'run-many', '-t', ...targets, '--parallel=2', '--outputStyle=static']);
}

if (mode === 'lint' || mode === 'typecheck') process.exit(nxTargets([mode]) ? 0 : 1);
if (mode === 'unit') {
  const unit = jest('unit tests (no infrastructure)', 'jest.unit.config.cjs', 'unit.json', ['--maxWorkers=2']);
  if (unit) process.stdout.write(`\n${unit.numPassedTests} passed, ${unit.numFailedTests} failed${unit.numPendingTests ? `, ${unit.numPendingTests} skipped` : ''}\n`);
  process.exit(unit?.success && unit.numPassedTests > 0 ? 0 : 1);
}

const checks = nxTargets(['typecheck', 'lint']);
// The invariant suite (faults under load, apps/e2e/src/invariants.e2e.spec.ts) runs alone, last: it
// kills and freezes its own private infrastructure. It aims at < 10 minutes and Jest stops it at 11
// (cleaning up); the 15-minute kill here is only a backstop for a Jest that does not exit.
const INVARIANTS = 'invariants.e2e.spec.ts';
const suites = [
  jest('unit and integration tests', 'jest.config.cjs', 'unit-integration.json', ['--maxWorkers=2']),
  jest('end-to-end tests', 'apps/e2e/jest.config.cjs', 'e2e.json', ['--runInBand', `--testPathIgnorePatterns=${INVARIANTS}`]),
  jest('invariant suite (one fault at a time under load)', 'apps/e2e/jest.config.cjs', 'invariants.json', ['--runInBand', `apps/e2e/src/${INVARIANTS}`], 15 * 60_000),
];

let passed = 0;
let failed = 0;
let skipped = 0;
for (const s of suites) {
  if (!s) {
    failed += 1; // a suite that produced no report failed to run at all
    continue;
  }
  passed += s.numPassedTests;
  failed += s.numFailedTests + (s.success || s.numFailedTests > 0 ? 0 : 1);
  skipped += s.numPendingTests;
}
if (!checks) failed += 1;
process.stdout.write(`\ntypecheck+lint: ${checks ? 'ok' : 'FAILED'}\n`);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
