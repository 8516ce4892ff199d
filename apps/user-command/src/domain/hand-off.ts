import { revokesSessions, type EventEnvelope, type EventType } from '@usersys/event-schema';
import { AppError } from '@usersys/service-kit';
import type { RequestType } from '@usersys/user-cache';
import { ERRORS } from '../errors';
import { AppendOutcomeUnknownError, type EventLog, type PasswordHasher, type RequestRecords, type SessionRevocations, type StepRunner } from './ports';
import type { KeyedSequencer } from './sequencer';

export interface HandOffDeps {
  events: EventLog;
  hasher: PasswordHasher;
  step: StepRunner;
  sequencer: KeyedSequencer;
  requests: RequestRecords;
  sessions: SessionRevocations;
}

/** The request type a client sees for each event type (GET /v1/requests/{requestId}). */
export const REQUEST_TYPE_OF: Record<EventType, RequestType> = {
  'user.created': 'create',
  'user.updated': 'update',
  'user.deleted': 'delete',
  'user.force_deleted': 'force_delete',
  'user.disabled': 'disable',
  'user.enabled': 'enable',
};

export function hashPassword(deps: HandOffDeps, username: string, password: string): Promise<string> {
  return deps.step('hashPassword', () => deps.hasher.hash(password), { 'enduser.id': username });
}

/**
 * Records the request under its id (= the event id) so its client can follow it. Done before the
 * WAL append: a request id handed out in a 202 is always readable. Redis failing here → 503 and
 * nothing was written.
 */
export async function recordRequest(deps: HandOffDeps, event: EventEnvelope): Promise<void> {
  await deps.step(
    'recordRequest',
    async () => {
      try {
        await deps.requests.write(event.eventId, { type: REQUEST_TYPE_OF[event.type], username: event.username, acceptedAt: event.occurredAt });
      } catch (err) {
        throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
      }
    },
    { 'enduser.id': event.username, 'event.id': event.eventId },
  );
}

/**
 * Revokes the account's sessions at the 202 when the event is a change that revokes them
 * (revokesSessions of @usersys/event-schema): after the request record, before the WAL append, so a revocation is in
 * force before the change can be applied, and Kafka being slow cannot delay it. Redis failing here
 * → 503 and nothing is written (the request record says so, best effort). A WAL failure after it
 * only logs the user out, which is harmless (revokeOldCredentials, which could keep logins out, runs
 * only once the event is in the WAL).
 */
export async function revokeSessionsAtAccept(deps: HandOffDeps, event: EventEnvelope): Promise<void> {
  if (!revokesSessions(event)) return;
  const accountId = event.accountId;
  // Every event about an existing user carries its account id (existingUser reads it from the row).
  if (!accountId) throw new Error(`${event.type} for ${event.username} carries no account id`);
  await deps.step(
    'revokeSessions',
    async () => {
      try {
        await deps.sessions.revokeBefore(accountId, Date.now(), 0);
      } catch (err) {
        await deps.requests.write(event.eventId, { type: REQUEST_TYPE_OF[event.type], username: event.username, acceptedAt: event.occurredAt, notWritten: 'redis_unavailable' }).catch(() => undefined);
        throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
      }
    },
    { 'enduser.id': event.username, 'event.id': event.eventId },
  );
}

/**
 * Appends the event once every earlier request for the same username (in this process) is done,
 * so a name's events reach the WAL, and from there its single Kafka partition, in arrival order.
 */
export async function appendInTurn(deps: HandOffDeps, turn: Promise<void>, event: EventEnvelope): Promise<void> {
  await turn;
  await deps.step(
    'walAppend',
    async () => {
      try {
        await deps.events.append(event);
      } catch (err) {
        // Possibly in the log, so possibly applied: not a refusal (a 503 promises nothing was written).
        // The client gets the request id to follow instead.
        if (err instanceof AppendOutcomeUnknownError) {
          throw new AppError(ERRORS.WAL_OUTCOME_UNKNOWN, undefined, { cause: err, details: { requestId: event.eventId }, headers: { Location: `/v1/requests/${event.eventId}` } });
        }
        // Nothing was written: the request record says so (best effort; it expires with its TTL).
        await deps.requests.write(event.eventId, { type: REQUEST_TYPE_OF[event.type], username: event.username, acceptedAt: event.occurredAt, notWritten: 'wal_unavailable' }).catch(() => undefined);
        throw new AppError(ERRORS.WAL_UNAVAILABLE, undefined, { cause: err });
      }
    },
    { 'enduser.id': event.username, 'event.id': event.eventId, 'event.type': event.type },
  );
}

/**
 * After the WAL append of a change that revokes sessions: tokens on the account's version as read for
 * this request (`credentialVersion`) are refused too, since the change brings version + 1. Until the
 * consumer applies it, the old password still logs in, and such a session begins after the
 * revocation time, on the old version. Only once the event is in the WAL: it will be applied (or, if
 * rejected, the consumer still raises the version), so the version is reached; a change never
 * written must not keep every new login refused. Best effort: Redis failing here leaves only that
 * window open (the step records the error); the change is accepted either way.
 */
export async function revokeOldCredentials(deps: HandOffDeps, event: EventEnvelope, credentialVersion: number): Promise<void> {
  const accountId = event.accountId;
  if (!revokesSessions(event) || !accountId) return;
  await deps
    .step('revokeOldCredentials', () => deps.sessions.revokeBefore(accountId, 0, credentialVersion + 1), { 'enduser.id': event.username, 'event.id': event.eventId })
    .catch(() => undefined);
}

/**
 * A request's place in its username's line. A request that waits for a later one (a double submit
 * waiting for the first sign-up's marker to be confirmed) steps out meanwhile: holding its place,
 * it would keep that later request from appending, which is what it waits for (a stall until the
 * wait gives up). Rejoining queues it again at the end, with a new turn.
 */
export interface PlaceInLine {
  stepOut(): void;
  rejoin(): Promise<void>;
}

/** Runs `fn` holding the username's ticket; the ticket is returned whatever happens. */
export async function inTurn<T>(deps: HandOffDeps, username: string, fn: (turn: Promise<void>, place: PlaceInLine) => Promise<T>): Promise<T> {
  let ticket = deps.sequencer.enter(username);
  const place: PlaceInLine = {
    stepOut: () => ticket.done(),
    rejoin: () => {
      ticket.done();
      ticket = deps.sequencer.enter(username);
      return ticket.turn;
    },
  };
  try {
    return await fn(ticket.turn, place);
  } finally {
    ticket.done();
  }
}
