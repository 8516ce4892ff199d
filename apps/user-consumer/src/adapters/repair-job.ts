import type { Logger } from '@usersys/logger';
import type { Bookkeeping, UserStore } from '../domain/ports';

const REPAIR_INTERVAL_MS = 5000;
const REPAIR_BATCH = 500;

/**
 * Fills what degraded writes left out (consumer_deferred_columns), every 5 s while the degrade
 * switch is off, and refreshes the cache entries of the repaired rows.
 */
export class RepairJob {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: Pick<UserStore, 'repairDeferred'>,
    private readonly bookkeeping: Pick<Bookkeeping, 'refreshRows'>,
    private readonly degraded: () => boolean,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.runOnce(), REPAIR_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private runOnce(): void {
    if (this.degraded()) return;
    this.store
      .repairDeferred(REPAIR_BATCH)
      .then(async (rows) => {
        if (rows.length === 0) return;
        this.log.info({ repaired: rows.length, step: 'repairDeferred' }, 'filled deferred columns');
        await this.bookkeeping.refreshRows(rows).catch(() => {});
      })
      .catch((err: Error) => this.log.warn({ err: err.message, step: 'repairDeferred' }, 'repair of deferred columns failed; will try again'));
  }
}
