// Process plumbing shared by the components: pid files, detached daemons, ports, waiting,
// stopping, apt-get. Nothing here knows about a particular server.
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one error line the program ends with: "infra: <what> failed|missing: <why>; see <logfile>".
 * `what` is a component (or a command), `why` says what to do.
 */
export class InfraError extends Error {
  constructor(what: string, kind: 'failed' | 'missing', why: string, logFile?: string) {
    super(`infra: ${what} ${kind}: ${why}${logFile ? `; see ${logFile}` : ''}`);
    this.name = 'InfraError';
  }
}

/** Progress lines ("infra: redis     ready on ..."); tests and library callers can silence them. */
export type Say = (line: string) => void;
export const sayToStdout: Say = (line) => process.stdout.write(`infra: ${line}\n`);

/**
 * A slow step's progress: every PROGRESS_EVERY_MS it says what is running, for how long, how far
 * (`howFar`, else the log's last line) and where its log is, so a first start is never silent.
 */
export interface Progress {
  say: Say;
  /** e.g. "kafka     fetching Apache Kafka 3.9.2 jars" */
  what: string;
  howFar?: () => string;
  logFile?: string;
}

export const PROGRESS_EVERY_MS = 15_000;

/** The last non-empty line of a log (what a step is doing now), shortened. */
export function lastLogLine(file: string): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(size, 4096));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      const line = buf.toString('utf8').trimEnd().split('\n').pop()?.trim() ?? '';
      return line.length > 100 ? `${line.slice(0, 97)}...` : line;
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Starts the progress lines of `p`; call the result when the step ends. */
export function startProgress(p: Progress | undefined, everyMs = PROGRESS_EVERY_MS): () => void {
  if (!p) return () => {};
  const started = Date.now();
  const timer = setInterval(() => {
    const far = p.howFar ? p.howFar() : p.logFile ? lastLogLine(p.logFile) : '';
    p.say(`${p.what}: ${Math.round((Date.now() - started) / 1000)}s so far${far ? `, ${far}` : ''}${p.logFile ? ` (log: ${p.logFile})` : ''}`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export const isRoot = (): boolean => process.getuid?.() === 0;

/**
 * Running and not a zombie (there may be no init here to reap our daemons promptly). A killed
 * multi-threaded process (a JVM) shows its main thread as a zombie while the other threads still
 * exit and hold its files and ports: it counts as alive until its last thread is gone.
 */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(') ') + 2, stat.lastIndexOf(') ') + 3) !== 'Z') return true;
    return readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false;
  }
}

export function readPid(pidFile: string): number | null {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0].trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * The pid in `pidFile` if that process is alive and its command line contains `marker`
 * (the marker protects against a reused pid after a reboot or a crash).
 */
export function pidMatching(pidFile: string, marker: string): number | null {
  const pid = readPid(pidFile);
  if (pid === null || !alive(pid)) return null;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker) ? pid : null;
  } catch {
    return null;
  }
}

export function portOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    const done = (open: boolean) => (socket.destroy(), resolve(open));
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Who listens on a port (best effort, for error messages only). */
async function portOwner(port: number): Promise<string> {
  const out = await run('ss', ['-ltnpH', `sport = :${port}`]).catch(() => '');
  const m = /users:\(\(([^)]*)\)/.exec(out);
  return m ? m[1].replace(/,fd=\d+/g, '').replace(/"/g, '') : '';
}

/** Refuses to start on a port someone else holds. */
export async function requireFreePort(what: string, port: number, envVar: string, logFile: string): Promise<void> {
  if (!(await portOpen(port))) return;
  const owner = await portOwner(port);
  throw new InfraError(what, 'failed', `127.0.0.1:${port} is already in use by another process${owner ? ` (${owner})` : ''}; stop it or set ${envVar}`, logFile);
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Appends stdout and stderr to this file instead of returning stdout. */
  logFile?: string;
  input?: string;
  timeoutMs?: number;
  /** A step that may take more than a few seconds: progress lines while it runs. */
  progress?: Progress;
}

/** Runs a command to completion; rejects on a non-zero exit. Resolves with stdout (empty when logged). */
export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<string> {
  const stopProgress = startProgress(options.progress && { logFile: options.logFile, ...options.progress });
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      cmd,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 0 },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr }));
        else resolve(options.logFile ? '' : stdout);
      },
    );
    // logged as it comes, so the log (and the progress lines) show what a long step is doing now
    const logFile = options.logFile;
    if (logFile) for (const stream of [child.stdout, child.stderr]) stream?.on('data', (chunk: Buffer) => appendFileSync(logFile, chunk));
    if (options.input !== undefined) child.stdin?.end(options.input);
  }).finally(stopProgress);
}

/** Whether `cmd` resolves on PATH (or is an executable path). */
export async function hasCommand(cmd: string): Promise<boolean> {
  return run('sh', ['-c', 'command -v "$1"', 'sh', cmd]).then(
    () => true,
    () => false,
  );
}

/**
 * Starts a long-running server detached in its own session (it survives us and terminal hang-ups),
 * output appended to `logFile`, its pid written to `pidFile`.
 */
export function spawnDaemon(name: string, logFile: string, pidFile: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  rmSync(pidFile, { force: true });
  appendFileSync(logFile, `\n===== ${new Date().toISOString()} starting ${name} =====\n`);
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', out, out], env });
    if (child.pid === undefined) throw new InfraError(name, 'failed', `process did not start (${cmd})`, logFile);
    child.on('error', () => {}); // reported through the pid check and the log
    child.unref();
    writeFileSync(pidFile, `${child.pid}\n`);
    return child.pid;
  } finally {
    closeSync(out);
  }
}

/**
 * Polls `check` every 250 ms until it is true. 'timeout' after `seconds`; 'died' as soon as `pid`
 * (when given) is gone, since waiting longer is pointless.
 */
export async function waitUntil(seconds: number, pid: number | null, check: () => Promise<boolean> | boolean, progress?: Progress): Promise<'ok' | 'timeout' | 'died'> {
  const deadline = Date.now() + seconds * 1000;
  const stopProgress = startProgress(progress && { howFar: () => `up to ${seconds}s`, ...progress });
  try {
    for (;;) {
      if (await Promise.resolve(check()).catch(() => false)) return 'ok';
      if (pid !== null && !alive(pid)) return 'died';
      if (Date.now() >= deadline) return 'timeout';
      await sleep(250);
    }
  } finally {
    stopProgress();
  }
}

/** SIGTERM (graceful), wait up to `timeoutSeconds`, then SIGKILL. */
export async function stopPid(name: string, pid: number, timeoutSeconds: number, say: Say, logsDir: string): Promise<void> {
  if (!alive(pid)) return;
  signal(pid, 'SIGTERM');
  if ((await waitUntil(timeoutSeconds, null, () => !alive(pid))) === 'ok') return;
  say(`${name} did not stop within ${timeoutSeconds}s, killing it (pid ${pid})`);
  signal(pid, 'SIGKILL');
  if ((await waitUntil(10, null, () => !alive(pid))) !== 'ok') throw new InfraError(name, 'failed', `pid ${pid} survives SIGKILL`, logsDir);
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

let aptUpdated = false;

/** Installs missing Debian packages (root only; `apt-get update` once; never upgrades an installed package under a running server). */
export async function aptInstall(what: string, packages: string[], logsDir: string, say: Say): Promise<void> {
  const log = path.join(logsDir, 'apt.log');
  if (!isRoot()) throw new InfraError(what, 'missing', `not installing as non-root; run: sudo apt-get install -y ${packages.join(' ')}`);
  if (!(await hasCommand('apt-get'))) throw new InfraError(what, 'missing', `no apt-get here; install ${packages.join(' ')} yourself`);
  say(`installing ${packages.join(' ')} with apt-get (log: ${log})`);
  if (!aptUpdated) {
    await run('apt-get', ['update'], { logFile: log, progress: { say, what: 'apt-get update' } }).catch(() => {
      throw new InfraError(what, 'failed', 'apt-get update failed', log);
    });
    aptUpdated = true;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['install', '-y', '--no-install-recommends', '--no-upgrade', ...packages], { logFile: log, env, progress: { say, what: `apt-get install ${packages.join(' ')}` } }).catch(() => {
    throw new InfraError(what, 'failed', `apt-get install ${packages.join(' ')} failed`, log);
  });
}

/** Installs `pkg` when `cmd` is missing. */
export async function needCommand(cmd: string, pkg: string, logsDir: string, say: Say): Promise<void> {
  if (await hasCommand(cmd)) return;
  await aptInstall(cmd, [pkg], logsDir, say);
  if (!(await hasCommand(cmd))) throw new InfraError(cmd, 'missing', `package ${pkg} installed but ${cmd} is still not on PATH`, path.join(logsDir, 'apt.log'));
}

export function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
}

const lockQueues = new Map<string, Promise<void>>();

/**
 * One infra program at a time changes a data directory (two parallel `up`s would race on ports and
 * pids). Across processes: a file holding the owner's pid, created with O_EXCL; a lock whose owner
 * is dead is stale and taken over. Within one process (a test starting two private services of one
 * directory at once): a queue. Resolves with the release function.
 */
export async function takeLock(runDir: string, logsDir: string, waitSeconds = 600): Promise<() => void> {
  const file = path.join(runDir, '.lock.pid');
  const before = lockQueues.get(file) ?? Promise.resolve();
  let releaseQueue = () => {};
  const mine = new Promise<void>((resolve) => (releaseQueue = resolve));
  lockQueues.set(file, before.then(() => mine));
  await before;
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        if (readPid(file) === process.pid) rmSync(file, { force: true });
        releaseQueue();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        releaseQueue();
        throw err;
      }
    }
    const owner = readPid(file);
    if (owner === null ? olderThan(file, 5_000) : !alive(owner)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      releaseQueue();
      throw new InfraError('tools/infra', 'failed', `another infra program (pid ${owner}) holds ${file} for ${waitSeconds}s`, logsDir);
    }
    await sleep(200);
  }
}

/** An unreadable lock file older than this was left by a writer that died between create and write. */
function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch {
    return true;
  }
}

export function rmPid(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

/** The pids whose parent is `pid` (PostgreSQL's backends), from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
