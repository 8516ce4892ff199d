import { backoffMs } from '@usersys/service-kit';
import type { ChildProcess } from 'node:child_process';

/** What the supervisor needs of the running services: their current processes and a way to start one again. */
export interface Supervisable {
  processes: Map<string, ChildProcess>;
  /** Starts a stopped service again; resolves once it is healthy, rejects if it dies or never becomes healthy. */
  restart(name: string): Promise<void>;
  /** Sends a signal to one service and waits until it exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
}

export interface SupervisorOptions {
  /** First restart waits about this long, doubling per consecutive failure (with jitter). */
  baseMs?: number;
  maxMs?: number;
  /** A service that stayed up this long starts again from the first backoff step after its next exit. */
  stableMs?: number;
  log?: (line: string) => void;
}

/**
 * Restarts any service that exits while the supervisor is on, with capped exponential backoff, and
 * logs each exit and restart. One crashing service never takes the others down; a crash loop slows
 * to one attempt per `maxMs` instead of spinning. `stop()` first, then stop the services: an exit
 * after that is the shutdown, not a crash.
 */
export class Supervisor {
  private stopped = false;
  private readonly attempts = new Map<string, number>();
  private readonly upSince = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly stableMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly services: Supervisable,
    options: SupervisorOptions = {},
  ) {
    this.baseMs = options.baseMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
    this.stableMs = options.stableMs ?? 60_000;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Watches every service that is running now. */
  start(): void {
    for (const name of this.services.processes.keys()) this.watch(name);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Consecutive failed starts of `name` (0 once it has been up for `stableMs`). */
  attemptsOf(name: string): number {
    return this.attempts.get(name) ?? 0;
  }

  private watch(name: string): void {
    const child = this.services.processes.get(name)!;
    this.upSince.set(name, Date.now());
    child.once('exit', (code, signal) => {
      if (this.stopped) return;
      if (Date.now() - (this.upSince.get(name) ?? 0) >= this.stableMs) this.attempts.set(name, 0);
      this.scheduleRestart(name, `exited (code ${code}, signal ${signal})`);
    });
  }

  private scheduleRestart(name: string, why: string): void {
    const attempt = (this.attempts.get(name) ?? 0) + 1;
    this.attempts.set(name, attempt);
    const delay = backoffMs(attempt, { baseMs: this.baseMs, maxMs: this.maxMs });
    this.log(`supervisor: ${name} ${why}; restart ${attempt} in ${delay} ms`);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.stopped) return;
      this.services.restart(name).then(
        () => {
          if (this.stopped) return;
          this.log(`supervisor: ${name} is healthy again (pid ${this.services.processes.get(name)?.pid})`);
          this.watch(name);
        },
        async (err: Error) => {
          if (this.stopped) return;
          await this.services.kill(name, 'SIGKILL'); // one that started but never became healthy
          this.scheduleRestart(name, `failed to start (${err.message})`);
        },
      );
    }, delay);
    this.timers.add(timer);
  }
}
