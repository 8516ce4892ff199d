import { createLoginAuditRecord, type LoginAuditRecord } from '@usersys/event-schema';
import type { AuditAttempt, AuditTrail } from './ports';

export interface QueuedAudit {
  record: LoginAuditRecord;
  traceparent?: string;
}

export interface AuditSink {
  publish(batch: QueuedAudit[]): Promise<void>;
}

export interface AuditQueueOptions {
  buffer: number;
  batchSize: number;
  flushIntervalMs: number;
}

export interface AuditQueueEvents {
  onPublished?: (records: number) => void;
  onPublishFailed?: (err: Error, records: number) => void;
  /** Overflow policy: the NEW record is refused and counted (login itself never waits on the audit trail). */
  onOverflow?: () => void;
  /** Records still queued when the shutdown drain gave up (the sink kept failing). */
  onAbandoned?: (records: number) => void;
}

const cut = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);

/**
 * The login audit trail: every attempt becomes a record (never a password or token) in a bounded
 * in-memory queue, published in batches. Documented overflow policy: when the queue is full (the
 * sink is down or slower than logins arrive) a new record is refused and counted in
 * `login_audit_dropped_total`, and the episode is logged once with its count when it ends;
 * logins never wait for the audit trail. A failed batch goes back to the head of the queue and is
 * retried on the next tick. `drain()` publishes what is left on shutdown.
 */
export class AuditQueue implements AuditTrail {
  private queue: QueuedAudit[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: AuditSink,
    private readonly options: AuditQueueOptions,
    private readonly events: AuditQueueEvents = {},
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  get queued(): number {
    return this.queue.length;
  }

  record(attempt: AuditAttempt): void {
    if (this.queue.length >= this.options.buffer) {
      this.events.onOverflow?.();
      return;
    }
    const record = createLoginAuditRecord({
      username: cut(attempt.username, 64),
      clientIp: cut(attempt.clientIp, 45),
      userAgent: attempt.userAgent === null ? null : cut(attempt.userAgent, 512),
      result: attempt.result,
      reason: cut(attempt.reason, 64),
      traceId: attempt.traceId && /^[0-9a-f]{32}$/.test(attempt.traceId) ? attempt.traceId : null,
    });
    this.queue.push({ record, traceparent: attempt.traceparent });
    if (this.queue.length >= this.options.batchSize) void this.flush();
  }

  flush(): Promise<void> {
    if (!this.flushing) this.flushing = this.run().finally(() => (this.flushing = null));
    return this.flushing;
  }

  /** Stops the timer and publishes everything queued; gives up after `attempts` failed batches. */
  async drain(attempts = 3): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.flushing) await this.flushing;
    let failures = 0;
    while (this.queue.length > 0 && failures < attempts) {
      const before = this.queue.length;
      await this.flush();
      if (this.queue.length >= before) failures++;
    }
    if (this.queue.length > 0) {
      this.events.onAbandoned?.(this.queue.length);
      this.queue = [];
    }
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.batchSize);
      try {
        await this.sink.publish(batch);
        this.events.onPublished?.(batch.length);
      } catch (err) {
        this.queue.unshift(...batch); // keeps order; may exceed the bound by one batch, never drops it
        this.events.onPublishFailed?.(err as Error, batch.length);
        return;
      }
      if (this.queue.length < this.options.batchSize) return; // a partial batch waits for the next tick
    }
  }
}
