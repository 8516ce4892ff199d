import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');

export interface ServiceSpec {
  name: string;
  portEnv: string;
  defaultPort: number;
}

/** Start order: the write path from the back, so nothing waits on a dependency that is not up yet. */
export const SERVICES: ServiceSpec[] = [
  { name: 'user-consumer', portEnv: 'USER_CONSUMER_PORT', defaultPort: 9465 },
  { name: 'wal-relay', portEnv: 'WAL_RELAY_PORT', defaultPort: 9464 },
  { name: 'user-command', portEnv: 'USER_COMMAND_PORT', defaultPort: 8081 },
  { name: 'auth-gateway', portEnv: 'AUTH_GATEWAY_PORT', defaultPort: 8080 },
];

export interface RunningServices {
  processes: Map<string, ChildProcess>;
  portOf(name: string): number;
  /** Sends `signal` to one service (default SIGKILL: no chance to clean up) and waits until it exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts one stopped or killed service again with the same environment and log file; waits for /healthz. */
  restart(name: string): Promise<void>;
  /** SIGTERM all (graceful shutdown), SIGKILL after the deadline. */
  stop(deadlineMs?: number): Promise<void>;
}

const COLORS = [36, 35, 33, 32];

/** The command each service runs with: the TS loader and the tracing preload before the app's main. */
export function serviceCommand(name: string): string[] {
  return ['--enable-source-maps', '--import', 'tsx', '--import', './libs/tracing/src/register.ts', `apps/${name}/src/main.ts`];
}

/**
 * Starts the four services as child processes, each line of output prefixed (or written only to
 * its log file), and waits until every /healthz answers.
 */
export async function startServices(options: { env?: Record<string, string>; logDir?: string; echo?: boolean; only?: string[] } = {}): Promise<RunningServices> {
  const env = { ...process.env, ...options.env };
  // One WAL root for every service: user-command's logs and the gateway's audit WAL, which wal-relay ships.
  env.WAL_DIR = path.resolve(REPO, env.WAL_DIR ?? '.data/wal');
  const logDir = options.logDir ?? path.join(REPO, '.data/logs');
  mkdirSync(logDir, { recursive: true });
  const processes = new Map<string, ChildProcess>();
  const ports = new Map<string, number>();
  const specs = SERVICES.filter((s) => !options.only || options.only.includes(s.name));
  const spawnOne = (spec: ServiceSpec): ChildProcess => {
    const port = ports.get(spec.name)!;
    const child = spawn(process.execPath, serviceCommand(spec.name), { cwd: REPO, env: { ...env, OTEL_SERVICE_NAME: spec.name, [spec.portEnv]: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    const file = createWriteStream(path.join(logDir, `${spec.name}.log`), { flags: 'a' });
    const prefix = `\x1b[${COLORS[specs.indexOf(spec) % COLORS.length]}m${spec.name.padEnd(13)}\x1b[0m| `;
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
    processes.set(spec.name, child);
    return child;
  };
  for (const spec of specs) {
    ports.set(spec.name, Number(env[spec.portEnv] ?? spec.defaultPort));
    spawnOne(spec);
  }
  const specOf = (name: string): ServiceSpec => {
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new Error(`unknown service ${name} (running: ${specs.map((s) => s.name).join(', ')})`);
    return spec;
  };
  const running: RunningServices = {
    processes,
    portOf: (name) => ports.get(name)!,
    kill: (name, signal = 'SIGKILL') => stopOne(processes.get(specOf(name).name)!, signal),
    restart: async (name) => {
      const spec = specOf(name);
      const old = processes.get(name)!;
      if (old.exitCode === null && old.signalCode === null) throw new Error(`${name} is still running (pid ${old.pid}); kill it first`);
      await waitHealthy(name, ports.get(name)!, spawnOne(spec));
    },
    stop: (deadlineMs = 15_000) => stopAll(processes, deadlineMs),
  };
  try {
    await Promise.all(specs.map((s) => waitHealthy(s.name, ports.get(s.name)!, processes.get(s.name)!)));
  } catch (err) {
    await running.stop(3000);
    throw err;
  }
  return running;
}

async function waitHealthy(name: string, port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode} during start-up (see .data/logs/${name}.log)`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer /healthz on port ${port} within ${timeoutMs / 1000}s`);
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
