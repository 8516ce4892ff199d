// The commands (up, down, status, logs, reset, env) over the components. main.ts is the CLI on top;
// libs/test-infra calls these directly for its private servers.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Component, Context, StatusLine } from './component';
import { haproxy } from './haproxy';
import { jaeger } from './jaeger';
import { kafka } from './kafka';
import { postgres } from './postgres';
import { prometheus } from './prometheus';
import { ensureDir, InfraError, portOpen, run, sayToStdout, takeLock, type Say } from './proc';
import { redis } from './redis';
import { redisCluster } from './redis-cluster';
import { CLUSTER_SERVICES, readSettings, SERVICE_NAMES, type InfraSettings, type ServiceName } from './settings';

export const COMPONENTS: Record<ServiceName, Component> = { redis, postgres, kafka, jaeger, prometheus, 'redis-cluster': redisCluster, haproxy };

export interface UpOptions {
  /** Three Kafka brokers (replication 3, min ISR 2) instead of one. */
  kafkaCluster?: boolean;
  /** The replicated topology: three Kafka brokers, a Redis Cluster (3 masters + 3 replicas) and HAProxy. */
  cluster?: boolean;
}

export function createContext(settings: InfraSettings = readSettings(), say: Say = sayToStdout, options: UpOptions = {}): Context {
  return { settings, say, kafkaMode: options.cluster || options.kafkaCluster ? 'cluster' : 'single' };
}

/** The components a command acts on, in `order`: INFRA_SERVICES when given, else `fallback`. */
function pick(ctx: Context, order: ServiceName[], fallback: ServiceName[]): Component[] {
  const chosen = ctx.settings.servicesGiven ? ctx.settings.services : fallback;
  return order.filter((s) => chosen.includes(s)).map((s) => COMPONENTS[s]);
}

function initDirs(settings: InfraSettings): void {
  for (const d of [settings.dataDir, settings.logsDir, settings.runDir]) ensureDir(d);
  // the data dir must never be committed, whatever the repo's .gitignore says
  const ignore = path.join(settings.dataDir, '.gitignore');
  if (!existsSync(ignore)) writeFileSync(ignore, '*\n');
}

async function locked<T>(ctx: Context, fn: () => Promise<T>): Promise<T> {
  initDirs(ctx.settings);
  const release = await takeLock(ctx.settings.runDir, ctx.settings.logsDir);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Starts (idempotent) and waits until ready; resolves with the connection variables (KEY=value lines). */
export async function up(ctx: Context, options: UpOptions = {}): Promise<string[]> {
  const started = Date.now();
  const wanted = [...ctx.settings.services, ...(options.cluster && !ctx.settings.servicesGiven ? CLUSTER_SERVICES : [])];
  const selected = (order: ServiceName[]) => order.filter((s) => wanted.includes(s)).map((s) => COMPONENTS[s]);
  await locked(ctx, async () => {
    // 1) install/download/build what is missing (sequential: apt and builds are heavy)
    for (const c of selected([...SERVICE_NAMES])) await c.prepare(ctx);
    // 2) start everything not yet running; Kafka first as its JVM takes longest to come up
    for (const c of selected(['kafka', 'jaeger', 'redis', 'postgres', 'prometheus', 'redis-cluster', 'haproxy'])) await c.start(ctx);
    // 3) wait for each one to really answer (+ create role/databases/topics/cluster)
    for (const c of selected(['redis', 'postgres', 'jaeger', 'kafka', 'prometheus', 'redis-cluster', 'haproxy'])) await c.ready(ctx);
  });
  ctx.say(`all up in ${Math.round((Date.now() - started) / 1000)}s:`);
  return envLines(ctx, wanted);
}

/** Stops what we started (graceful, then SIGKILL). */
export async function down(ctx: Context): Promise<void> {
  await locked(ctx, async () => {
    for (const c of pick(ctx, ['haproxy', 'prometheus', 'jaeger', 'kafka', 'redis-cluster', 'postgres', 'redis'], [...SERVICE_NAMES])) await c.stop(ctx);
  });
}

/** down + wipe the data. */
export async function reset(ctx: Context): Promise<void> {
  await down(ctx);
  const chosen = pick(ctx, [...SERVICE_NAMES], [...SERVICE_NAMES]);
  for (const c of chosen) for (const p of c.dataPaths(ctx)) rmSync(p, { recursive: true, force: true });
  ctx.say(`data wiped for: ${chosen.map((c) => c.name).join(' ')}`);
}

export type State = 'up' | 'starting' | 'down';

/** Every status line with its state: up = process alive and port open, starting = alive only. */
export async function statusLines(ctx: Context): Promise<(StatusLine & { state: State })[]> {
  const out: (StatusLine & { state: State })[] = [];
  for (const c of pick(ctx, [...SERVICE_NAMES], [...SERVICE_NAMES])) {
    for (const line of await c.status(ctx)) {
      const state: State = line.pid === null ? 'down' : (await portOpen(line.port)) ? 'up' : 'starting';
      out.push({ ...line, state });
    }
  }
  return out;
}

/** Prints one line per server; resolves 0 when all are up, 3 otherwise. */
export async function status(ctx: Context): Promise<number> {
  const lines = await statusLines(ctx);
  for (const l of lines) {
    process.stdout.write(`${l.name.padEnd(9)} ${l.state.padEnd(8)} pid ${String(l.pid ?? '-').padEnd(8)} 127.0.0.1:${String(l.port).padEnd(6)} ${l.extra}\n`);
  }
  return lines.every((l) => l.state === 'up') ? 0 : 3;
}

/** The last 100 lines of our servers' logs; any other <logs>/<name>.log works too (app logs). */
export async function logs(ctx: Context, which?: string): Promise<void> {
  const { logsDir } = ctx.settings;
  let patterns: string[];
  if (!which) patterns = pick(ctx, [...SERVICE_NAMES], ctx.settings.services).flatMap((c) => c.logPatterns);
  else if ((SERVICE_NAMES as readonly string[]).includes(which)) patterns = COMPONENTS[which as ServiceName].logPatterns;
  else patterns = [`${which}.log`];
  const names = existsSync(logsDir) ? readdirSync(logsDir).sort() : [];
  const files = [...new Set(patterns.flatMap((p) => names.filter((f) => globMatch(p, f))))].map((f) => path.join(logsDir, f));
  if (!files.length) throw new InfraError('logs', 'missing', `no log file for '${which ?? ctx.settings.services.join(' ')}' in ${logsDir}`);
  process.stdout.write(await run('tail', ['-n', '100', ...files]));
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(name);
}

/** The connection variables (KEY=value) of the given services. */
export function envLines(ctx: Context, services: ServiceName[] = ctx.settings.services): string[] {
  const order: ServiceName[] = ['postgres', 'redis', 'kafka', 'jaeger', 'prometheus', 'redis-cluster', 'haproxy'];
  return order.filter((s) => services.includes(s)).flatMap((s) => Object.entries(COMPONENTS[s].env(ctx)).map(([k, v]) => `${k}=${v}`));
}
