import { decideFailure, type FailedStep, type FailureAction, type FailureKind } from './failure-policy';

const MAX = 5;

// step, kind, database answers a ping, attempt that failed → action
const table: Array<[FailedStep, FailureKind, boolean, number, FailureAction]> = [
  ['decode', 'data', true, 0, { action: 'dead_letter', reason: 'poison', parkUser: false }],
  // data errors: straight to the dead-letter topic, whatever the attempt; the user waits behind it
  ['write', 'data', true, 0, { action: 'dead_letter', reason: 'invalid_data', parkUser: true }],
  ['write', 'data', true, 3, { action: 'dead_letter', reason: 'invalid_data', parkUser: true }],
  ['write', 'data', false, 0, { action: 'dead_letter', reason: 'invalid_data', parkUser: true }],
  // outages pause, on every path, at every attempt
  ['write', 'unavailable', false, 0, { action: 'pause' }],
  ['write', 'unavailable', true, 0, { action: 'pause' }],
  ['write', 'transient', false, 0, { action: 'pause' }],
  ['write', 'transient', false, MAX, { action: 'pause' }],
  // anything else while the database answers: retry with backoff, then dead-letter
  ['write', 'transient', true, 0, { action: 'retry', attempt: 1, parkUser: true }],
  ['write', 'transient', true, MAX - 1, { action: 'retry', attempt: MAX, parkUser: true }],
  ['write', 'transient', true, MAX, { action: 'dead_letter', reason: 'retries_exhausted', parkUser: true }],
  // Redis after the write: retried without parking, never pauses
  ['bookkeeping', 'transient', false, 0, { action: 'retry', attempt: 1, parkUser: false }],
  ['bookkeeping', 'unavailable', true, MAX - 1, { action: 'retry', attempt: MAX, parkUser: false }],
  ['bookkeeping', 'transient', true, MAX, { action: 'dead_letter', reason: 'bookkeeping_exhausted', parkUser: false }],
  // our own parking queries
  ['parking', 'unavailable', true, 0, { action: 'pause' }],
  ['parking', 'transient', false, 0, { action: 'pause' }],
  ['parking', 'transient', true, 0, { action: 'redeliver' }],
  // login-audit records: no order to keep, no retry topic
  ['audit', 'data', true, 0, { action: 'dead_letter', reason: 'invalid_data', parkUser: false }],
  ['audit', 'transient', true, 0, { action: 'pause' }],
  ['audit', 'unavailable', false, 0, { action: 'pause' }],
];

describe('decideFailure', () => {
  it.each(table)('%s failure, %s, database answers: %s, attempt %i', (step, kind, databaseAnswers, attempt, expected) => {
    expect(decideFailure({ step, kind, databaseAnswers, attempt, maxAttempts: MAX })).toEqual(expected);
  });
});
