import type { EventEnvelope } from './envelope';

/** Kafka headers, flattened to strings (the first value of a repeated header). */
export type Headers = Record<string, string>;

/** The contract headers every event and login-audit message carries (docs/architecture.md, "Headers"). */
export const HEADERS = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  eventId: 'event-id',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
} as const;

/**
 * What travels with an event on user.retry.v1 (user-consumer's retry bookkeeping, and the replay
 * or discard tools/dead-letters.ts sends), next to the contract headers, which are always kept.
 */
export const RETRY_HEADERS = {
  attempt: 'retry-attempt',
  notBefore: 'retry-not-before',
  /** write: the database write failed; bookkeeping: the row is written, the Redis steps failed. */
  stage: 'retry-stage',
  error: 'retry-error',
  /** replay | discard: sent by tools/dead-letters.ts for a dead letter. */
  action: 'retry-action',
  /** bookkeeping stage: the write's outcome and rejected field, to redo the Redis steps. */
  outcome: 'retry-outcome',
  field: 'retry-field',
  /** topic/partition/offset the event was first read from; kept through retries and parking. */
  origin: 'origin',
} as const;

/** Why, when and where a message was dead-lettered (user.dlq.v1; written by user-consumer and wal-relay). */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  stage: 'dlq-stage',
  attempts: 'dlq-attempts',
  error: 'dlq-error',
  source: 'dlq-source',
  at: 'dlq-at',
  /** wal-relay only: the topic the record was meant for. */
  originalTopic: 'dlq-original-topic',
} as const;

/** Headers every event message carries; `traceparent` is passed in by the sender's span. */
export function eventHeaders(event: EventEnvelope, trace: { traceparent?: string; tracestate?: string }): Headers {
  const headers: Headers = {
    [HEADERS.eventId]: event.eventId,
    [HEADERS.eventType]: event.type,
    [HEADERS.schemaVersion]: String(event.schemaVersion),
  };
  if (trace.traceparent) headers[HEADERS.traceparent] = trace.traceparent;
  if (trace.tracestate) headers[HEADERS.tracestate] = trace.tracestate;
  return headers;
}

/** kafkajs's headers as strings; a repeated header keeps its first value. */
export function flattenHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

/** Strips the retry and dead-letter headers (all but `origin`) so a re-sent message carries exactly one current set. */
export function contractHeaders(headers: Headers): Headers {
  const ours = new Set<string>([...Object.values(RETRY_HEADERS), ...Object.values(DLQ_HEADERS)]);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !ours.has(k) || k === RETRY_HEADERS.origin));
}
