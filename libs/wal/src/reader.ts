import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { WalPosition } from './checkpoint';
import { listSegments, segmentPath } from './files';
import { HEADER_BYTES, parseFrame } from './frame';

export interface WalRecord {
  payload: Buffer;
  appendedAtMs: number;
  /** Position just after this record: what to checkpoint once it is acknowledged. */
  end: WalPosition;
}

export class WalCorruptError extends Error {
  constructor(file: string, offset: number, reason: string) {
    super(`WAL segment ${file} is corrupt at byte ${offset} (${reason}) although it is sealed`);
    this.name = 'WalCorruptError';
  }
}

/**
 * Tails a log from a position. Data past the last complete record of the newest segment may be a
 * write in progress (or a torn tail the writer will cut on restart), so the reader waits there;
 * corruption inside a sealed segment is an error it refuses to skip.
 */
export class WalReader {
  private handle: FileHandle | null = null;
  private position: WalPosition | null;

  constructor(
    readonly dir: string,
    start: WalPosition | null,
  ) {
    this.position = start;
  }

  get current(): WalPosition | null {
    return this.position;
  }

  /** Up to `maxRecords` / about `maxBytes` of new records; empty when caught up. */
  async read(maxRecords: number, maxBytes = 1024 * 1024): Promise<WalRecord[]> {
    if (!this.position) {
      const segments = await listSegments(this.dir);
      if (segments.length === 0) return [];
      this.position = { segment: segments[0], offset: 0 };
    }
    for (;;) {
      if (!this.handle && !(await this.openSegment())) return [];
      const records = await this.readFromSegment(maxRecords, maxBytes);
      if (records.length > 0) return records;
      if (!(await this.advanceIfSealed())) return [];
    }
  }

  private async readFromSegment(maxRecords: number, maxBytes: number): Promise<WalRecord[]> {
    const pos = this.position!;
    let want = Math.max(maxBytes, HEADER_BYTES);
    for (;;) {
      // Sized to what is there: an idle poll allocates nothing, a busy one no more than it reads.
      const available = (await this.handle!.stat()).size - pos.offset;
      if (available < HEADER_BYTES) return [];
      const window = Math.min(want, available);
      const buf = Buffer.allocUnsafe(window);
      const { bytesRead } = await this.handle!.read(buf, 0, window, pos.offset);
      const data = buf.subarray(0, bytesRead);
      const records: WalRecord[] = [];
      let offset = 0;
      while (records.length < maxRecords) {
        const frame = parseFrame(data, offset);
        if (frame.kind !== 'record') {
          // A single record larger than the read window: read again with a window that fits it.
          if (frame.kind === 'incomplete' && records.length === 0 && window === want && bytesRead === window && data.length >= HEADER_BYTES) {
            want = HEADER_BYTES + data.readUInt32LE(0);
            break;
          }
          this.commit(records, pos, offset);
          return records;
        }
        offset += frame.bytes;
        // A view, not a copy: every read has its own buffer.
        records.push({ payload: frame.payload, appendedAtMs: frame.appendedAtMs, end: { segment: pos.segment, offset: pos.offset + offset } });
      }
      if (records.length === maxRecords) {
        this.commit(records, pos, offset);
        return records;
      }
    }
  }

  /** Opens the segment of the current position; one removed meanwhile (archived by hand) is skipped. */
  private async openSegment(): Promise<boolean> {
    const pos = this.position!;
    try {
      this.handle = await fs.open(segmentPath(this.dir, pos.segment), 'r');
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const next = (await listSegments(this.dir)).find((s) => s > pos.segment);
      if (next === undefined) return false;
      this.position = { segment: next, offset: 0 };
      return this.openSegment();
    }
  }

  private commit(records: WalRecord[], pos: WalPosition, consumed: number): void {
    if (records.length > 0) this.position = { segment: pos.segment, offset: pos.offset + consumed };
  }

  /** Moves to the next segment once the writer has moved on and nothing is left in this one. */
  private async advanceIfSealed(): Promise<boolean> {
    const pos = this.position!;
    const next = (await listSegments(this.dir)).find((s) => s > pos.segment);
    if (next === undefined) return false;
    const { size } = await fs.stat(segmentPath(this.dir, pos.segment));
    if (size > pos.offset) {
      // The segment is sealed (the writer only rotates after its last write), so what is left
      // must parse; otherwise it is corruption, not a write in progress.
      const buf = Buffer.allocUnsafe(Math.min(size - pos.offset, 64 * 1024));
      await this.handle!.read(buf, 0, buf.length, pos.offset);
      const frame = parseFrame(buf, 0);
      if (frame.kind !== 'record') throw new WalCorruptError(segmentPath(this.dir, pos.segment), pos.offset, frame.kind === 'corrupt' ? frame.reason : 'truncated record');
      return true;
    }
    await this.handle?.close();
    this.handle = null;
    this.position = { segment: next, offset: 0 };
    return true;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = null;
  }
}
