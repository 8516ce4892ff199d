/**
 * The consumer's failure policy: what happens to an event when a step fails. Retry, park,
 * dead-letter or pause are decided here and nowhere else (the executor in processor.ts only carries
 * the decision out). In short:
 *
 * | failure                                            | action                                              |
 * | -------------------------------------------------- | --------------------------------------------------- |
 * | the message is not a valid event (decode)          | dead letter `poison`, nothing parked                |
 * | the database refuses the event's data (write)      | dead letter `invalid_data` at once, user parked dead |
 * | the database is unreachable, or a write failed and | pause: nothing resolved, wait for a ping, repeat    |
 * |   the database does not answer a ping              |   the same step (never cycled through retries)      |
 * | any other write failure, attempts left             | retry topic (attempt + 1), user parked `retrying`   |
 * | any other write failure, last attempt              | dead letter `retries_exhausted`, user parked dead   |
 * | Redis failed after the row was written             | retry topic, stage bookkeeping (no parking: the     |
 * |   (bookkeeping), attempts left / last attempt      |   row is in order) / dead letter `bookkeeping_exhausted` |
 * | our own parking queries fail while the database    | redeliver: leave the batch unresolved, it is        |
 * |   answers                                          |   fetched again                                     |
 *
 * "Data" means an error retrying cannot change (see adapters/database-errors.ts for which errors
 * count): the event goes to user.dlq.v1 and the partition moves on; later events of its user queue
 * behind it (a dead head) until an operator replays or discards it.
 */

/** How a failure relates to retrying: caused by the data, by a (database) outage, or anything else. */
export type FailureKind = 'data' | 'unavailable' | 'transient';

/**
 * decode: the message could not be read as an event; write: the database write of the event;
 * bookkeeping: the Redis steps after the row was written; parking: our own parking queries.
 */
export type FailedStep = 'decode' | 'write' | 'bookkeeping' | 'parking';

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
