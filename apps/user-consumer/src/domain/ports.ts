import type { EventEnvelope, UserCreatedEvent, UserUpdatedEvent } from '@usersys/event-schema';

/** The result of applying one event to the database. */
export type StoreOutcome =
  | { kind: 'applied' }
  /** This event id was applied before: idempotent success. */
  | { kind: 'duplicate' }
  /** Nothing to apply to (e.g. update of a user that does not exist or is deleted). */
  | { kind: 'skipped'; reason: string }
  /** A unique key belongs to a different user: the client sees this through the request state. */
  | { kind: 'rejected'; field: string };

export interface UserStore {
  create(event: UserCreatedEvent): Promise<StoreOutcome>;
  update(event: UserUpdatedEvent): Promise<StoreOutcome>;
  remove(event: EventEnvelope, mode: 'soft' | 'hard'): Promise<StoreOutcome>;
  /** The current row, for deciding without a pending marker. */
  find(username: string): Promise<{ lastEventId: string | null; state: string } | null>;
}

/** Redis-side bookkeeping after the database write. */
export interface RequestBookkeeping {
  markerEventId(username: string): Promise<string | null>;
  clearMarker(username: string, eventId: string): Promise<void>;
  invalidateUserCache(username: string): Promise<void>;
  recordRejection(username: string, eventId: string, reason: string): Promise<void>;
}
