/**
 * What travels with an event on user.retry.v1 and user.dlq.v1, next to the contract headers
 * (traceparent, event-id, event-type, schema-version), which are always kept. The value stays the
 * original envelope bytes, the key the username, so per-user partitioning holds on every topic.
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
  origin: 'origin',
} as const;

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  stage: 'dlq-stage',
  attempts: 'dlq-attempts',
  error: 'dlq-error',
  source: 'dlq-source',
  at: 'dlq-at',
} as const;

export type RetryStage = 'write' | 'bookkeeping';
export type DeadLetterStage = 'poison' | RetryStage;
export type RetryAction = 'replay' | 'discard';

export type Headers = Record<string, string>;

/** A Kafka message as the domain sees it (headers flattened to strings). */
export interface InboundMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Headers;
}

export interface RetryMeta {
  attempt: number;
  notBefore: number;
  stage: RetryStage;
  action?: RetryAction;
  outcome?: string;
  field?: string;
}

export function retryMetaOf(headers: Headers): RetryMeta {
  const attempt = Number(headers[RETRY_HEADERS.attempt]);
  const notBefore = Number(headers[RETRY_HEADERS.notBefore]);
  const action = headers[RETRY_HEADERS.action];
  return {
    attempt: Number.isInteger(attempt) && attempt > 0 ? attempt : 1,
    notBefore: Number.isFinite(notBefore) ? notBefore : 0,
    stage: headers[RETRY_HEADERS.stage] === 'bookkeeping' ? 'bookkeeping' : 'write',
    ...(action === 'replay' || action === 'discard' ? { action } : {}),
    ...(headers[RETRY_HEADERS.outcome] ? { outcome: headers[RETRY_HEADERS.outcome] } : {}),
    ...(headers[RETRY_HEADERS.field] ? { field: headers[RETRY_HEADERS.field] } : {}),
  };
}

/** Strips our own retry/dlq headers so a re-sent message carries exactly one current set. */
export function contractHeaders(headers: Headers): Headers {
  const ours = new Set<string>([...Object.values(RETRY_HEADERS), ...Object.values(DLQ_HEADERS)]);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !ours.has(k) || k === RETRY_HEADERS.origin));
}

export function flattenHeaders(headers: Record<string, Buffer | string | (Buffer | string)[] | undefined> | undefined): Headers {
  const out: Headers = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = first.toString();
  }
  return out;
}

export const sourceOf = (m: InboundMessage) => `${m.topic}/${m.partition}/${m.offset}`;

/** The headers an event keeps when it is re-sent or parked: its own, plus where it first came from. */
export function storedHeaders(msg: InboundMessage): Headers {
  const headers = { ...msg.headers };
  if (!headers[RETRY_HEADERS.origin] && msg.topic !== 'parked') headers[RETRY_HEADERS.origin] = sourceOf(msg);
  return headers;
}

/** The message as it is re-sent: same key and value bytes. */
export function outbound(msg: InboundMessage, headers: Headers = msg.headers): { key: string | null; value: Buffer | null; headers: Headers } {
  return { key: msg.key, value: msg.value, headers };
}

/** Short, single-line error text for headers and logs. */
export function errorText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const text = `${e?.code ? `${e.code}: ` : ''}${e?.message ?? String(err)}`;
  // One line, no control characters, well-formed UTF-16: it goes into headers and a text column.
  return text
    .slice(0, 500)
    .replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}
