import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ensureDir, FILE_MODE, fsyncDir, listSegments, segmentPath } from './files';
import { encodeFrame, parseFrame } from './frame';
import { acquireWriterLock } from './lock';
import type { WalPosition } from './checkpoint';

export interface WalWriterOptions {
  /** A new segment is started once the current one would grow past this size. */
  segmentBytes?: number;
  /** Most bytes written (and fsynced) in one group commit. */
  maxBatchBytes?: number;
}

interface PendingAppend {
  frame: Buffer;
  resolve: (position: WalPosition) => void;
  reject: (err: Error) => void;
}

export class WalClosedError extends Error {
  constructor() {
    super('WAL writer is closed');
    this.name = 'WalClosedError';
  }
}

export class WalFailedError extends Error {
  constructor(dir: string, cause: Error) {
    super(`WAL ${dir} failed (${cause.message}); no further appends until the process restarts and recovers it`, { cause });
    this.name = 'WalFailedError';
  }
}

/**
 * The append failed after its bytes reached the file (the fdatasync failed, or a failed write could
 * not be cut off again): readers may already see the record and ship it, and a restart may keep it.
 * Whether it counts is unknown, so it must never be reported as refused.
 */
export class WalOutcomeUnknownError extends WalFailedError {
  constructor(dir: string, cause: Error) {
    super(dir, cause);
    this.name = 'WalOutcomeUnknownError';
  }
}

/**
 * Append-only log with group commit: appends that arrive while a batch is being written wait and
 * go together into the next single write + fdatasync. An append resolves only once its batch is on
 * disk. The original system's one-fsync-per-record WAL was slower than Kafka itself; this is not.
 */
export class WalWriter {
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private failure: Error | null = null;
  /** Group commits done so far (one write + one fdatasync each). */
  batches = 0;

  private constructor(
    readonly dir: string,
    private handle: FileHandle,
    private segment: number,
    private size: number,
    private readonly releaseLock: () => Promise<void>,
    private readonly segmentBytes: number,
    private readonly maxBatchBytes: number,
  ) {}

  /**
   * Takes the writer lock, repairs a torn tail left by a crash and starts a fresh segment (unless
   * the newest one is still empty). Starting fresh means a reader that saw bytes a power loss then
   * took away never waits at an offset the new writer will fill with different records.
   */
  static async open(dir: string, options: WalWriterOptions = {}): Promise<WalWriter> {
    await ensureDir(dir);
    const release = await acquireWriterLock(dir);
    try {
      const segments = await listSegments(dir);
      let segment = segments.length ? segments[segments.length - 1] : 1;
      if (segments.length > 0 && (await recoverTail(segmentPath(dir, segment))).original > 0) segment += 1;
      const handle = await fs.open(segmentPath(dir, segment), 'a', FILE_MODE);
      await handle.chmod(FILE_MODE); // a segment left by an older version may be 0644
      const { size } = await handle.stat();
      if (!segments.includes(segment)) await fsyncDir(dir);
      return new WalWriter(dir, handle, segment, size, release, options.segmentBytes ?? 64 * 1024 * 1024, options.maxBatchBytes ?? 4 * 1024 * 1024);
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** Durably appends one record; resolves with the position just after it. */
  append(payload: Buffer): Promise<WalPosition> {
    if (this.closed) return Promise.reject(new WalClosedError());
    if (this.failure) return Promise.reject(this.failure);
    let frame: Buffer;
    try {
      frame = encodeFrame(payload, Date.now());
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ frame, resolve, reject });
      if (!this.flushing) this.flushing = this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      if (this.failure) {
        for (const p of this.pending.splice(0)) p.reject(this.failure);
        break;
      }
      const batch = this.takeBatch();
      try {
        const positions = await this.writeBatch(batch.map((p) => p.frame));
        batch.forEach((p, i) => p.resolve(positions[i]));
      } catch (err) {
        batch.forEach((p) => p.reject(err as Error));
      }
      // One turn of the event loop before the next batch: callers whose appends just resolved
      // (and requests that arrived meanwhile) join it, so a batch is about all concurrent
      // appenders rather than the half that happened to miss the previous one.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.flushing = null;
  }

  private takeBatch(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length && (count === 0 || bytes + this.pending[count].frame.length <= this.maxBatchBytes)) {
      bytes += this.pending[count].frame.length;
      count++;
    }
    return this.pending.splice(0, count);
  }

  private async writeBatch(frames: Buffer[]): Promise<WalPosition[]> {
    const bytes = frames.reduce((n, f) => n + f.length, 0);
    if (this.size > 0 && this.size + bytes > this.segmentBytes) await this.rotate();
    const before = this.size;
    try {
      await this.handle.writev(frames);
    } catch (err) {
      // A half-written batch (e.g. ENOSPC) would hide every later record from the reader: cut it off again.
      const cut = await this.handle.truncate(before).then(
        () => true,
        () => false,
      );
      if (cut) throw err;
      this.failure = new WalFailedError(this.dir, err as Error);
      throw new WalOutcomeUnknownError(this.dir, err as Error);
    }
    try {
      await this.handle.datasync();
    } catch (err) {
      // After a failed fdatasync the kernel may have dropped the dirty pages and a retry can report
      // success for data that never reached the disk: refuse further appends until a restart recovers.
      // This batch is in the file already (readers see it): its outcome is unknown, not refused.
      this.failure = new WalFailedError(this.dir, err as Error);
      throw new WalOutcomeUnknownError(this.dir, err as Error);
    }
    const positions: WalPosition[] = [];
    let offset = before;
    for (const f of frames) {
      offset += f.length;
      positions.push({ segment: this.segment, offset });
    }
    this.size = offset;
    this.batches += 1;
    return positions;
  }

  private async rotate(): Promise<void> {
    const next = await fs.open(segmentPath(this.dir, this.segment + 1), 'a', FILE_MODE);
    await fsyncDir(this.dir);
    await this.handle.close();
    this.handle = next;
    this.segment += 1;
    this.size = 0;
  }

  /** Where the next record will go (segment, byte offset). */
  get position(): WalPosition {
    return { segment: this.segment, offset: this.size };
  }

  /** Waits for queued appends, then releases the file and the writer lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.flushing) await this.flushing;
    await this.handle.close();
    await this.releaseLock();
  }
}

/**
 * A crash mid-write leaves a torn record at the end of the last segment. Everything up to the last
 * complete, CRC-valid record stays; the rest is cut off. Returns the size found and the size kept.
 */
async function recoverTail(file: string): Promise<{ original: number; valid: number }> {
  const data = await fs.readFile(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  });
  let offset = 0;
  for (;;) {
    const frame = parseFrame(data, offset);
    if (frame.kind !== 'record') break;
    offset += frame.bytes;
  }
  if (offset < data.length) {
    const handle = await fs.open(file, 'r+');
    try {
      await handle.truncate(offset);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }
  return { original: data.length, valid: offset };
}
