import type { WalPosition } from '@usersys/wal';

/** One WAL read handed to the lanes; acknowledged once every lane finished its part of it. */
export interface Chunk {
  readonly seq: number;
  readonly end: WalPosition;
  readonly appendedAtMs: number[];
  partsLeft: number;
}

/**
 * Lanes finish chunks out of order; the checkpoint may only move over the contiguous prefix of
 * fully acknowledged chunks, so a crash never skips a record that a slower lane still holds.
 */
export class AckTracker {
  private readonly open: Chunk[] = [];
  private nextSeq = 0;
  acked: WalPosition | null;
  ackedRecords = 0;

  constructor(start: WalPosition | null) {
    this.acked = start;
  }

  add(end: WalPosition, appendedAtMs: number[]): Chunk {
    const chunk: Chunk = { seq: this.nextSeq++, end, appendedAtMs, partsLeft: 0 };
    this.open.push(chunk);
    return chunk;
  }

  get outstanding(): number {
    return this.open.length;
  }

  /** Append time of the oldest record not yet acknowledged, if any is in flight. */
  get oldestAppendedAtMs(): number | null {
    return this.open.length ? this.open[0].appendedAtMs[0] : null;
  }

  /** Marks one part of `chunk` done; returns the chunks that just became the acknowledged prefix. */
  partDone(chunk: Chunk): Chunk[] {
    chunk.partsLeft -= 1;
    const released: Chunk[] = [];
    while (this.open.length && this.open[0].partsLeft <= 0) {
      const done = this.open.shift()!;
      this.acked = done.end;
      this.ackedRecords += done.appendedAtMs.length;
      released.push(done);
    }
    return released;
  }
}
