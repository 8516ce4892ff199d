import { RETRY_HEADERS } from '@usersys/event-schema';
import { backoffMs } from '@usersys/service-kit';
import type { RetryPolicy } from '../config';
import type { Item } from './batch-plan';
import type { DatabaseGate, Failed } from './database-gate';
import { DEAD_LETTER_REASON_TEXT, decideFailure } from './failure-policy';
import { errorText, outbound, sourceOf, storedHeaders } from './messages';
import type { BatchControl, ConsumerMetrics, DeadReason, HeadState, Instrumentation, ParkedItem, ParkState, Republisher, UserStore, WriteResult, Work } from './ports';

/** Where a failed write came from: the main topic, the retry topic (as `attempt`), or a parked user's queue. */
export type WritePath = { path: 'main'; parked: Map<string, ParkState> } | { path: 'retry'; attempt: number } | { path: 'drain'; item: ParkedItem };

export interface FailureActionsDeps {
  store: UserStore;
  republisher: Republisher;
  metrics: ConsumerMetrics;
  retry: RetryPolicy;
  now: () => number;
  gate: DatabaseGate;
  instrument: Instrumentation;
  /** Ends the event's trace with its outcome and counts it. */
  end(w: Work, outcome: string, message?: string, error?: string): void;
}

/**
 * Carries out what failure-policy.ts decided: re-send to user.retry.v1, send to user.dlq.v1, and
 * record the user's parking state, in the order that keeps a crash in between safe.
 */
export class FailureActions {
  constructor(private readonly deps: FailureActionsDeps) {}

  /**
   * A write failed and the policy said retry or dead-letter. Crash safety: the main path parks first,
   * then sends (a redelivered head re-sends the retry; a dead letter is sent before it is recorded,
   * so a redelivery sends it again rather than never); the retry and drain paths send first, then
   * record (the retry partition is processed in order; stale attempts are recognised by `attempts`).
   */
  async writeFailed(w: Work, failed: Failed, from: WritePath, ctl: BatchControl): Promise<void> {
    const { republisher, store, metrics, retry, gate } = this.deps;
    const { decision } = failed;
    const error = errorText(failed.error);
    const headers = storedHeaders(w.msg);
    const out = outbound(w.msg, headers);
    const attempt = from.path === 'retry' ? from.attempt : 0;
    const record = async (head: HeadState) => {
      if (from.path === 'drain') await gate.must(() => store.promoteParked(from.item, w.event, head), ctl);
      else await gate.must(() => store.setHead(w.event, headers, head, w.msg.value), ctl);
      if (from.path === 'main') from.parked.set(w.event.username, { username: w.event.username, headEventId: w.event.eventId, status: head.status, attempts: head.attempts });
    };
    if (decision.action === 'redeliver') throw failed.error; // not a write decision; leaves the batch unresolved
    if (decision.action === 'retry') {
      const meta = { attempt: decision.attempt, notBefore: this.deps.now() + backoffMs(decision.attempt, retry), stage: 'write' as const, error };
      const head: HeadState = { attempts: decision.attempt, status: 'retrying', error };
      if (from.path === 'main') {
        await record(head);
        await republisher.retry(out, meta);
      } else {
        await republisher.retry(out, meta);
        await record(head);
      }
      metrics.retried(w.event.type, 'write');
      const why = { main: 'write failed: sent to the retry topic, user parked', retry: `attempt ${attempt} failed: retrying`, drain: "parked event failed: it is the user's head event now" }[from.path];
      this.deps.end(w, 'retry', why, error);
      return;
    }
    const reason = decision.reason as DeadReason;
    await republisher.deadLetter(out, { stage: 'write', reason: DEAD_LETTER_REASON_TEXT[reason], error, attempts: attempt, source: headers[RETRY_HEADERS.origin] ?? sourceOf(w.msg) });
    if (decision.parkUser) await record({ attempts: attempt, status: 'dead', error, reason });
    metrics.deadLettered(reason);
    this.deps.end(
      w,
      'dead_letter',
      reason === 'invalid_data'
        ? 'the database refused the event\'s data: sent to the dead-letter topic; the user stays parked until it is replayed or discarded'
        : 'retries exhausted: sent to the dead-letter topic; the user stays parked until it is replayed or discarded',
      error,
    );
  }

  /**
   * Redis steps failed after the row was written: retried without parking (the row is in order),
   * then dead-lettered. True when it ended the event's trace (a retry-topic attempt).
   */
  async bookkeepingFailed(w: Work, r: WriteResult, attempt: number, err: unknown): Promise<boolean> {
    const { republisher, metrics, retry } = this.deps;
    const error = errorText(err);
    const headers = storedHeaders(w.msg);
    const decision = decideFailure({ step: 'bookkeeping', kind: 'transient', databaseAnswers: true, attempt, maxAttempts: retry.maxAttempts });
    if (decision.action === 'dead_letter') {
      // The row is written; only Redis is behind (marker and cache entries expire by TTL). No parking.
      const keep = { [RETRY_HEADERS.stage]: 'bookkeeping', [RETRY_HEADERS.outcome]: r.kind, ...(r.field ? { [RETRY_HEADERS.field]: r.field } : {}) };
      await republisher.deadLetter(outbound(w.msg, headers), { stage: 'bookkeeping', reason: DEAD_LETTER_REASON_TEXT[decision.reason], error, attempts: attempt, source: headers[RETRY_HEADERS.origin] ?? sourceOf(w.msg), extraHeaders: keep });
      metrics.deadLettered(decision.reason);
      this.deps.end(w, 'dead_letter', 'Redis bookkeeping retries exhausted: sent to the dead-letter topic', error);
      return true;
    }
    const next = decision.action === 'retry' ? decision.attempt : attempt + 1;
    await republisher.retry(outbound(w.msg, headers), { attempt: next, notBefore: this.deps.now() + backoffMs(next, retry), stage: 'bookkeeping', error, outcome: r.kind, ...(r.field ? { field: r.field } : {}) });
    metrics.retried(w.event.type, 'bookkeeping');
    if (attempt === 0) {
      this.deps.instrument.warn(w.trace, { step: 'refreshUserCache', status: 'retry', degrade: true, err: error }, 'row written; Redis bookkeeping failed: sent to the retry topic');
      return false;
    }
    this.deps.end(w, 'retry', 'Redis bookkeeping failed again: retrying', error);
    return true;
  }

  async poison(item: Item): Promise<void> {
    // failure-policy.ts: a message that is not an event goes to the dead-letter topic, never retried.
    await this.deps.republisher.deadLetter(outbound(item.msg), { stage: 'poison', reason: item.poison ?? DEAD_LETTER_REASON_TEXT.poison, attempts: 0, source: sourceOf(item.msg) });
    this.deps.metrics.deadLettered('invalid');
    this.deps.metrics.consumed('unknown', 'poison');
    this.deps.instrument.log.error({ topic: item.msg.topic, partition: item.msg.partition, offset: item.msg.offset, reason: item.poison, status: 'dead_letter' }, 'poison message sent to the dead-letter topic');
  }
}
