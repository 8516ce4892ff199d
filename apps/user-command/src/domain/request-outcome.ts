import { EVENT_TYPES, type EventType } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import type { RequestRecord, RequestType } from '@usersys/user-cache';
import { ERRORS } from '../errors';
import { REQUEST_TYPE_OF } from './hand-off';
import type { ConsumerRecord, ConsumerRecords, RequestRecords } from './ports';
import { lookupUnavailable } from './uniqueness';

/** GET /v1/requests/{requestId}: what became of one accepted write. */
export interface RequestOutcome {
  requestId: string;
  /** Absent only when neither source can tell (a parked payload that is not an event, and no Redis record). */
  type?: RequestType;
  username: string;
  state: 'pending' | 'applied' | 'rejected' | 'dead_lettered';
  reason?: string;
}

export interface RequestOutcomeDeps {
  requests: RequestRecords;
  consumerRecords: ConsumerRecords;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Request ids are the events' random UUIDs; anything else cannot name a request. */
export const isRequestId = (value: string): boolean => UUID.test(value);

/**
 * The state the consumer's tables give an event (PostgreSQL), as the client sees it:
 * processed applied → applied; rejected | conflict | skipped → rejected with the recorded reason;
 * discarded → rejected, `discarded_by_operator`; a dead head → dead_lettered with its reason; a
 * retrying head → pending, `retrying`; an event parked behind a dead or retrying head → pending,
 * `waiting_behind_dead_letter` | `waiting_behind_retry`.
 */
export function stateOf(record: ConsumerRecord): Pick<RequestOutcome, 'state' | 'reason'> {
  switch (record.kind) {
    case 'processed':
      // Rows written before outcomes were recorded were all applied.
      if (record.outcome === null || record.outcome === 'applied') return { state: 'applied' };
      if (record.outcome === 'discarded') return { state: 'rejected', reason: 'discarded_by_operator' };
      // Rows written before reasons were recorded carry the outcome as the reason.
      return { state: 'rejected', reason: record.reason ?? record.outcome };
    case 'parked_head':
      // Before reasons were recorded the only way to the dead-letter topic was exhausted retries.
      if (record.status === 'dead') return { state: 'dead_lettered', reason: record.reason ?? 'retries_exhausted' };
      return { state: 'pending', reason: 'retrying' };
    case 'parked_behind':
      if (record.headStatus === 'dead') return { state: 'pending', reason: 'waiting_behind_dead_letter' };
      if (record.headStatus === 'retrying') return { state: 'pending', reason: 'waiting_behind_retry' };
      return { state: 'pending' }; // its head just finished: the parked events are being released
  }
}

const requestTypeOf = (eventType: string | null): RequestType | undefined => (EVENT_TYPES.includes(eventType as EventType) ? REQUEST_TYPE_OF[eventType as EventType] : undefined);

/**
 * Composes a request's state from PostgreSQL (the consumer's outcome, the source of truth) and
 * Redis (`user:request:<id>`, written before the WAL append): PostgreSQL wins; only Redis knowing
 * it means pending (rejected when the append failed for certain: `notWritten`); neither → null (404). PostgreSQL unreachable → 503 (it might know better than
 * Redis); Redis unreachable matters only when PostgreSQL does not know the id.
 */
export async function requestOutcome(deps: RequestOutcomeDeps, id: string): Promise<RequestOutcome | null> {
  // Issued in lower case (randomUUID); the Redis key is text, so any other spelling is folded first.
  const requestId = id.toLowerCase();
  const [consumer, accepted] = await Promise.allSettled([deps.consumerRecords.find(requestId), deps.requests.read(requestId)]);
  if (consumer.status === 'rejected') throw lookupUnavailable(consumer.reason);
  const record: RequestRecord | null = accepted.status === 'fulfilled' ? accepted.value : null;
  if (consumer.value) {
    const type = requestTypeOf(consumer.value.eventType) ?? record?.type;
    return { requestId, ...(type ? { type } : {}), username: consumer.value.username, ...stateOf(consumer.value) };
  }
  if (accepted.status === 'rejected') throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: accepted.reason });
  if (record?.notWritten) return { requestId, type: record.type, username: record.username, state: 'rejected', reason: record.notWritten };
  if (record) return { requestId, type: record.type, username: record.username, state: 'pending' };
  return null;
}
