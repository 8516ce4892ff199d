import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listSegments, pruneSegments, readCheckpoint, WalFailedError, WalLockedError, WalOutcomeUnknownError, WalReader, WalWriter, writeCheckpoint } from './index';

async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'wal-spec-'));
}

async function readAll(reader: WalReader): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const batch = await reader.read(1000);
    if (batch.length === 0) {
      await reader.close();
      return out;
    }
    out.push(...batch.map((r) => r.payload.toString()));
  }
}

describe('WalWriter and WalReader', () => {
  it('reads back every appended record in order, with its append time', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    const before = Date.now();
    for (let i = 0; i < 50; i++) await writer.append(Buffer.from(`r${i}`));
    await writer.close();
    const reader = new WalReader(dir, null);
    const first = await reader.read(1);
    expect(first[0].payload.toString()).toBe('r0');
    expect(first[0].appendedAtMs).toBeGreaterThanOrEqual(before);
    expect(await readAll(reader)).toEqual(Array.from({ length: 49 }, (_, i) => `r${i + 1}`));
  });

  it('group-commits concurrent appends into far fewer fsyncs', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    await Promise.all(Array.from({ length: 500 }, (_, i) => writer.append(Buffer.from(`c${i}`))));
    expect(writer.batches).toBeLessThan(50);
    await writer.close();
    expect(await readAll(new WalReader(dir, null))).toHaveLength(500);
  });

  it('rotates segments by size and the reader follows across them', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir, { segmentBytes: 200 });
    const reader = new WalReader(dir, null);
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) {
      await writer.append(Buffer.from(`record-${i}`.padEnd(40, '.')));
      if (i % 7 === 0) seen.push(...(await readAll(reader)));
    }
    seen.push(...(await readAll(reader)));
    expect((await listSegments(dir)).length).toBeGreaterThan(5);
    expect(seen).toEqual(Array.from({ length: 40 }, (_, i) => `record-${i}`.padEnd(40, '.')));
    await writer.close();
  });

  it('cuts a torn tail on reopen and keeps every complete record', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    for (let i = 0; i < 10; i++) await writer.append(Buffer.from(`ok${i}`));
    await writer.close();
    const [seg] = await listSegments(dir);
    const file = path.join(dir, `seg-${String(seg).padStart(12, '0')}.wal`);
    await fs.appendFile(file, Buffer.from([42, 0, 0, 0, 1, 2, 3])); // a crash mid-record
    const reopened = await WalWriter.open(dir);
    await reopened.append(Buffer.from('after'));
    await reopened.close();
    expect(await readAll(new WalReader(dir, null))).toEqual([...Array.from({ length: 10 }, (_, i) => `ok${i}`), 'after']);
  });

  it('allows one writer per log', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    await expect(WalWriter.open(dir)).rejects.toThrow(WalLockedError);
    await writer.close();
    const again = await WalWriter.open(dir);
    await again.close();
  });

  it('refuses a log locked by another live process, naming it and what to do', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'writer.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), started: null }));
    const err = await WalWriter.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalLockedError);
    expect((err as Error).message).toContain(`process ${process.ppid}`);
    expect((err as Error).message).toContain('WAL_NAME');
  });

  it('takes over a lock naming this very pid that this process does not hold (container restart)', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'writer.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), started: null }));
    const writer = await WalWriter.open(dir);
    await writer.close();
  });

  it('starts a fresh segment on reopen instead of appending after recovered data', async () => {
    const dir = await tempDir();
    const first = await WalWriter.open(dir);
    await first.append(Buffer.from('a'));
    await first.close();
    const second = await WalWriter.open(dir);
    expect(second.position).toEqual({ segment: 2, offset: 0 });
    await second.close();
    const third = await WalWriter.open(dir); // the newest segment is still empty: reused
    expect(third.position).toEqual({ segment: 2, offset: 0 });
    await third.append(Buffer.from('b'));
    await third.close();
    expect(await readAll(new WalReader(dir, null))).toEqual(['a', 'b']);
  });

  it('archives acknowledged segments instead of deleting them when asked', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir, { segmentBytes: 50 });
    for (let i = 0; i < 5; i++) await writer.append(Buffer.from(`x${i}`.padEnd(40, '.')));
    const archiveDir = path.join(dir, 'archive');
    expect(await pruneSegments(dir, writer.position, { archiveDir })).toBe(4);
    expect(await listSegments(archiveDir)).toEqual([1, 2, 3, 4]);
    expect(await listSegments(dir)).toEqual([5]);
    await writer.close();
  });

  it('takes over the lock of a dead process', async () => {
    const dir = await tempDir();
    await fs.writeFile(path.join(dir, 'writer.lock'), '999999999');
    const writer = await WalWriter.open(dir);
    await writer.close();
  });

  it('resumes from a checkpoint and prunes acknowledged segments', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir, { segmentBytes: 100 });
    for (let i = 0; i < 20; i++) await writer.append(Buffer.from(`p${i}`.padEnd(30, '-')));
    const reader = new WalReader(dir, null);
    const firstTen = [];
    while (firstTen.length < 10) firstTen.push(...(await reader.read(10 - firstTen.length)));
    await reader.close();
    await writeCheckpoint(dir, firstTen[9].end);
    const checkpoint = await readCheckpoint(dir);
    expect(checkpoint).toEqual(firstTen[9].end);
    expect(await pruneSegments(dir, checkpoint!)).toBeGreaterThan(0);
    const resumed = await readAll(new WalReader(dir, checkpoint));
    expect(resumed).toEqual(Array.from({ length: 10 }, (_, i) => `p${i + 10}`.padEnd(30, '-')));
    await writer.close();
  });

  it('a failed fdatasync: the batch it wrote is reported as maybe written (a reader already sees it); later appends as not written', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    const handle = (writer as unknown as { handle: { datasync: () => Promise<void> } }).handle;
    handle.datasync = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const first = await writer.append(Buffer.from('unsynced')).catch((err: Error) => err);
    expect(first).toBeInstanceOf(WalFailedError);
    expect(first).toBeInstanceOf(WalOutcomeUnknownError);
    // The bytes are in the file: the relay reads and ships them although the append failed.
    expect(await readAll(new WalReader(dir, null))).toEqual(['unsynced']);
    const later = await writer.append(Buffer.from('refused')).catch((err: Error) => err);
    expect(later).toBeInstanceOf(WalFailedError);
    expect(later).not.toBeInstanceOf(WalOutcomeUnknownError);
    expect(await readAll(new WalReader(dir, null))).toEqual(['unsynced']);
  });

  it('rejects appends after close and oversized records', async () => {
    const dir = await tempDir();
    const writer = await WalWriter.open(dir);
    await expect(writer.append(Buffer.alloc(2 * 1024 * 1024))).rejects.toThrow(RangeError);
    await writer.close();
    await expect(writer.append(Buffer.from('late'))).rejects.toThrow('closed');
  });
});
