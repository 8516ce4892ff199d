import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { appSpec, singleTopology, type ServiceInstance } from './topology';

export const REPO = path.resolve(__dirname, '../../..');

export interface RunningServices {
  /** The instances started, in start order. */
  instances: ServiceInstance[];
  /** Each instance's current process, by instance name (a restart replaces the entry). */
  processes: Map<string, ChildProcess>;
  portOf(name: string): number;
  /** http://127.0.0.1:<port> of an instance. */
  urlOf(name: string): string;
  /** Sends `signal` to one instance (default SIGKILL: no chance to clean up) and waits until it exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts one stopped or killed instance again with the same environment and log file; waits for /healthz. */
  restart(name: string): Promise<void>;
  /** SIGTERM all (graceful shutdown), SIGKILL after the deadline. */
  stop(deadlineMs?: number): Promise<void>;
}

export interface StartOptions {
  /** The processes to run (default: singleTopology() of the merged environment). */
  instances?: ServiceInstance[];
  /** Variables every instance gets, on top of process.env (an instance's own env wins). */
  env?: Record<string, string>;
  /** Where <instance name>.log files go (default .data/logs). */
  logDir?: string;
  /** Also print every line, prefixed with the instance name. */
  echo?: boolean;
  /** Start only the instances with these names. */
  only?: string[];
  /** How long each instance may take to answer /healthz (default 60 s). */
  healthTimeoutMs?: number;
}

const COLORS = [36, 35, 33, 32];

/** The command each service runs with: the TS loader and the tracing preload before the app's main. */
export function serviceCommand(app: string): string[] {
  return ['--enable-source-maps', '--import', 'tsx', '--import', './libs/tracing/src/register.ts', `apps/${app}/src/main.ts`];
}

/**
 * Starts the instances as child processes, each line of output prefixed (or written only to its
 * log file), and waits until every /healthz answers.
 */
export async function startServices(options: StartOptions = {}): Promise<RunningServices> {
  const shared: Record<string, string | undefined> = { ...process.env, ...options.env };
  const logDir = options.logDir ?? path.join(REPO, '.data/logs');
  mkdirSync(logDir, { recursive: true });
  const instances = (options.instances ?? singleTopology(shared)).filter((i) => !options.only || options.only.includes(i.name));
  const names = instances.map((i) => i.name);
  if (new Set(names).size !== names.length) throw new Error(`instance names must be unique (given: ${names.join(', ')})`);
  const width = Math.max(13, ...names.map((n) => n.length));
  const processes = new Map<string, ChildProcess>();

  const envOf = (instance: ServiceInstance): Record<string, string | undefined> => {
    const env = { ...shared, ...instance.env };
    // The WAL root: user-command's logs and the gateway's audit WAL, which wal-relay ships.
    env.WAL_DIR = path.resolve(REPO, env.WAL_DIR ?? '.data/wal');
    return { ...env, OTEL_SERVICE_NAME: instance.app, [appSpec(instance.app).portEnv]: String(instance.port) };
  };
  const spawnOne = (instance: ServiceInstance): ChildProcess => {
    const child = spawn(process.execPath, serviceCommand(instance.app), { cwd: REPO, env: envOf(instance), stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(path.join(logDir, `${instance.name}.log`), { flags: 'a' });
    const prefix = `\x1b[${COLORS[instances.indexOf(instance) % COLORS.length]}m${instance.name.padEnd(width)}\x1b[0m| `;
    for (const stream of [child.stdout!, child.stderr!]) {
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        file.write(chunk);
        if (!options.echo) return;
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) process.stdout.write(prefix + line + '\n');
      });
    }
    child.once('close', () => file.end()); // after stdout and stderr are drained
    processes.set(instance.name, child);
    return child;
  };
  const instanceOf = (name: string): ServiceInstance => {
    const instance = instances.find((i) => i.name === name);
    if (!instance) throw new Error(`unknown service instance ${name} (running: ${names.join(', ')})`);
    return instance;
  };
  const healthy = (instance: ServiceInstance, child: ChildProcess) => waitHealthy(instance.name, instance.port, child, logDir, options.healthTimeoutMs);

  for (const instance of instances) spawnOne(instance);
  const running: RunningServices = {
    instances,
    processes,
    portOf: (name) => instanceOf(name).port,
    urlOf: (name) => `http://127.0.0.1:${instanceOf(name).port}`,
    kill: (name, signal = 'SIGKILL') => stopOne(processes.get(instanceOf(name).name)!, signal),
    restart: async (name) => {
      const instance = instanceOf(name);
      const old = processes.get(name)!;
      if (old.exitCode === null && old.signalCode === null) throw new Error(`${name} is still running (pid ${old.pid}); kill it first`);
      await healthy(instance, spawnOne(instance));
    },
    stop: (deadlineMs = 15_000) => stopAll(processes, deadlineMs),
  };
  try {
    await Promise.all(instances.map((i) => healthy(i, processes.get(i.name)!)));
  } catch (err) {
    await running.stop(3000);
    throw err;
  }
  return running;
}

async function waitHealthy(name: string, port: number, child: ChildProcess, logDir: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const logFile = path.relative(REPO, path.join(logDir, `${name}.log`));
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up (see ${logFile})`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer /healthz on port ${port} within ${timeoutMs / 1000}s (see ${logFile})`);
}

function stopOne(child: ChildProcess, signal: NodeJS.Signals, deadlineMs = 15_000): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

function stopAll(processes: Map<string, ChildProcess>, deadlineMs: number): Promise<void> {
  return Promise.all([...processes.values()].map((child) => stopOne(child, 'SIGTERM', deadlineMs))).then(() => undefined);
}
