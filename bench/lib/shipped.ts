/**
 * The configurations the benchmarks run the services in, named once so every figure says which one
 * it used (RESULTS.md's config column).
 *
 * Shipped = what `npm start` runs: the service command with the tracing preload, the default trace
 * exporter (OTLP to the local Jaeger) and sampling, LOG_LEVEL=info. The variables are set
 * explicitly so a developer's shell (LOG_LEVEL=warn, OTEL_TRACES_EXPORTER=none) cannot turn a
 * "shipped" figure into something else. Tracing off = the same service without the tracing preload
 * (no instrumentation loaded at all), everything else equal, for the on/off ratio.
 */
import { REPO, SERVICES, serviceCommand } from '@usersys/service-runner';
import { createTestDatabase } from '@usersys/db-testing';
import { freePort, startPrivatePostgres } from '@usersys/test-infra';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { portOf } from './cpu';

const execFileAsync = promisify(execFile);

export interface ServiceConfig {
  name: 'shipped' | 'tracing off';
  /** the text of RESULTS.md's config column */
  label: string;
  env: Record<string, string>;
  /** start the service with the tracing preload (libs/tracing/src/register.ts) */
  tracingPreload: boolean;
}

export const SHIPPED: ServiceConfig = {
  name: 'shipped',
  label: 'shipped: tracing on (preload, OTLP → Jaeger, default sampling), LOG_LEVEL=info',
  env: { OTEL_TRACES_EXPORTER: 'otlp', LOG_LEVEL: 'info' },
  tracingPreload: true,
};

export const TRACING_OFF: ServiceConfig = {
  name: 'tracing off',
  label: 'tracing off (no tracing preload), LOG_LEVEL=info',
  env: { OTEL_TRACES_EXPORTER: 'none', LOG_LEVEL: 'info' },
  tracingPreload: false,
};

/** node arguments for one service in a configuration: the shipped command (service-runner's), without the tracing preload when off. */
export function serviceArgs(app: string, config: ServiceConfig): string[] {
  const args = serviceCommand(app);
  if (config.tracingPreload) return args;
  const preload = args.findIndex((a) => a.includes('libs/tracing/src/register'));
  if (preload < 1 || args[preload - 1] !== '--import') throw new Error(`bench: cannot find the tracing preload in ${args.join(' ')}`);
  return [...args.slice(0, preload - 1), ...args.slice(preload + 1)];
}

export interface StartedService {
  child: ChildProcess;
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts one service in a configuration on a free port, its output appended to `logFile` (as
 * `npm start` writes .data/logs; never an unread pipe that would block a logging service), and
 * waits until /healthz answers.
 */
export async function startService(app: string, config: ServiceConfig, env: Record<string, string>, logFile: string): Promise<StartedService> {
  const spec = SERVICES.find((s) => s.name === app);
  if (!spec) throw new Error(`bench: unknown service ${app}`);
  const port = await freePort();
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, serviceArgs(app, config), {
    cwd: REPO,
    env: { ...process.env, ...config.env, OTEL_SERVICE_NAME: app, ...env, [spec.portEnv]: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode} during start-up (see ${logFile})`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { child, pid: child.pid!, url, stop };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`${app} did not answer /healthz within 60 s (see ${logFile})`);
}

/**
 * A migrated database on a private PostgreSQL server of this run: the machine's shared server also
 * serves every other test and benchmark running here, and their backends' CPU would be counted
 * as this benchmark's. BENCH_SHARED_POSTGRES=1: a database on the shared server instead.
 */
export async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (process.env.BENCH_SHARED_POSTGRES === '1') return createTestDatabase({ migrate: true });
  const server = await startPrivatePostgres();
  try {
    const db = await createTestDatabase({ baseUrl: server.url, migrate: true });
    return { url: db.url, drop: () => server.destroy() };
  } catch (err) {
    await server.destroy();
    throw err;
  }
}

/**
 * A private Jaeger of this run (tools/infra.sh in a temporary data directory, free ports), for
 * the same reason as benchDatabase: the shared one ingests every other test's spans too. The
 * services keep the shipped exporter and sampling; only the OTLP endpoint points here.
 * BENCH_SHARED_JAEGER=1: the shared Jaeger instead.
 */
export async function benchJaeger(): Promise<{ otlpPort: number; env: Record<string, string>; destroy(): Promise<void> }> {
  if (process.env.BENCH_SHARED_JAEGER === '1') {
    const otlpPort = portOf(process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? '', 4318);
    return { otlpPort, env: {}, destroy: async () => {} };
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'usersys-bench-jaeger-'));
  const ports = { JAEGER_OTLP_HTTP_PORT: await freePort(), JAEGER_OTLP_GRPC_PORT: await freePort(), JAEGER_UI_PORT: await freePort(), JAEGER_QUERY_GRPC_PORT: await freePort(), JAEGER_THRIFT_HTTP_PORT: await freePort() };
  const env = { ...process.env, INFRA_DATA_DIR: dataDir, INFRA_SERVICES: 'jaeger', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  const infra = (cmd: 'up' | 'down') => execFileAsync('bash', [path.join(REPO, 'tools/infra.sh'), cmd], { env, timeout: 180_000, maxBuffer: 4 * 1024 * 1024 });
  const destroy = async () => {
    await infra('down').catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await infra('up');
  } catch (err) {
    await destroy();
    throw new Error(`bench: private Jaeger did not start: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`);
  }
  return { otlpPort: ports.JAEGER_OTLP_HTTP_PORT, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${ports.JAEGER_OTLP_HTTP_PORT}` }, destroy };
}
