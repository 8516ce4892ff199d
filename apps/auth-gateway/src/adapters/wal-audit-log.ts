import { encodeLoginAuditWalRecord } from '@usersys/event-schema';
import { WalFailedError, WalLockedError, WalWriter } from '@usersys/wal';
import type { AuditEntry, AuditLog } from '../domain/audit-trail';

export interface WalAuditLogEvents {
  /** The WAL could not be opened, or failed for good (fsync error): records are refused until it reopens. */
  onUnavailable?: (err: Error) => void;
  onReopened?: () => void;
}

/**
 * The gateway's audit WAL, `WAL_DIR/<AUDIT_WAL_NAME>` (libs/wal: segments, CRC frames, group commit,
 * one writer per directory); wal-relay finds it next to user-command's logs and ships it to
 * `user.login-audit.v1` (record format: libs/event-schema/src/wal-record.ts).
 *
 * A disk error never stops logins: a failed batch (e.g. ENOSPC) only fails its own records; after
 * a failed fdatasync the writer refuses everything (libs/wal: a retried fsync can lie), so this
 * closes it and reopens the directory every `reopenAfterMs` (the same recovery a restart does:
 * torn tail cut, fresh segment). Meanwhile appends are refused at once and counted by the caller.
 */
export class WalAuditLog implements AuditLog {
  private writer: WalWriter | null = null;
  private problem: Error | null = null;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    readonly dir: string,
    private readonly reopenAfterMs: number,
    private readonly events: WalAuditLogEvents,
  ) {}

  /**
   * Opens the log. Another live process holding the directory (two gateways configured with one
   * AUDIT_WAL_NAME) is a deployment error and throws; any other failure starts the gateway
   * without its audit WAL (logins still work, records are counted as lost) and keeps retrying.
   */
  static async open(dir: string, options: { reopenAfterMs: number } & WalAuditLogEvents): Promise<WalAuditLog> {
    const log = new WalAuditLog(dir, options.reopenAfterMs, options);
    try {
      log.writer = await WalWriter.open(dir);
    } catch (err) {
      if (err instanceof WalLockedError) throw err;
      log.unavailable(err as Error);
    }
    return log;
  }

  append(entry: AuditEntry): Promise<void> {
    const writer = this.writer;
    if (!writer) return Promise.reject(new Error(`audit WAL ${this.dir} unavailable: ${this.problem?.message ?? 'closed'}`));
    return writer.append(encodeLoginAuditWalRecord(entry.record, { traceparent: entry.traceparent })).then(
      () => undefined,
      (err: Error) => {
        if (err instanceof WalFailedError && this.writer === writer) {
          this.writer = null;
          void writer.close().catch(() => undefined);
          this.unavailable(err);
        }
        throw err;
      },
    );
  }

  /** Group commits (one write + fdatasync each) done by the current writer. */
  get groupCommits(): number {
    return this.writer?.batches ?? 0;
  }

  /**
   * For /readyz: throws while the WAL is not open (failed to open, or failed fsync, until it reopens).
   * A single failed batch (e.g. ENOSPC) does not: the writer stays usable, the loss is counted, and a
   * readiness that only a later successful login could clear would keep the traffic away for good.
   */
  check(): void {
    if (!this.writer) throw new Error(`audit WAL ${this.dir}: ${this.problem?.message ?? 'closed'}`);
  }

  private unavailable(err: Error): void {
    this.problem = err;
    this.events.onUnavailable?.(err);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      WalWriter.open(this.dir).then(
        (writer) => {
          if (this.closed) return void writer.close();
          this.writer = writer;
          this.problem = null;
          this.events.onReopened?.();
        },
        (err: Error) => {
          this.problem = err;
          this.scheduleReopen();
        },
      );
    }, this.reopenAfterMs);
    this.retry.unref();
  }

  /** Writes what is queued (each append resolves or fails), then releases the directory. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const writer = this.writer;
    this.writer = null;
    await writer?.close();
  }
}
