import type { EventEnvelope } from '@usersys/event-schema';
import type { UserRowLike } from '@usersys/user-cache';
import type { DeadLetterStage, Headers, RetryMeta } from './messages';

/** A user row as the consumer needs it for the cache (CachedUser) and its decisions. */
export type UserRow = UserRowLike;

/**
 * The result of writing one event:
 * - applied: the change is in the database now;
 * - duplicate: this event id was processed before (idempotent success); `field` is set when that
 *   first delivery lost to another user's email/phone, so the rejection is recorded again;
 * - skipped: nothing to apply to (update of a deleted or absent user, create of an existing name);
 * - rejected: a unique email/phone belongs to another user (client sees it via the request state).
 */
export interface WriteResult {
  eventId: string;
  kind: 'applied' | 'duplicate' | 'skipped' | 'rejected';
  reason?: string;
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

export interface ParkedItem {
  seq: bigint;
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
  /** Parks `event` as the head of its user's queue, or updates the head's attempts/status. */
  setHead(event: EventEnvelope, headers: Headers, state: { attempts: number; status: 'retrying' | 'dead'; error: string }): Promise<void>;
  /** Appends an event behind a parked user's head; false when the user is not parked (any more). */
  appendParked(event: EventEnvelope, headers: Headers): Promise<boolean>;
  /** The user's next parked event in order; when none is left the parking is removed and null returned. */
  nextParked(username: string): Promise<ParkedItem | null>;
  removeParked(seq: bigint): Promise<void>;
  /** A drained event failed: it becomes the head (removed from the queue, status retrying, attempt 1). */
  promoteParked(item: ParkedItem, event: EventEnvelope, error: string): Promise<void>;
  /** An operator discarded this dead letter: record it as processed (outcome discarded) so no replay applies it. */
  markDiscarded(event: EventEnvelope): Promise<void>;
  /** Fills columns the degrade switch deferred; returns the rows it changed. */
  repairDeferred(limit: number): Promise<UserRow[]>;
  /** Cheap reachability check that tells "the database is down" apart from "this write failed". */
  ping(): Promise<void>;
}

/** Redis steps around the write (CONTRACT.md keys and @usersys/user-cache). */
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
