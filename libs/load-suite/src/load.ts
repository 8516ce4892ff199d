import { DEV_ADMIN_PASSWORD } from '@usersys/config';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { latencyChart } from './chart';
import { HttpClient } from './http-client';
import { runStage, splitStage, type StageRun, type StageSpec } from './runner';
import { runOperation, seedUsers, WaitForUser, type ScenarioName, type SeedUser } from './scenarios';
import { compareSamples, sampleServices, type GrowthFinding } from './soak';
import { formatTable, mergeSamples, emptySamples, stageReport, type StageReport } from './stats';
import { TokenKeeper } from './tokens';

export interface LoadConfig {
  target: string;
  seedUsers: number;
  waitForUser: { enabled: boolean; pollMs: number; timeoutMs: number };
  mix: Record<'login' | 'create' | 'update', number>;
  disableLoginRateLimit: boolean;
  stages: Record<string, Omit<StageSpec, 'name'>>;
  scenarios: Record<ScenarioName, string[]>;
  /** the soak stage is open-model: maxInFlight caps its requests in flight (default 1024) */
  soak: { durationSec: number; fractionOfCapacity: number; capacityProbeSec: number; probeConcurrency: number; maxInFlight?: number };
  /** `--rate`: one open-model stage at that arrival rate instead of the scenario's stages (default 30 s, 1024 in flight) */
  open?: { durationSec: number; maxInFlight: number };
  services: Record<string, string>;
}

export interface LoadOptions {
  scenario: ScenarioName | 'soak';
  /** a config file path, or the config itself */
  config: string | LoadConfig;
  target?: string;
  stages?: string[];
  /** overrides every duration-bound stage */
  durationSec?: number;
  /** overrides every count-bound stage */
  requests?: number;
  /** open model: one stage offering this many requests per second (latency from the scheduled send) */
  arrivalRate?: number;
  /** scales concurrency (and ramp/spike peaks) by this factor */
  concurrencyScale?: number;
  processes?: number;
  seedUsers?: number;
  waitForUser?: boolean;
  outDir?: string;
  admin?: { username: string; password: string };
  quiet?: boolean;
}

export interface LoadResult {
  scenario: string;
  runId: string;
  target: string;
  outDir: string;
  stages: StageReport[];
  soak?: { capacityQps: number; rateQps: number; findings: GrowthFinding[] };
  tokens: { logins: number; refreshes: number };
}

const DEFAULT_MAX_IN_FLIGHT = 1024;

export function loadConfig(file: string): LoadConfig {
  return JSON.parse(readFileSync(file, 'utf8')) as LoadConfig;
}

function stageSpecs(cfg: LoadConfig, names: string[], opts: LoadOptions): StageSpec[] {
  return names.map((name) => {
    const base = cfg.stages[name];
    if (!base) throw new Error(`unknown stage "${name}" (known: ${Object.keys(cfg.stages).join(', ')})`);
    const scale = (n: number) => Math.max(1, Math.round(n * (opts.concurrencyScale ?? 1)));
    const spec: StageSpec = { name, ...base, concurrency: scale(base.concurrency) };
    if (base.rampTo !== undefined) spec.rampTo = scale(base.rampTo);
    if (base.spike) {
      spec.spike = { ...base.spike, concurrency: scale(base.spike.concurrency) };
      if (opts.durationSec && base.durationSec) {
        const f = opts.durationSec / base.durationSec; // keep the spike at the same relative place
        spec.spike.atSec = base.spike.atSec * f;
        spec.spike.forSec = Math.max(1, base.spike.forSec * f);
      }
    }
    if (opts.durationSec && base.durationSec) spec.durationSec = opts.durationSec;
    if (opts.requests && base.requests) spec.requests = opts.requests;
    return spec;
  });
}

const log = (quiet: boolean | undefined, line: string) => {
  if (!quiet) process.stderr.write(`${line}\n`);
};

/** Runs one stage in this process or split over child processes, then summarises it. */
async function runOneStage(scenario: ScenarioName, spec: StageSpec, ctx: { client: HttpClient; runId: string; users: SeedUser[]; cfg: LoadConfig; waitForUser: boolean; processes: number; target: string; quiet?: boolean }): Promise<StageReport> {
  const wantsWait = ctx.waitForUser && (scenario === 'create' || scenario === 'mixed');
  if (ctx.processes <= 1) {
    const waits = wantsWait ? new WaitForUser(ctx.client, ctx.cfg.waitForUser.pollMs, ctx.cfg.waitForUser.timeoutMs) : null;
    const run = await runStage(spec, (w, i) => runOperation(scenario, { client: ctx.client, runId: ctx.runId, users: ctx.users, waits, mix: ctx.cfg.mix }, w, i), ctx.quiet ? undefined : (l) => log(false, l));
    await waits?.drain();
    return stageReport(scenario, spec.name, run.elapsedSec, run.samples, run.cpuPercent, waits ? { ms: waits.ms, timedOut: waits.timedOut, notApplied: waits.notApplied } : undefined, run.open);
  }
  const part = splitStage(spec, ctx.processes);
  const results = await Promise.all(
    Array.from({ length: ctx.processes }, (_, p) =>
      runChild({ scenario, spec: part, target: ctx.target, runId: `${ctx.runId}p${p}`, users: ctx.users.map((u) => ({ username: u.username, password: u.password })), mix: ctx.cfg.mix, wait: wantsWait ? ctx.cfg.waitForUser : null }),
    ),
  );
  const samples = emptySamples();
  const waits = { ms: [] as number[], timedOut: 0, notApplied: 0 };
  for (const r of results) {
    mergeSamples(samples, r.run.samples);
    waits.ms.push(...r.waits.ms);
    waits.timedOut += r.waits.timedOut;
    waits.notApplied += r.waits.notApplied;
  }
  const elapsed = Math.max(...results.map((r) => r.run.elapsedSec));
  const cpu = results.reduce((s, r) => s + r.run.cpuPercent, 0);
  const opens = results.map((r) => r.run.open).filter((o) => o !== undefined);
  const open = opens.length ? { offeredQps: opens.reduce((s, o) => s + o.offeredQps, 0), windowSec: Math.max(...opens.map((o) => o.windowSec)), sendLagP99Ms: Math.max(...opens.map((o) => o.sendLagP99Ms)) } : undefined;
  return stageReport(scenario, spec.name, elapsed, samples, cpu, wantsWait ? waits : undefined, open);
}

interface ChildJob {
  scenario: ScenarioName;
  spec: StageSpec;
  target: string;
  runId: string;
  users: { username: string; password: string }[];
  mix: LoadConfig['mix'];
  wait: LoadConfig['waitForUser'] | null;
}
interface ChildResult {
  run: StageRun;
  waits: { ms: number[]; timedOut: number; notApplied: number };
}

function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'child.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (m) => {
      resolve(m as ChildResult);
      child.disconnect();
    });
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`load child exited with ${code}`)));
    child.send(job);
  });
}

/** Child-process side of --processes: runs its share of one stage and reports raw samples. */
export async function childMain(job: ChildJob): Promise<ChildResult> {
  const client = new HttpClient(job.target, 1024);
  const users = job.users.map((u) => ({ ...u, tokens: new TokenKeeper(client, u.username, u.password) }));
  const waits = job.wait ? new WaitForUser(client, job.wait.pollMs, job.wait.timeoutMs) : null;
  const run = await runStage(job.spec, (w, i) => runOperation(job.scenario, { client, runId: job.runId, users, waits, mix: job.mix }, w, i));
  await waits?.drain();
  client.close();
  return { run, waits: { ms: waits?.ms ?? [], timedOut: waits?.timedOut ?? 0, notApplied: waits?.notApplied ?? 0 } };
}

async function setLoginRateLimit(client: HttpClient, admin: TokenKeeper, body: Record<string, unknown>): Promise<Record<string, unknown> | null> {
  const token = await admin.token();
  const get = await client.request('GET', '/admin/ratelimit/login', undefined, { authorization: `Bearer ${token}` });
  if (get.status !== 200) throw new Error(`GET /admin/ratelimit/login answered ${get.status}`);
  const before = (JSON.parse(get.body) as { data: Record<string, unknown> }).data;
  const put = await client.request('PUT', '/admin/ratelimit/login', { ...before, ...body }, { authorization: `Bearer ${token}` });
  if (put.status !== 200) throw new Error(`PUT /admin/ratelimit/login answered ${put.status}`);
  return before;
}

/** The whole run: seed, (switch the login limit off), run the stages, print, write JSON + SVG. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const cfg = typeof opts.config === 'string' ? loadConfig(opts.config) : opts.config;
  const target = opts.target ?? cfg.target;
  const runId = randomBytes(3).toString('hex');
  const processes = opts.processes ?? 1;
  const outDir = opts.outDir ?? path.resolve(process.cwd(), '.data/load', `${new Date().toISOString().replace(/[:.]/g, '-')}-${opts.scenario}`);
  mkdirSync(outDir, { recursive: true });
  const client = new HttpClient(target, 2048);
  const admin = new TokenKeeper(client, opts.admin?.username ?? process.env.ADMIN_USERNAME ?? 'admin', opts.admin?.password ?? process.env.ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD);

  const scenario = opts.scenario === 'soak' ? 'mixed' : opts.scenario;
  const needsUsers = scenario !== 'create';
  const seedCount = opts.seedUsers ?? cfg.seedUsers;
  log(opts.quiet, `load: ${opts.scenario} against ${target} (run ${runId}, ${processes} process${processes > 1 ? 'es' : ''}); seeding ${needsUsers ? seedCount : 0} users`);
  const users = needsUsers ? await seedUsers(client, runId, seedCount) : [];

  let restoreLimit: Record<string, unknown> | null = null;
  if (cfg.disableLoginRateLimit && scenario !== 'create') {
    try {
      restoreLimit = await setLoginRateLimit(client, admin, { effective: false });
      log(opts.quiet, 'load: login rate limit switched off for the run (restored at the end)');
    } catch (err) {
      log(opts.quiet, `load: could not switch the login rate limit off (${(err as Error).message}); 429s will count as errors`);
    }
  }

  const reports: StageReport[] = [];
  let soak: LoadResult['soak'];
  try {
    const ctx = { client, runId, users, cfg, waitForUser: opts.waitForUser ?? cfg.waitForUser.enabled, processes, target, quiet: opts.quiet };
    if (opts.scenario === 'soak') {
      const probe: StageSpec = { name: 'capacity_probe', concurrency: cfg.soak.probeConcurrency, durationSec: Math.min(cfg.soak.capacityProbeSec, opts.durationSec ?? Infinity), thinkMs: 0 };
      const probeReport = await runOneStage('mixed', probe, ctx);
      reports.push(probeReport);
      const rate = probeReport.qps * cfg.soak.fractionOfCapacity;
      const before = await sampleServices(cfg.services);
      // Open model: the soak's latencies run from each request's scheduled send time.
      const spec: StageSpec = { name: 'soak', concurrency: cfg.soak.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, durationSec: opts.durationSec ?? cfg.soak.durationSec, thinkMs: 0, arrivalRate: rate };
      log(opts.quiet, `load: soak at ${rate.toFixed(0)} req/s offered (open model; ${cfg.soak.fractionOfCapacity} x measured ${probeReport.qps.toFixed(0)}) for ${spec.durationSec}s`);
      reports.push(await runOneStage('mixed', spec, ctx));
      const after = await sampleServices(cfg.services);
      soak = { capacityQps: probeReport.qps, rateQps: rate, findings: compareSamples(before, after) };
    } else if (opts.arrivalRate) {
      const spec: StageSpec = { name: `open_${opts.arrivalRate}rps`, concurrency: cfg.open?.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, durationSec: opts.durationSec ?? cfg.open?.durationSec ?? 30, thinkMs: 0, arrivalRate: opts.arrivalRate };
      log(opts.quiet, `load: open model, ${opts.arrivalRate} req/s offered for ${spec.durationSec}s (at most ${spec.concurrency} in flight)`);
      reports.push(await runOneStage(scenario, spec, ctx));
    } else {
      const names = opts.stages ?? cfg.scenarios[scenario];
      if (!names) throw new Error(`unknown scenario "${opts.scenario}"`);
      for (const spec of stageSpecs(cfg, names, opts)) reports.push(await runOneStage(scenario, spec, ctx));
    }
  } finally {
    if (restoreLimit) await setLoginRateLimit(client, admin, restoreLimit).catch(() => {});
    client.close();
  }

  const tokens = users.reduce((t, u) => ({ logins: t.logins + u.tokens.logins, refreshes: t.refreshes + u.tokens.refreshes }), { logins: admin.logins, refreshes: admin.refreshes });
  const result: LoadResult = { scenario: opts.scenario, runId, target, outDir, stages: reports, ...(soak ? { soak } : {}), tokens };
  writeFileSync(path.join(outDir, 'result.json'), JSON.stringify(result, null, 2));
  for (const r of reports) writeFileSync(path.join(outDir, `${r.stage}.svg`), latencyChart(r));
  if (!opts.quiet) {
    process.stdout.write(`\n${opts.scenario}: ${target}\n${formatTable(reports)}\n`);
    if (soak) {
      process.stdout.write(`\nsoak, start → end per service:\n`);
      for (const f of soak.findings) process.stdout.write(`  ${f.service.padEnd(14)} ${f.metric.padEnd(15)} ${f.start.toFixed(1).padStart(8)} → ${f.end.toFixed(1).padStart(8)}${f.flagged ? '   GROWTH FLAGGED' : ''}\n`);
    }
    process.stdout.write(`\nwritten ${path.relative(process.cwd(), outDir)}/result.json and one SVG chart per stage\n`);
  }
  return result;
}
