import { createHash } from 'node:crypto';

/** Deterministic content per id (varied sizes, some large), so the reader can tell a wrong byte. */
export function expectedPayload(id: string): Buffer {
  const digest = createHash('sha256').update(id).digest();
  const size = digest[0] % 8 === 0 ? 20_000 + digest[1] * 100 : 50 + digest[1] * 4;
  const body = Buffer.alloc(size, digest.toString('hex'));
  return Buffer.concat([Buffer.from(`${id}|`), body]);
}

export function idOf(payload: Buffer): string {
  return payload.subarray(0, payload.indexOf('|')).toString();
}
