import type { LastLoginWriter } from './ports';

export interface LastLoginOptions {
  /** Accounts waiting at most (LOGIN_UPDATE_BUFFER); beyond it a login writes its own row directly. */
  buffer: number;
  batchSize: number;
  flushIntervalMs: number;
  timeoutMs: number;
}

export interface LastLoginEvents {
  onBatch?: (accounts: number, rowsChanged: number) => void;
  onDirectWrite?: () => void;
  onFailure?: (err: Error, accounts: number) => void;
  /** Updates that could not be requeued after a failed batch (the queue was full again). */
  onLost?: (accounts: number) => void;
}

/**
 * Last-login times through a bounded queue: one entry per account (a newer login replaces the
 * older time, so a batch writes one row per account, latest time wins), flushed when a batch is
 * full or the interval passes, each batch bounded by a timeout. When the queue is full the login
 * writes its own row directly (and waits for it: backpressure instead of a drop). `drain()` on
 * shutdown writes what is left.
 */
export class LastLoginBatcher {
  private pending = new Map<string, Date>();
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly writer: LastLoginWriter,
    private readonly options: LastLoginOptions,
    private readonly events: LastLoginEvents = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  get queued(): number {
    return this.pending.size;
  }

  async record(username: string, at: Date): Promise<void> {
    const queued = this.pending.get(username);
    if (queued) {
      if (at > queued) this.pending.set(username, at);
      return;
    }
    if (this.pending.size >= this.options.buffer) {
      this.events.onDirectWrite?.();
      try {
        await this.writer.writeBatch([{ username, at }], this.options.timeoutMs);
      } catch (err) {
        this.events.onFailure?.(err as Error, 1);
      }
      return;
    }
    this.pending.set(username, at);
    if (this.pending.size >= this.options.batchSize) void this.flush();
  }

  /** Writes one batch now (more while full batches are waiting); concurrent callers share the run. */
  flush(): Promise<void> {
    if (!this.flushing) this.flushing = this.run().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and writes everything queued (one attempt per batch). */
  async drain(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing;
    let attempts = 0;
    while (this.pending.size > 0 && attempts++ < 3 + Math.ceil(this.pending.size / this.options.batchSize)) await this.flush();
  }

  private async run(): Promise<void> {
    do {
      const batch: Array<{ username: string; at: Date }> = [];
      for (const [username, at] of this.pending) {
        batch.push({ username, at });
        this.pending.delete(username);
        if (batch.length >= this.options.batchSize) break;
      }
      if (batch.length === 0) return;
      try {
        const rows = await this.writer.writeBatch(batch, this.options.timeoutMs);
        this.events.onBatch?.(batch.length, rows);
      } catch (err) {
        this.events.onFailure?.(err as Error, batch.length);
        this.requeue(batch);
        return; // the next tick retries; no hot loop against a failing database
      }
    } while (this.pending.size >= this.options.batchSize);
  }

  private requeue(batch: Array<{ username: string; at: Date }>): void {
    let lost = 0;
    for (const { username, at } of batch) {
      const newer = this.pending.get(username);
      if (newer && newer >= at) continue;
      if (!newer && this.pending.size >= this.options.buffer) {
        lost++;
        continue;
      }
      this.pending.set(username, at);
    }
    if (lost > 0) this.events.onLost?.(lost);
  }
}
