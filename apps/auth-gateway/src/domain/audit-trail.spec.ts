import { decodeLoginAuditRecord } from '@usersys/event-schema';
import { LoginAuditTrail, type AuditEntry, type AuditLog, type AuditLossReason } from './audit-trail';
import type { AuditAttempt } from './ports';

/** Appends stay open until the test settles them, like a group commit still waiting for its fdatasync. */
class HeldLog implements AuditLog {
  held: Array<{ entry: AuditEntry; settle: (err?: Error) => void }> = [];
  append(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => this.held.push({ entry, settle: (err) => (err ? reject(err) : resolve()) }));
  }
}

const attempt = (username: string): AuditAttempt => ({ username, clientIp: '10.0.0.1', userAgent: 'jest', result: 'failure', reason: 'bad_credentials', traceId: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });

function counting() {
  const lost: AuditLossReason[] = [];
  let written = 0;
  return { lost, written: () => written, events: { onWritten: () => written++, onLost: (reason: AuditLossReason) => lost.push(reason) } };
}

describe('LoginAuditTrail', () => {
  it('returns before the record is on disk, and counts it written once the append resolves', async () => {
    const log = new HeldLog();
    const c = counting();
    const trail = new LoginAuditTrail(log, 10, c.events);
    trail.record({ ...attempt('a'.repeat(100)), userAgent: 'x'.repeat(1000) });
    expect(trail.pending).toBe(1); // the login went on; the record waits for the disk
    expect(c.written()).toBe(0);
    const { entry } = log.held[0];
    expect(decodeLoginAuditRecord(JSON.stringify(entry.record))).toEqual(entry.record);
    expect(entry.record.username).toHaveLength(64);
    expect(entry.traceparent).toBe(attempt('a').traceparent);
    log.held[0].settle();
    await trail.flush();
    expect([trail.pending, c.written(), c.lost]).toEqual([0, 1, []]);
  });

  it('counts what the WAL refuses and what finds LOGIN_AUDIT_BUFFER records already waiting, never throwing', async () => {
    const log = new HeldLog();
    const c = counting();
    const trail = new LoginAuditTrail(log, 2, c.events);
    for (const name of ['a', 'b', 'c', 'd']) trail.record(attempt(name));
    expect(trail.pending).toBe(2); // bounded: memory does not grow while the disk stalls
    expect(c.lost).toEqual(['backlog_full', 'backlog_full']);
    log.held[0].settle(new Error('ENOSPC: no space left on device'));
    log.held[1].settle();
    await trail.flush();
    expect(c.lost).toEqual(['backlog_full', 'backlog_full', 'wal_error']);
    expect(c.written()).toBe(1);
    trail.record(attempt('e')); // room again
    expect(log.held.map((h) => h.entry.record.username)).toEqual(['a', 'b', 'e']);
  });

  it('counts a synchronous refusal of the log as lost', () => {
    const c = counting();
    const trail = new LoginAuditTrail(
      {
        append: () => {
          throw new Error('closed');
        },
      },
      5,
      c.events,
    );
    expect(() => trail.record(attempt('a'))).not.toThrow();
    expect([c.lost, trail.pending]).toEqual([['wal_error'], 0]);
  });
});
