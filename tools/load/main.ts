// `npm run load -- <scenario> [flags]`: the load suite (README "Performance"). Scenarios: login,
// login_uncached, create, update, mixed, soak. Stage definitions live in load.config.json; --rate
// runs one open-model (arrival-rate) stage instead.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runLoad, SCENARIOS } from '@usersys/load-suite';

const USAGE = `usage: npm run load -- <${[...SCENARIOS, 'soak'].join('|')}> [flags]
  --config <file>        stage/scenario file (default tools/load/load.config.json)
  --target <url>         gateway URL (default from the config: http://127.0.0.1:8080)
  --stages a,b           only these stages (baseline_concurrent, stress_ramp, stress_spike, db_connection_pool)
  --rate <n>             open model instead of the stages: n requests/s sent on schedule whatever the
                         answers, latency from each scheduled send time (coordinated omission corrected);
                         the table adds offered/accepted rates
  --duration <s>         override the duration of every duration-bound stage (soak and --rate: their length)
  --requests <n>         override the request count of every count-bound stage
  --concurrency-scale <f> multiply every stage's concurrency
  --processes <n>        spread the workers over n processes (default 1)
  --seed-users <n>       accounts created for login/update (default from the config)
  --no-wait-for-user     creates: do not follow each 202 until the user is active
  --out <dir>            where result.json and the SVG charts go (default .data/load/<time>-<scenario>)
  admin credentials (to switch the login limit off for the run): ADMIN_USERNAME / ADMIN_PASSWORD`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      target: { type: 'string' },
      stages: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      requests: { type: 'string' },
      'concurrency-scale': { type: 'string' },
      processes: { type: 'string' },
      'seed-users': { type: 'string' },
      'no-wait-for-user': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const scenario = positionals[0];
  if (values.help || !scenario || ![...SCENARIOS, 'soak'].includes(scenario)) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`); // asked for: stdout, exit 0
    process.exit(values.help ? 0 : 2);
  }
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${v}"`);
    return n;
  };
  await runLoad({
    scenario: scenario as Parameters<typeof runLoad>[0]['scenario'],
    config: values.config ?? path.join(__dirname, 'load.config.json'),
    target: values.target,
    stages: values.stages?.split(',').map((s) => s.trim()),
    arrivalRate: num('rate', values.rate),
    durationSec: num('duration', values.duration),
    requests: num('requests', values.requests),
    concurrencyScale: num('concurrency-scale', values['concurrency-scale']),
    processes: num('processes', values.processes),
    seedUsers: num('seed-users', values['seed-users']),
    waitForUser: values['no-wait-for-user'] ? false : undefined,
    outDir: values.out,
  });
}

main().catch((err) => {
  process.stderr.write(`load: ${(err as Error).message}\n`);
  process.exit(1);
});
