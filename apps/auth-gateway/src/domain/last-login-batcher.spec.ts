import { LastLoginBatcher } from './last-login-batcher';
import type { LastLoginWriter } from './ports';

class RecordingWriter implements LastLoginWriter {
  batches: Array<Array<{ username: string; at: Date }>> = [];
  failNext = false;
  async writeBatch(entries: Array<{ username: string; at: Date }>) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('db down');
    }
    this.batches.push(entries);
    return entries.length;
  }
}

const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, s));

describe('LastLoginBatcher', () => {
  it('keeps one entry per account with the latest time', async () => {
    const writer = new RecordingWriter();
    const batcher = new LastLoginBatcher(writer, { buffer: 10, batchSize: 10, flushIntervalMs: 60_000, timeoutMs: 1000 });
    await batcher.record('a', t(2));
    await batcher.record('a', t(5));
    await batcher.record('a', t(3));
    await batcher.record('b', t(1));
    await batcher.drain();
    expect(writer.batches).toEqual([
      [
        { username: 'a', at: t(5) },
        { username: 'b', at: t(1) },
      ],
    ]);
  });

  it('flushes as soon as a batch is full', async () => {
    const writer = new RecordingWriter();
    const batcher = new LastLoginBatcher(writer, { buffer: 10, batchSize: 2, flushIntervalMs: 60_000, timeoutMs: 1000 });
    await batcher.record('a', t(1));
    await batcher.record('b', t(1));
    await batcher.flush();
    expect(writer.batches).toHaveLength(1);
    expect(batcher.queued).toBe(0);
  });

  it('writes directly when the queue is full, and requeues a failed batch', async () => {
    const writer = new RecordingWriter();
    let direct = 0;
    const batcher = new LastLoginBatcher(writer, { buffer: 1, batchSize: 5, flushIntervalMs: 60_000, timeoutMs: 1000 }, { onDirectWrite: () => direct++ });
    await batcher.record('a', t(1));
    await batcher.record('b', t(2));
    expect(direct).toBe(1);
    expect(writer.batches).toEqual([[{ username: 'b', at: t(2) }]]);
    writer.failNext = true;
    await batcher.flush();
    expect(batcher.queued).toBe(1);
    await batcher.drain();
    expect(writer.batches[1]).toEqual([{ username: 'a', at: t(1) }]);
  });
});
