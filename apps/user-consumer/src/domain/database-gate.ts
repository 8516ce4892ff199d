import type { Logger } from '@usersys/logger';
import { doublingDelayMs, type BackoffPolicy } from '@usersys/service-kit';
import { decideFailure, type FailedStep, type FailureAction, type FailureKind } from './failure-policy';
import { errorText } from './messages';
import type { BatchControl, ConsumerMetrics, UserStore } from './ports';

/** Shutdown or rebalance asked us to stop: leave the rest of the batch unresolved (redelivered). */
export class StopRequested extends Error {}

/** Waits while the database does not answer: 250 ms, doubling, at most 5 s. */
const DATABASE_PAUSE: BackoffPolicy = { baseMs: 250, maxMs: 5000 };

/** A database step's result; a failure carries what the failure policy decided (never "pause": that is waited out). */
export type Attempted<T> = { ok: true; value: T } | Failed;
export type Failed = { ok: false; error: unknown; decision: Exclude<FailureAction, { action: 'pause' }> };

/**
 * Runs database steps under the failure policy: a failure is classified (data, unavailable,
 * transient), the database pinged when that matters, and the policy's "pause" waited out here
 * (heartbeats, nothing resolved, backoff up to 5 s) before the step is repeated.
 */
export class DatabaseGate {
  constructor(
    private readonly deps: { store: Pick<UserStore, 'ping' | 'classify'>; metrics: Pick<ConsumerMetrics, 'databasePaused'>; log: Logger; maxAttempts: number; sleep: (ms: number) => Promise<void> },
  ) {}

  /** Runs fn as `step` (attempt = failed retry deliveries so far); anything but a pause is returned to the caller. */
  async attempt<T>(step: FailedStep, attempt: number, ctl: BatchControl, fn: () => Promise<T>): Promise<Attempted<T>> {
    // Pauses of one step back off together: a server that answers the ping but takes no writes
    // (read-only) would otherwise be asked again every 250 ms.
    for (let pauses = 0; ; pauses++) {
      try {
        return { ok: true, value: await fn() };
      } catch (error) {
        const kind = this.classify(error);
        const databaseAnswers = kind === 'data' || (await this.databaseUp());
        const decision = decideFailure({ step, kind, databaseAnswers, attempt, maxAttempts: this.deps.maxAttempts });
        if (decision.action !== 'pause') return { ok: false, error, decision };
        await this.waitForDatabase(error, ctl, pauses + 1);
      }
    }
  }

  /** For our own parking queries: an outage pauses; any other failure is thrown (the batch is redelivered). */
  async must<T>(fn: () => Promise<T>, ctl: BatchControl): Promise<T> {
    const res = await this.attempt('parking', 0, ctl, fn);
    if (!res.ok) throw res.error;
    return res.value;
  }

  private classify(error: unknown): FailureKind {
    return this.deps.store.classify?.(error) ?? 'transient';
  }

  private async databaseUp(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.deps.store.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('ping timed out')), 2000)))]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sleeps (backing off from the `firstWait`-th step of DATABASE_PAUSE) until the database answers the ping. */
  private async waitForDatabase(error: unknown, ctl: BatchControl, firstWait: number): Promise<void> {
    const { log, metrics, sleep } = this.deps;
    log.error({ err: errorText(error), step: 'database', status: 'paused' }, 'database unavailable: consumption paused until it answers again');
    metrics.databasePaused(true);
    try {
      let wait = firstWait;
      do {
        if (!ctl.isRunning()) throw new StopRequested();
        await ctl.heartbeat();
        await sleep(doublingDelayMs(wait++, DATABASE_PAUSE));
      } while (!(await this.databaseUp()));
    } finally {
      metrics.databasePaused(false);
    }
    log.info({ step: 'database', status: 'resumed' }, 'database reachable again: consumption resumed');
  }
}
