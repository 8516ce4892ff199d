import type { EventEnvelope } from '@usersys/event-schema';
import type { MarkResult, PendingMarkerValue } from '@usersys/pending-marker';
import type { CachedUser, ContactKind, Rejection, RequestRecord } from '@usersys/user-cache';

export type Contacts = { email?: string; phone?: string };

/** Who owns an email or phone among persisted users (null: nobody). */
export type ContactOwners = { email: string | null; phone: string | null };

/** The database, as the synchronous path sees it: indexed equality lookups only. */
export interface UserDirectory {
  /**
   * True when a row with that username exists (any state); reads only the key, and only
   * PostgreSQL (never the user cache), so a sign-up that won the pending marker can trust it.
   */
  usernameExists(username: string): Promise<boolean>;
  /** Usernames owning the given email/phone, in one indexed lookup per key. */
  contactOwners(contacts: Contacts): Promise<ContactOwners>;
  /** The row as the cache holds it (null when absent). */
  loadForCache(username: string): Promise<CachedUser | null>;
  /** The public view of a user (never the password hash). */
  view(username: string): Promise<UserView | null>;
  /** State and last change of the row, for the request-state endpoint. */
  stateOf(username: string): Promise<{ state: 'active' | 'disabled' | 'deleted'; updatedAt: Date } | null>;
}

export interface UserView {
  username: string;
  email: string;
  phone: string;
  nickname: string | null;
  role: 'user' | 'admin';
  state: 'active' | 'disabled' | 'deleted';
  createdAt: string;
  updatedAt: string;
  lastLoginAt: string | null;
}

/** `user:cache:<username>`: read first; misses are filled only with SET NX (the consumer owns writes). */
export interface UserCache {
  read(username: string): Promise<CachedUser | null>;
  fill(user: CachedUser): Promise<void>;
}

/** Short-lived SET NX reservations of an email or phone by a username. */
export interface ContactReservations {
  /** True when `username` holds it now (new or refreshed); false when another name does. */
  reserve(kind: ContactKind, value: string, username: string): Promise<boolean>;
  /** Owner-checked release; never throws (a reservation left behind expires by itself). */
  release(kind: ContactKind, value: string, username: string): Promise<void>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Throws the busy refusal (503 with Retry-After) now when a hash would wait past its budget: called
   * first by requests that will hash, so the excess costs no lookup, reservation or release.
   */
  refuseIfBusy(): void;
}

export interface PendingMarkers {
  /** A provisional marker (short TTL) until `confirm`; an existing one is returned (and refreshed if confirmed). */
  markIfAbsent(username: string, value: PendingMarkerValue): Promise<MarkResult>;
  /** The marker's event is in the WAL: confirmed, full TTL. Owner-checked. */
  confirm(username: string, eventId: string): Promise<boolean>;
  read(username: string): Promise<{ value: PendingMarkerValue | null; ttlRemainingMs: number } | null>;
  /** Owner-checked: removes the marker only while it still belongs to `eventId`. */
  clear(username: string, eventId: string): Promise<'cleared' | 'absent' | 'other'>;
}

export interface RejectionRecords {
  read(username: string): Promise<Rejection | null>;
}

/** `user:request:<requestId>`: what was accepted under a request id, until PostgreSQL knows its outcome. */
export interface RequestRecords {
  write(requestId: string, record: RequestRecord): Promise<void>;
  read(requestId: string): Promise<RequestRecord | null>;
}

/**
 * What the consumer's tables say about one event (PostgreSQL), most final first:
 * - processed: `processed_events` has it (outcome and reason as the consumer recorded them);
 * - parked_head: it is the head of `consumer_parked_users` (status retrying | dead);
 * - parked_behind: it waits in `consumer_parked_events` behind its user's head (headStatus of that
 *   head, null when the head was just released).
 * `eventType` is the envelope's type (`user.created` …) when the row carries it.
 */
export type ConsumerRecord =
  | { kind: 'processed'; username: string; eventType: string | null; outcome: string | null; reason: string | null }
  | { kind: 'parked_head'; username: string; eventType: string | null; status: string; reason: string | null }
  | { kind: 'parked_behind'; username: string; eventType: string | null; headStatus: string | null };

export interface ConsumerRecords {
  find(eventId: string): Promise<ConsumerRecord | null>;
}

/**
 * `auth:revoked-before:<accountId>`: every session of the account begun at or before `atMs`, and
 * every token on a credential version below `minVersion`, is refused by the gateway (only ever
 * raised). Throws when Redis is unavailable.
 */
export interface SessionRevocations {
  revokeBefore(accountId: string, atMs: number, minVersion: number): Promise<void>;
}

/** The durable hand-off: once append resolves the event is on disk and will reach Kafka. */
export interface EventLog {
  /** Rejects with AppendOutcomeUnknownError when the event may be in the log although the append failed. */
  append(event: EventEnvelope): Promise<void>;
}

/** The append failed after the event reached the log (e.g. its fdatasync failed): it may still be shipped and applied. */
export class AppendOutcomeUnknownError extends Error {
  constructor(cause: Error) {
    super(`append outcome unknown: ${cause.message}`, { cause });
    this.name = 'AppendOutcomeUnknownError';
  }
}

/** Runs one named step: a span, a duration histogram, and a log line when it is slow. */
export type StepRunner = <T>(step: string, fn: () => Promise<T>, attributes?: Record<string, string>) => Promise<T>;

/** Trace context of the request, carried into the event envelope and the pending marker. */
export interface RequestTrace {
  traceparent?: string;
  tracestate?: string;
  traceId?: string;
}
