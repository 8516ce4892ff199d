import type { EventEnvelope } from '@usersys/event-schema';
import type { MarkResult, PendingMarkerValue } from '@usersys/pending-marker';

/** What the uniqueness check needs to know about already persisted users. */
export interface UserDirectory {
  /** Which of the three keys already belong to a persisted user (indexed, key-column-only lookups). */
  taken(keys: { username: string; email: string; phone: string }): Promise<{ username: boolean; email: boolean; phone: boolean }>;
  stateOf(username: string): Promise<'active' | 'disabled' | 'deleted' | null>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
}

export interface PendingMarkers {
  markIfAbsent(username: string, value: PendingMarkerValue): Promise<MarkResult>;
  read(username: string): Promise<{ value: PendingMarkerValue | null; ttlRemainingMs: number } | null>;
}

export interface RejectionRecords {
  read(username: string): Promise<{ reason: string; eventId: string } | null>;
}

/** The durable hand-off: once append resolves the event is on disk and will reach Kafka. */
export interface EventLog {
  append(event: EventEnvelope): Promise<void>;
}

/** Runs one named step: a span, a duration histogram, and a log line when it is slow. */
export type StepRunner = <T>(step: string, fn: () => Promise<T>, attributes?: Record<string, string>) => Promise<T>;
