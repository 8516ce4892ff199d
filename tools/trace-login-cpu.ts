// Quick check of what tracing costs the gateway's hottest path (not a benchmark of record: bench/
// owns those). Starts a private Redis and PostgreSQL, one gateway per configuration, and reads the
// gateway's CPU from /proc around a fixed stretch of cache-hit logins at c=64:
//   off  no tracing preload (what the login benchmark ran as "tracing off");
//   on   the shipped preload (libs/tracing/src/register.ts), OTLP to a local sink that only
//        counts what it receives (Jaeger's own CPU is not in this figure);
//   none the preload with OTEL_TRACES_EXPORTER=none (instrumentation loaded, no tracer provider).
// LOG_LEVEL=info in both (shipped). Usage: npx tsx tools/trace-login-cpu.ts [seconds] [reps]
// OTHER_REGISTER=<path to another register.ts> adds a fourth gateway; TRACE_SINK_URL + SINK_PID export
// to a real collector (Jaeger) and count its CPU too. Extra env for the "on" gateway: ON_ENV='{"TRACE_SUCCESS_SAMPLE_RATIO":"1"}'; PROFILE_DIR=/tmp/p writes V8 CPU profiles.
import { createPrismaClient } from '@usersys/db';
import { createTestDatabase } from '@usersys/db-testing';
import { median } from '@usersys/load-suite';
import { freePort, startPrivatePostgres, startPrivateRedis } from '@usersys/test-infra';
import bcrypt from 'bcryptjs';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { exitOnHelp, usageError } from './cli';

const USAGE = `usage: node --import tsx tools/trace-login-cpu.ts [seconds (5)] [reps (3)]
What tracing costs the gateway's cache-hit login: gateway CPU per login with no tracing preload, the
shipped preload, and the preload exporting nothing (private Redis and PostgreSQL; not a benchmark of
record, see bench/). Environment: OTHER_REGISTER, TRACE_SINK_URL + SINK_PID, ON_ENV, PROFILE_DIR.`;
exitOnHelp(USAGE);
for (const arg of process.argv.slice(2, 4)) if (!/^\d+$/.test(arg)) usageError('trace-login-cpu', `"${arg}" is not a whole number`, USAGE);
if (process.argv.length > 4) usageError('trace-login-cpu', 'at most two arguments', USAGE);

const REPO = path.resolve(__dirname, '..');
const SECONDS = Number(process.argv[2] ?? 5);
const REPS = Number(process.argv[3] ?? 3);
const USERS = 64;
const PASSWORD = 'trace-cost-password-1';

const cpuMs = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(stat[11]) + Number(stat[12])) * 10;
};

function run(args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (c) => process.stderr.write(c));
  return child;
}

async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} never became healthy`);
}

function load(url: string, bodies: string[], seconds: number): Promise<{ requests: number; errors: number; statuses: Record<string, number> }> {
  const child = run(['--import', 'tsx', 'bench/lib/login-loadgen.ts', JSON.stringify({ url: `${url}/v1/auth/login`, bodies, concurrency: 64, durationMs: seconds * 1000 })], {});
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`loadgen exit ${code}`)))));
}

async function main() {
  const spans = { requests: 0, bytes: 0 };
  const sink = http.createServer((req, res) => {
    spans.requests++;
    req.on('data', (c: Buffer) => (spans.bytes += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  const sinkPort = await freePort();
  await new Promise<void>((r) => sink.listen(sinkPort, '127.0.0.1', r));
  const [redis, pg] = await Promise.all([startPrivateRedis(), startPrivatePostgres()]);
  const walDir = mkdtempSync(path.join(os.tmpdir(), 'trace-cost-wal-'));
  const children: ChildProcess[] = [];
  try {
    const db = await createTestDatabase({ baseUrl: pg.url, migrate: true });
    const prisma = createPrismaClient({ databaseUrl: db.url, poolMax: 2 });
    const hash = bcrypt.hashSync(PASSWORD, 4);
    const names = Array.from({ length: USERS }, (_, i) => `trace_cost_${i}`);
    await prisma.user.createMany({ data: names.map((username, i) => ({ username, email: `${username}@bench.local`, phone: `+1555${String(i).padStart(7, '0')}`, passwordHash: hash })) });
    await prisma.$disconnect();
    const bodies = names.map((username) => JSON.stringify({ username, password: PASSWORD }));

    const extra = JSON.parse(process.env.ON_ENV ?? '{}') as Record<string, string>;
    const configs: { name: string; preload: string | null; env: Record<string, string> }[] = [
      { name: 'off', preload: null, env: {} },
      { name: 'on', preload: './libs/tracing/src/register.ts', env: extra },
      { name: 'none', preload: './libs/tracing/src/register.ts', env: { OTEL_TRACES_EXPORTER: 'none' } },
      // Another version of the preload to compare with, e.g. the previous commit's libs/tracing/src unpacked under .data/.
      ...(process.env.OTHER_REGISTER ? [{ name: 'other', preload: process.env.OTHER_REGISTER, env: {} }] : []),
    ];
    const gateways = [];
    for (const c of configs) {
      const port = await freePort();
      const env = {
        AUTH_GATEWAY_PORT: String(port),
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        LOGIN_RATE_LIMIT: '1000000000',
        LOG_LEVEL: 'info',
        OTEL_SERVICE_NAME: 'auth-gateway',
        OTEL_EXPORTER_OTLP_ENDPOINT: process.env.TRACE_SINK_URL ?? `http://127.0.0.1:${sinkPort}`,
        WAL_DIR: walDir,
        WAL_NAME: `gw-${c.name}`,
        ...c.env,
      };
      const profile = process.env.PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROFILE_DIR}/${c.name}`] : [];
      const args = [...profile, '--import', 'tsx', ...(c.preload ? ['--import', c.preload] : []), 'apps/auth-gateway/src/main.ts'];
      const child = run(args, env);
      child.stdout!.resume();
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitHealthy(url);
      for (const body of bodies) await fetch(`${url}/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await load(url, bodies, Number(process.env.WARMUP_SECONDS ?? 5)); // warm-up (JIT)
      gateways.push({ ...c, url, pid: child.pid!, perLogin: [] as number[], sinkPerLogin: [] as number[] });
    }
    for (let rep = 0; rep < REPS; rep++) {
      for (const g of gateways) {
        const sinkPid = Number(process.env.SINK_PID ?? 0); // e.g. Jaeger's, with TRACE_SINK_URL pointing at it
        const [before, sinkBefore] = [cpuMs(g.pid), sinkPid ? cpuMs(sinkPid) : 0];
        const r = await load(g.url, bodies, SECONDS);
        await new Promise((res) => setTimeout(res, 2500)); // let the span processor export what it queued (and the sink ingest it)
        const used = cpuMs(g.pid) - before;
        const sinkUsed = sinkPid ? cpuMs(sinkPid) - sinkBefore : 0;
        g.perLogin.push(used / r.requests);
        g.sinkPerLogin.push(sinkUsed / r.requests);
        console.log(`${g.name} rep ${rep + 1}: ${r.requests} logins (${r.errors} errors ${JSON.stringify(r.statuses)}), ${used} CPU-ms, ${(used / r.requests).toFixed(3)} ms/login${sinkPid ? `, sink ${(sinkUsed / r.requests).toFixed(3)} ms/login` : ''}`);
      }
    }
    const [off, on, none] = gateways.map((g) => median(g.perLogin));
    for (const g of gateways) console.log(`${g.name}: gateway ${median(g.perLogin).toFixed(3)} CPU-ms/login, sink ${median(g.sinkPerLogin).toFixed(3)}`);
    console.log(`gateway CPU per cache-hit login (median): off ${off.toFixed(3)} ms, on ${on.toFixed(3)} ms (ratio ${(on / off).toFixed(2)}), exporter none ${none.toFixed(3)} ms (on/none ${(on / none).toFixed(2)}); sink got ${spans.requests} exports, ${spans.bytes} bytes`);
    await db.drop();
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await Promise.all([redis.destroy(), pg.destroy()]);
    sink.close();
    rmSync(walDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
