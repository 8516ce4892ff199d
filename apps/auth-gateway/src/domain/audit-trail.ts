import { createLoginAuditRecord, toSafeText, type LoginAuditRecord } from '@usersys/event-schema';
import type { AuditAttempt, AuditTrail } from './ports';

export interface AuditEntry {
  record: LoginAuditRecord;
  /** The login request's trace context, so the relay's publish span joins the login's trace. */
  traceparent?: string;
}

/** Where audit records go: the gateway's own WAL (adapters/wal-audit-log.ts). Resolves once the record is on disk. */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
}

export type AuditLossReason = 'wal_error' | 'backlog_full';

export interface AuditTrailEvents {
  /** A record reached the disk. */
  onWritten?: () => void;
  /** A record could not be written: the WAL refused it (disk error), or too many were still waiting for the disk. */
  onLost?: (reason: AuditLossReason, err?: Error) => void;
}

// Cut to the record's limits without ever leaving half a surrogate pair (the record would be refused).
const cut = (s: string, max: number) => toSafeText(s, max);

/**
 * The login audit trail: every attempt becomes a record (never a password or token) appended to
 * the gateway's audit WAL, which wal-relay ships to `user.login-audit.v1`. A login never waits:
 * `record` hands the record to the WAL's group commit and returns; the write and fdatasync happen
 * in the background with everyone else's. At most `maxPending` records wait for the disk at once
 * (bounded memory when the disk stalls); beyond that, and for every record the WAL refuses, the
 * loss is counted (`onLost`), never thrown at the login.
 */
export class LoginAuditTrail implements AuditTrail {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly log: AuditLog,
    private readonly maxPending: number,
    private readonly events: AuditTrailEvents = {},
  ) {}

  /** Records accepted but not yet on disk (lost if the process dies now). */
  get pending(): number {
    return this.inFlight.size;
  }

  record(attempt: AuditAttempt): void {
    if (this.inFlight.size >= this.maxPending) {
      this.events.onLost?.('backlog_full');
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
    let written: Promise<void>;
    try {
      written = this.log.append({ record, traceparent: attempt.traceparent });
    } catch (err) {
      this.events.onLost?.('wal_error', err as Error);
      return;
    }
    const done = written.then(
      () => this.events.onWritten?.(),
      (err: Error) => this.events.onLost?.('wal_error', err),
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Waits until every record accepted so far is on disk or counted as lost (shutdown, tests). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
