import { ConfigError } from '@usersys/config';
import type { Logger } from 'pino';

// A service process's life: runMain starts it, handleShutdown ends it.

/**
 * What a failed start prints: a ConfigError is the one clear line naming the variable
 * (docs/operations.md); anything else in full, stack included.
 */
export function startupFailureMessage(err: unknown): string {
  if (err instanceof ConfigError) return err.message;
  return `fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

/** Runs a service's async main; a failure is printed (startupFailureMessage) and the process exits non-zero instead of limping on. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`${startupFailureMessage(err)}\n`);
    process.exit(1);
  });
}

/**
 * Graceful shutdown on SIGTERM/SIGINT: runs the steps in order (stop intake, drain, commit, close),
 * each failure logged but not stopping the others; a second signal or the deadline exits at once.
 * `steps` may be a function, read when the signal comes (a service still starting has fewer).
 */
export function handleShutdown(log: Logger, steps: Array<[string, () => Promise<unknown>]> | (() => Array<[string, () => Promise<unknown>]>), deadlineMs = 20_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error({ deadlineMs }, 'shutdown deadline passed: exiting');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    for (const [name, step] of typeof steps === 'function' ? steps() : steps) {
      try {
        await step();
      } catch (err) {
        log.error({ err, step: name }, 'shutdown step failed');
      }
    }
    log.info('shutdown complete');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
