import { RETRY_HEADERS, type Headers } from './headers';

export type RetryStage = 'write' | 'bookkeeping';
export type RetryAction = 'replay' | 'discard';

/** The retry headers of a message on user.retry.v1, read. */
export interface RetryMeta {
  attempt: number;
  notBefore: number;
  stage: RetryStage;
  action?: RetryAction;
  outcome?: string;
  field?: string;
}

/** Reads the retry headers; missing or malformed ones read as a first write attempt due now. */
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

/**
 * The retry headers of one attempt. The action is not carried over: only tools/dead-letters.ts sets
 * it (`retryActionHeader`), for the one message it sends.
 */
export function retryHeaders(meta: Omit<RetryMeta, 'action'> & { error?: string }): Headers {
  const headers: Headers = {
    [RETRY_HEADERS.attempt]: String(meta.attempt),
    [RETRY_HEADERS.notBefore]: String(meta.notBefore),
    [RETRY_HEADERS.stage]: meta.stage,
  };
  if (meta.error !== undefined) headers[RETRY_HEADERS.error] = meta.error;
  if (meta.outcome) headers[RETRY_HEADERS.outcome] = meta.outcome;
  if (meta.field) headers[RETRY_HEADERS.field] = meta.field;
  return headers;
}

/** Marks a message sent to user.retry.v1 as an operator's replay or discard of a dead letter. */
export function retryActionHeader(action: RetryAction): Headers {
  return { [RETRY_HEADERS.action]: action };
}
