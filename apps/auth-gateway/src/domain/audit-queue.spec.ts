import { decodeLoginAuditRecord } from '@usersys/event-schema';
import { AuditQueue, type AuditSink, type QueuedAudit } from './audit-queue';
import type { AuditAttempt } from './ports';

class RecordingSink implements AuditSink {
  batches: QueuedAudit[][] = [];
  failing = false;
  async publish(batch: QueuedAudit[]) {
    if (this.failing) throw new Error('kafka down');
    this.batches.push(batch);
  }
}

const attempt = (username: string): AuditAttempt => ({ username, clientIp: '10.0.0.1', userAgent: 'jest', result: 'failure', reason: 'bad_credentials', traceId: null });

describe('AuditQueue', () => {
  it('publishes full batches at once and the rest on flush, as valid records', async () => {
    const sink = new RecordingSink();
    const queue = new AuditQueue(sink, { buffer: 10, batchSize: 2, flushIntervalMs: 60_000 });
    queue.record(attempt('a'));
    queue.record(attempt('b'));
    queue.record({ ...attempt('c'.repeat(100)), userAgent: 'x'.repeat(1000) });
    await queue.drain();
    expect(sink.batches.map((b) => b.map((q) => q.record.username.slice(0, 1)))).toEqual([['a', 'b'], ['c']]);
    const last = sink.batches[1][0].record;
    expect(decodeLoginAuditRecord(JSON.stringify(last))).toEqual(last);
    expect(last.username).toHaveLength(64);
  });

  it('counts every record refused while full, and retries a failed batch without losing it', async () => {
    const sink = new RecordingSink();
    let dropped = 0;
    const queue = new AuditQueue(sink, { buffer: 2, batchSize: 5, flushIntervalMs: 60_000 }, { onOverflow: () => dropped++ });
    sink.failing = true;
    for (const name of ['a', 'b', 'c', 'd']) queue.record(attempt(name));
    expect(dropped).toBe(2);
    await queue.flush();
    expect(queue.queued).toBe(2);
    sink.failing = false;
    await queue.drain();
    expect(sink.batches.flat().map((q) => q.record.username)).toEqual(['a', 'b']);
  });

  it('reports what it had to abandon when the sink stays down at shutdown', async () => {
    const sink = new RecordingSink();
    sink.failing = true;
    let abandoned = 0;
    const queue = new AuditQueue(sink, { buffer: 5, batchSize: 5, flushIntervalMs: 60_000 }, { onAbandoned: (n) => (abandoned = n) });
    queue.record(attempt('a'));
    await queue.drain(2);
    expect(abandoned).toBe(1);
  });
});
