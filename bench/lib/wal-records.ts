import { createEvent, encodeEvent } from '@usersys/event-schema';
import { createHash } from 'node:crypto';
import { encodeFrame } from '@usersys/wal';

/**
 * A realistic ~600-byte WAL record: a real event envelope with a trace context. It is a delete of
 * a user that does not exist, so a consumer that ever reads it does no harm; requestedBy is padded
 * with hash hex (about as compressible as a sign-up's email, phone and bcrypt hash, i.e. barely),
 * so compression is not flattered by repetitive filler.
 */
export function benchEvent(i: number): Buffer {
  const span = (i + 1).toString(16).padStart(16, '0');
  const filler = Array.from({ length: 6 }, (_, k) => createHash('sha256').update(`${i}:${k}`).digest('hex')).join('');
  const event = createEvent('user.deleted', `bench_${i % 512}`, { requestedBy: `bench-${i}-${filler}`.slice(0, 330) }, { traceparent: `00-${createHash('md5').update(String(i)).digest('hex')}-${span}-01` });
  return encodeEvent(event);
}

/** The same bytes a WAL frame would have, for the raw write baseline. */
export function frameLike(payload: Buffer): Buffer {
  return encodeFrame(payload, Date.now());
}
