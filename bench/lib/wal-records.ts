import { createEvent, encodeEvent } from '@usersys/event-schema';
import { encodeFrame } from '@usersys/wal';

/**
 * A realistic ~600-byte WAL record: a real event envelope with a trace context. It is a delete of
 * a user that does not exist (requestedBy padded to size), so a consumer that ever reads it does no harm.
 */
export function benchEvent(i: number): Buffer {
  const span = (i + 1).toString(16).padStart(16, '0');
  const event = createEvent('user.deleted', `bench_${i % 512}`, { requestedBy: `bench-${i}-`.padEnd(330, 'x') }, { traceparent: `00-${'ab'.repeat(16)}-${span}-01` });
  return encodeEvent(event);
}

/** The same bytes a WAL frame would have, for the raw write baseline. */
export function frameLike(payload: Buffer): Buffer {
  return encodeFrame(payload, Date.now());
}
