import { crc32 } from 'node:zlib';

/**
 * One record on disk: [u32 payload length][u32 crc32 of time+payload][f64 append time ms][payload].
 * The CRC covers the time too, so a torn or corrupt header or body is always detected.
 */
export const HEADER_BYTES = 16;
export const MAX_RECORD_BYTES = 1024 * 1024;

export function encodeFrame(payload: Buffer, appendedAtMs: number): Buffer {
  if (payload.length > MAX_RECORD_BYTES) throw new RangeError(`WAL record of ${payload.length} bytes exceeds ${MAX_RECORD_BYTES}`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeDoubleLE(appendedAtMs, 8);
  payload.copy(frame, HEADER_BYTES);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return frame;
}

export type FrameParse =
  | { kind: 'record'; payload: Buffer; appendedAtMs: number; bytes: number }
  | { kind: 'incomplete' }
  | { kind: 'corrupt'; reason: string };

/** Parses the frame at `offset` of `buf`; 'incomplete' when the buffer ends inside it. */
export function parseFrame(buf: Buffer, offset: number): FrameParse {
  if (buf.length - offset < HEADER_BYTES) return { kind: 'incomplete' };
  const length = buf.readUInt32LE(offset);
  if (length > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `length ${length} over limit` };
  const end = offset + HEADER_BYTES + length;
  if (buf.length < end) return { kind: 'incomplete' };
  const crc = buf.readUInt32LE(offset + 4);
  if (crc32(buf.subarray(offset + 8, end)) !== crc) return { kind: 'corrupt', reason: 'crc mismatch' };
  return { kind: 'record', payload: buf.subarray(offset + HEADER_BYTES, end), appendedAtMs: buf.readDoubleLE(offset + 8), bytes: HEADER_BYTES + length };
}
