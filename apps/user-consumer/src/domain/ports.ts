import type { DeadLetterStage, EventEnvelope, Headers, RetryMeta } from '@usersys/event-schema';
import type { Logger } from '@usersys/logger';
import type { UserRowLike } from '@usersys/user-cache';
import type { FailureKind } from './failure-policy';
import type { InboundMessage } from './messages';

/** A user row as the consumer needs it for the cache (CachedUser) and its decisions. */
export type UserRow = UserRowLike;

/**
 * The result of writing one event:
 * - applied: the change is in the database now;
 * - duplicate: this event id was processed before (idempotent success); `field` is set when that
 *   first delivery lost to another user's email/phone, so the rejection is recorded again;
 * - skipped: nothing to apply to (update, delete, disable or enable of a deleted or absent user, or an
 *   event carrying another account id than the row's: the name was force-deleted and taken again);
 * - rejected: the username exists (another event created it), or a unique email/phone belongs to
 *   another user (the client sees it through its request id: processed_events.reason).
 */
export interface WriteResult {
  eventId: string;
  kind: 'applied' | 'duplicate' | 'skipped' | 'rejected';
  /** Human-readable, for logs. */
  reason?: string;
  /** Why it was not applied, as recorded in processed_events.reason (request state). */
  reasonCode?: OutcomeReason;
  /** The email/phone another user holds (a rejection is recorded in Redis for the state endpoint). */
  field?: string;
  /** The user's row after this write (or as it stands when nothing was written); null = no row. */
  row: UserRow | null;
}

export interface ParkState {
  username: string;
  headEventId: string;
  status: 'retrying' | 'dead';
  attempts: number;
}

export type OutcomeReason = 'username_taken' | 'email_taken' | 'phone_taken' | 'user_not_found' | 'user_deleted' | 'discarded_by_operator';

/** Why a parked head is dead (consumer_parked_users.reason). */
export type DeadReason = 'retries_exhausted' | 'invalid_data';

export interface HeadState {
  attempts: number;
  status: 'retrying' | 'dead';
  error: string;
  /** Set for status dead. */
  reason?: DeadReason;
}

export interface ParkedItem {
  seq: bigint;
  /** The message value as it was parked (raw bytes). */
  value: Buffer;
  /** The value parsed as JSON (null when it is not JSON); decoded and validated before it is applied. */
  event: unknown;
  headers: Headers;
}

export interface UserStore {
  /**
   * Writes creates of distinct usernames in one statement, or any single event, each idempotent by
   * event id in the same statement. Throws when the database fails (nothing of the call is written).
   */
  write(events: EventEnvelope[], options: { degrade: boolean }): Promise<WriteResult[]>;
  currentRows(usernames: string[]): Promise<Map<string, UserRow>>;
  /** Which of these users are parked (an event of theirs is in retry or dead-lettered). */
  parkedUsers(usernames: string[]): Promise<Map<string, ParkState>>;
  /**
   * Parks `event` as the head of its user's queue, or updates the head's attempts/status. The
   * message value is stored as raw bytes (`value`, else the encoded event): any payload is storable.
   */
  setHead(event: EventEnvelope, headers: Headers, state: HeadState, value?: Buffer | null): Promise<void>;
  /** Appends an event behind a parked user's head; false when the user is not parked (any more). */
  appendParked(event: EventEnvelope, headers: Headers, value?: Buffer | null): Promise<boolean>;
  /** The user's next parked event in order; when none is left the parking is removed and null returned. */
  nextParked(username: string): Promise<ParkedItem | null>;
  removeParked(seq: bigint): Promise<void>;
  /** A drained event failed: it becomes the head (removed from the queue; retrying at attempt 1, or dead). */
  promoteParked(item: ParkedItem, event: EventEnvelope, state: HeadState): Promise<void>;
  /** An operator discarded this dead letter: record it as processed (outcome discarded) so no replay applies it. */
  markDiscarded(event: EventEnvelope): Promise<void>;
  /** Fills columns the degrade switch deferred; returns the rows it changed. */
  repairDeferred(limit: number): Promise<UserRow[]>;
  /** Cheap reachability check that tells "the database is down" apart from "this write failed". */
  ping(): Promise<void>;
  /** What kind of failure an error of this store is (absent: every failure counts as transient, a ping decides). */
  classify?(error: unknown): FailureKind;
}

/** Redis steps around the write (docs/architecture.md "Redis keys" and @usersys/user-cache). */
export interface Bookkeeping {
  /** Event id each user's pending marker names (null = no marker). Throws when Redis is unavailable. */
  markerEventIds(usernames: string[]): Promise<Map<string, string | null>>;
  /**
   * After a write: clear the marker (owner-checked), release the event's email/phone reservations,
   * SET the fresh CachedUser (tombstone after deletes), record a rejection. Per item: null or the error.
   */
  settle(items: Array<{ event: EventEnvelope; result: WriteResult }>): Promise<Array<Error | null>>;
  refreshRows(rows: UserRow[]): Promise<void>;
}

export interface OutboundMessage {
  key: string | null;
  value: Buffer | null;
  headers: Headers;
}

export interface Republisher {
  retry(message: OutboundMessage, meta: RetryMeta & { error: string }): Promise<void>;
  deadLetter(message: OutboundMessage, info: { stage: DeadLetterStage; reason: string; error?: string; attempts: number; source: string; extraHeaders?: Headers }): Promise<void>;
}

export interface ConsumerMetrics {
  consumed(type: string, outcome: string, n?: number): void;
  retried(type: string, stage: string): void;
  deadLettered(reason: string): void;
  databasePaused(paused: boolean): void;
  batchWritten(size: number): void;
}

/** What a Kafka batch handler lets the processor do. */
export interface BatchControl {
  resolve(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
}

/** One event on its way through the executor, with its trace. */
export interface Work {
  msg: InboundMessage;
  event: EventEnvelope;
  trace: EventTrace;
}

/** One event's trace while it is processed (opaque to the domain beyond these fields). */
export interface EventTrace {
  readonly event: EventEnvelope;
  readonly degrade: boolean;
}

/** A group of child steps (one span per event) that ends when `done` is called. */
export interface StepSpans {
  /** errors[i] marks step i failed; attributes[i] is added to span i (e.g. the write's outcome). */
  done(errors?: ReadonlyArray<unknown>, attributes?: ReadonlyArray<Record<string, string | number | boolean>>): void;
}

/**
 * Spans and logs, kept out of the executor (the adapter in adapters/tracing-instrumentation.ts
 * makes OpenTelemetry spans and pino lines; README "Tracing, logs, metrics" names them).
 */
export interface Instrumentation {
  /** The event's CONSUMER span, child of the message's trace context; logs when the create decides without a pending marker. */
  begin(msg: InboundMessage, event: EventEnvelope, degrade: false | 'missing' | 'redis_unavailable'): EventTrace;
  /** Child spans `name` (one per event) for a step that starts now. */
  step(name: string, traces: EventTrace[], attributes?: Record<string, string | number | boolean>): StepSpans;
  /** The event's outcome: the span's outcome attribute and end, one log line at the outcome's level. */
  end(trace: EventTrace, outcome: string, message?: string, error?: string): void;
  /** A warning within the event's trace context. */
  warn(trace: EventTrace, fields: Record<string, unknown>, message: string): void;
  /** Lines that belong to no single event (poison messages, pauses, unparking). */
  log: Logger;
}
