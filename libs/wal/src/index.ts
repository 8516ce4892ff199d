export { WalWriter, WalClosedError } from './writer';
export type { WalWriterOptions } from './writer';
export { WalReader, WalCorruptError, pruneSegments } from './reader';
export type { WalRecord } from './reader';
export { readCheckpoint, writeCheckpoint, comparePositions } from './checkpoint';
export type { WalPosition } from './checkpoint';
export { WalLockedError } from './lock';
export { listSegments, fsyncDir } from './files';
export { encodeFrame, parseFrame, HEADER_BYTES, MAX_RECORD_BYTES } from './frame';
