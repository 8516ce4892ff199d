/**
 * The consumer's failure policy: what happens to an event when a step fails. Retry, park,
 * dead-letter or pause are decided here and nowhere else (failure-actions.ts and database-gate.ts
 * carry the decision out). When does an event go to the dead-letter topic (user.dlq.v1)?
 *
 * - it is not a valid event (decode)                     → dead letter `poison`, nothing parked;
 * - the database refuses its data (write, kind data)     → dead letter `invalid_data` at once, the
 *                                                          user parked dead (its later events wait);
 * - the database is unreachable (kind unavailable), or a
 *   write failed and the database does not answer a ping → pause: nothing resolved, wait for the
 *                                                          database, repeat the same step (no retries);
 * - any other write failure, attempts left               → user.retry.v1 (attempt + 1), user parked
 *                                                          retrying (its later events wait);
 * - any other write failure, last attempt failed         → dead letter `retries_exhausted`, user parked dead;
 * - Redis failed after the row was written (bookkeeping) → user.retry.v1 without parking (the row is in
 *                                                          order), dead letter `bookkeeping_exhausted` at the end;
 * - our own parking queries fail, database answers       → redeliver: the batch stays unresolved and is
 *                                                          fetched again;
 * - a login-audit record the database refuses (audit)    → dead letter `invalid_data` (the rest of its batch
 *                                                          is stored); any other audit failure pauses (audits
 *                                                          keep no order, so there is no retry topic for them).
 *
 * "Data" is an error retrying cannot change; adapters/database-errors.ts says which errors count
 * (SQLSTATE class 22, 23 except unique violations, 54). A dead user stays parked until an operator
 * replays or discards its head (`npm run dlq`).
 */

/** How a failure relates to retrying: caused by the data, by a (database) outage, or anything else. */
export type FailureKind = 'data' | 'unavailable' | 'transient';

/**
 * decode: the message could not be read as an event; write: the database write of the event;
 * bookkeeping: the Redis steps after the row was written; parking: our own parking queries;
 * audit: storing a login-audit record.
 */
export type FailedStep = 'decode' | 'write' | 'bookkeeping' | 'parking' | 'audit';

export type DeadLetterReason = 'poison' | 'invalid_data' | 'retries_exhausted' | 'bookkeeping_exhausted';

export interface Failure {
  step: FailedStep;
  kind: FailureKind;
  /** Whether the database answered a ping after the failure (ignored for decode and bookkeeping). */
  databaseAnswers: boolean;
  /** Deliveries through user.retry.v1 that have failed so far, this one included (0 = main topic or parked queue). */
  attempt: number;
  maxAttempts: number;
}

export type FailureAction =
  /** Wait until the database answers, then repeat the same step; nothing is resolved meanwhile. */
  | { action: 'pause' }
  /** Leave the rest of the batch unresolved (it is fetched again). */
  | { action: 'redeliver' }
  /** Send to user.retry.v1 as `attempt`; parkUser: the user's later events queue behind it (status retrying). */
  | { action: 'retry'; attempt: number; parkUser: boolean }
  /** Send to user.dlq.v1; parkUser: the user stays parked (status dead, with the reason) until replayed or discarded. */
  | { action: 'dead_letter'; reason: DeadLetterReason; parkUser: boolean };

export function decideFailure(f: Failure): FailureAction {
  switch (f.step) {
    case 'decode':
      return { action: 'dead_letter', reason: 'poison', parkUser: false };
    case 'bookkeeping':
      // Redis is not the database: the row is written, only the Redis steps are behind; never pause.
      return f.attempt >= f.maxAttempts ? { action: 'dead_letter', reason: 'bookkeeping_exhausted', parkUser: false } : { action: 'retry', attempt: f.attempt + 1, parkUser: false };
    case 'parking':
      if (f.kind === 'unavailable' || !f.databaseAnswers) return { action: 'pause' };
      return { action: 'redeliver' };
    case 'audit':
      return f.kind === 'data' ? { action: 'dead_letter', reason: 'invalid_data', parkUser: false } : { action: 'pause' };
    case 'write':
      if (f.kind === 'data') return { action: 'dead_letter', reason: 'invalid_data', parkUser: true };
      if (f.kind === 'unavailable' || !f.databaseAnswers) return { action: 'pause' };
      if (f.attempt >= f.maxAttempts) return { action: 'dead_letter', reason: 'retries_exhausted', parkUser: true };
      return { action: 'retry', attempt: f.attempt + 1, parkUser: true };
  }
}

/** The human-readable `dlq-reason` header for each reason (operators read it in `npm run dlq -- list`). */
export const DEAD_LETTER_REASON_TEXT: Record<DeadLetterReason, string> = {
  poison: 'invalid event',
  invalid_data: 'invalid data',
  retries_exhausted: 'retries exhausted',
  bookkeeping_exhausted: 'retries exhausted',
};
