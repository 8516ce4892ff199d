import { OPENAPI_PATH } from '@usersys/api-contract';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startSystem } from '../harness';

// Schemathesis against the live gateway (the four real services, real infrastructure), driven by
// docs/openapi.json: every operation, the stateful links (sign-up → request → login → refresh →
// PATCH → DELETE), checks for 5xx, response schemas, status codes, content types and headers.
// Bounded in time and seeded. `bash tools/api-fuzz.sh` installs schemathesis and runs this.

const HELP = `usage: bash tools/api-fuzz.sh [--help]
Starts the four services (free ports, own WAL and consumer group) against the running
infrastructure, runs schemathesis (pinned, from tools/api-fuzz.sh's virtual environment) on
docs/openapi.json and prints per-operation coverage. Exit code: schemathesis's (0 = no failures).
Environment: SCHEMATHESIS (path of the st binary; set by tools/api-fuzz.sh), API_FUZZ_SEED (default 16),
API_FUZZ_MAX_TIME (seconds for the whole run, default 240), API_FUZZ_MAX_EXAMPLES (per operation, default 40),
API_FUZZ_REPORT_DIR (default .data/api-fuzz).`;

const ADMIN = { ADMIN_USERNAME: 'api_fuzz_admin', ADMIN_PASSWORD: 'api-fuzz-admin-password', ADMIN_EMAIL: 'api_fuzz_admin@usersys.local', ADMIN_PHONE: '+19990000016' };

// One client address sends everything: the limits and lockout thresholds it would trip are raised
// (they stay on, so their code paths are exercised); cheap bcrypt keeps the run below the hash
// pools' overload protection.
const RUN_ENV = {
  ...ADMIN,
  LOGIN_RATE_LIMIT: '100000000',
  WRITE_RATE_LIMIT: '100000000',
  LOCKOUT_THRESHOLD: '1000000',
  LOCKOUT_GLOBAL_THRESHOLD: '1000000',
  BCRYPT_COST: '4',
  LOG_LEVEL: 'warn',
};

// Left out: positive_data_acceptance (uniqueness answers 409 and byte limits are not JSON Schema).
// The hooks' auth provider leaves cases whose security schemathesis negated without a token, so
// ignored_auth and missing_required_header hold; a new account's token is at hand once its sign-up
// is applied, so ensure_resource_availability does too.
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
  'unsupported_method',
  'allow_header_conformance',
  'use_after_free',
  'ignored_auth',
  'missing_required_header',
  'ensure_resource_availability',
  'own_account_use_after_delete', // hooks.py: a deleted account's last access token answers 401
].join(',');

async function main(): Promise<number> {
  if (process.argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const st = process.env.SCHEMATHESIS;
  if (!st) throw new Error('SCHEMATHESIS is not set: run `bash tools/api-fuzz.sh`');
  const reportDir = path.resolve(process.env.API_FUZZ_REPORT_DIR ?? '.data/api-fuzz');
  rmSync(reportDir, { recursive: true, force: true });
  mkdirSync(reportDir, { recursive: true });
  const statsFile = path.join(reportDir, 'coverage.json');

  console.log('api-fuzz: starting the four services (logs: .data/logs/e2e/)');
  const system = await startSystem(RUN_ENV);
  try {
    const login = await fetch(`${system.gateway}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: ADMIN.ADMIN_USERNAME, password: ADMIN.ADMIN_PASSWORD }) });
    if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
    const { accessToken } = (await login.json()) as { accessToken: string };

    const args = [
      'run',
      OPENAPI_PATH,
      '--url',
      system.gateway,
      '--checks',
      process.env.API_FUZZ_CHECKS ?? CHECKS,
      '--phases',
      'examples,coverage,fuzzing,stateful',
      '--seed',
      process.env.API_FUZZ_SEED ?? '16',
      '--max-time',
      process.env.API_FUZZ_MAX_TIME ?? '240',
      '--max-examples',
      process.env.API_FUZZ_MAX_EXAMPLES ?? '40',
      '--workers',
      '1',
      // Passwords are limited in UTF-8 bytes (bcrypt reads 72), which JSON Schema cannot say; ASCII
      // strings make maxLength exact, so valid sign-ups are accepted and the stateful links go on.
      '--generation-codec',
      'ascii',
      '--request-timeout',
      '30',
      '--generation-database',
      'none',
      '--suppress-health-check',
      'too_slow,filter_too_much',
      '--no-color',
      '--report',
      'junit,ndjson',
      '--report-dir',
      reportDir,
    ];
    console.log(`api-fuzz: ${st} ${args.join(' ')}`);
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(st, args, {
        stdio: 'inherit',
        cwd: reportDir, // schemathesis keeps its cache (.schemathesis/) in the working directory: this run's, cleared at the start
        env: { ...process.env, SCHEMATHESIS_HOOKS: 'hooks', PYTHONPATH: __dirname, API_FUZZ_BASE_URL: system.gateway, API_FUZZ_ADMIN_TOKEN: accessToken, API_FUZZ_STATS: statsFile },
      });
      child.on('error', reject);
      child.on('close', (c) => resolve(c ?? 1));
    });
    printCoverage(statsFile);
    return code;
  } finally {
    await system.stop();
  }
}

/** Per operation: how many answers of each status, and how many reached 2xx. */
function printCoverage(statsFile: string): void {
  let stats: Record<string, Record<string, number>>;
  try {
    stats = JSON.parse(readFileSync(statsFile, 'utf8'));
  } catch {
    console.log('api-fuzz: no coverage figures (the hooks wrote none)');
    return;
  }
  console.log('\napi-fuzz coverage (answers per operation and status):');
  for (const [op, codes] of Object.entries(stats)) {
    const total = Object.values(codes).reduce((a, b) => a + b, 0);
    const ok = Object.entries(codes)
      .filter(([c]) => /^2/.test(c))
      .reduce((a, [, n]) => a + n, 0);
    const detail = Object.entries(codes)
      .map(([c, n]) => `${c}:${n}`)
      .join(' ');
    console.log(`  ${op.padEnd(20)} ${String(total).padStart(5)} cases, ${String(ok).padStart(4)} 2xx   ${detail}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`api-fuzz: ${err.message}`);
    process.exit(1);
  },
);
