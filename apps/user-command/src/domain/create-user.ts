import { createEvent, type EventEnvelope } from '@usersys/event-schema';
import { randomUUID } from 'node:crypto';
import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import { appendInTurn, hashPassword, inTurn, recordRequest, type HandOffDeps } from './hand-off';
import type { PendingMarkerValue } from '@usersys/pending-marker';
import type { PendingMarkers, RequestTrace } from './ports';
import { lookupUnavailable, reserveContacts, usernameTaken, type HeldContacts, type UniquenessDeps } from './uniqueness';
import type { CreateUserInput } from './validation';

export type CreateUserDeps = UniquenessDeps & HandOffDeps & { markers: PendingMarkers };

/** `eventId` is also the request id the client follows (GET /v1/requests/{requestId}). */
export type CreateUserResult = { outcome: 'accepted'; eventId: string } | { outcome: 'in_progress'; eventId: string; ttlRemainingMs: number };

/**
 * Sign-up, synchronously: uniqueness (username and contacts in parallel) → hash → pending marker →
 * the username once more in PostgreSQL → request record → WAL. Nothing reaches the WAL unless every
 * earlier step passed; reservations taken by a request that fails are released; the 202 is sent
 * only once the event is durable.
 */
export async function createUser(deps: CreateUserDeps, input: CreateUserInput, trace: RequestTrace): Promise<CreateUserResult> {
  const { username, email, phone } = input;
  const attrs = { 'enduser.id': username };
  return inTurn(deps, username, async (turn) => {
    const [nameCheck, contactCheck] = await Promise.allSettled([
      deps.step('checkUserExist', () => usernameTaken(deps, username), attrs),
      deps.step('ensureContactUniqueness', () => reserveContacts(deps, username, { email, phone }), attrs),
    ]);
    const held = contactCheck.status === 'fulfilled' ? contactCheck.value : undefined;
    if (nameCheck.status === 'rejected' || nameCheck.value) {
      await held?.release();
      if (nameCheck.status === 'rejected') throw nameCheck.reason;
      throw new AppError(ERRORS.USERNAME_TAKEN, undefined, { details: { field: 'username' } });
    }
    if (!held) throw (contactCheck as PromiseRejectedResult).reason;
    return afterUniqueness(deps, input, trace, held, turn);
  });
}

async function afterUniqueness(deps: CreateUserDeps, input: CreateUserInput, trace: RequestTrace, held: HeldContacts, turn: Promise<void>): Promise<CreateUserResult> {
  const { username, email, phone } = input;
  let keep = {};
  try {
    const passwordHash = await hashPassword(deps, username, input.password);
    // A new account: its stable id is created here, never reused (a force-deleted name taken again
    // is another account), and inserted by the consumer.
    const event = createEvent('user.created', username, { email, phone, nickname: input.nickname ?? null, passwordHash, role: 'user' }, { traceparent: trace.traceparent, tracestate: trace.tracestate }, randomUUID());
    const mark = () =>
      deps.step(
        'markUserPendingCreate',
        async () => {
          try {
            return await deps.markers.markIfAbsent(username, { eventId: event.eventId, eventType: event.type, traceId: trace.traceId, createdAt: event.occurredAt, contacts: { email, phone } });
          } catch (err) {
            throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
          }
        },
        { 'enduser.id': username, 'event.id': event.eventId },
      );
    let marked = await mark();
    // SET NX lost, yet the marker was gone when read back: its event just finished. Try once more;
    // the database check below decides if that event took the name.
    if (!marked.created && !marked.existing) marked = await mark();
    // The same sign-up already holds the marker: answer with its request id only if that request was
    // recorded. A marker without its record is left over from a sign-up that failed before the WAL
    // (Redis failing, also when giving the marker back): taken over, never answered with a 202.
    if (!marked.created && marked.existing && sameSignUp(marked.existing, input) && !(await requestRecorded(deps, marked.existing.eventId, marked.existing.createdAt))) {
      keep = marked.existing.contacts ?? { email, phone };
      // Young and still unrecorded: that sign-up may yet record it; its own answer decides, not ours.
      if (Date.now() - Date.parse(marked.existing.createdAt) < UNRECORDED_MARKER_GRACE_MS) throw new AppError(ERRORS.USER_PENDING);
      await deps.markers.clear(username, marked.existing.eventId).catch(() => undefined);
      keep = {};
      marked = await mark();
    }
    if (!marked.created) {
      // Already in flight. Keep what the in-flight sign-up also reserved (same name owns it).
      const existing = marked.existing;
      keep = existing ? (existing.contacts ?? { email, phone }) : {};
      // The same client retrying (same contacts) gets the same answer (the in-flight request id)
      // and no second event; a different sign-up for that name lost the race and is told so.
      if (existing && sameSignUp(existing, input)) return { outcome: 'in_progress', eventId: existing.eventId, ttlRemainingMs: marked.ttlMs };
      throw new AppError(ERRORS.USERNAME_TAKEN, 'username is already taken (a sign-up for it is in progress)', { details: { field: 'username' } });
    }
    await claimName(deps, username, event);
    try {
      await appendInTurn(deps, turn, event);
    } catch (err) {
      // Give the marker back: left in place, the client's retry (what the 503 asks for) would be
      // answered 202 with this request id, whose event is not in the WAL and would stay pending.
      await deps.markers.clear(username, event.eventId).catch(() => undefined);
      throw err;
    }
    return { outcome: 'accepted', eventId: event.eventId };
  } catch (err) {
    await held.release(keep);
    throw err;
  }
}

/** Time from SET NX to the request record of a live sign-up: one indexed lookup; far longer means it failed. */
export const UNRECORDED_MARKER_GRACE_MS = 30_000;
const RECORD_WAIT_MS = 1_000;
const RECORD_POLL_MS = 50;

/** The marker is this client's own sign-up (same contacts; markers from before contacts were kept count as the same). */
const sameSignUp = (marker: PendingMarkerValue, input: CreateUserInput): boolean => !marker.contacts || (marker.contacts.email === input.email && marker.contacts.phone === input.phone);

/**
 * Whether the request under a marker was recorded. A live sign-up records it one indexed lookup
 * after its marker, so for a young marker (a double submit) the record is awaited a moment.
 */
async function requestRecorded(deps: CreateUserDeps, requestId: string, markedAt: string): Promise<boolean> {
  for (let waited = 0; ; waited += RECORD_POLL_MS) {
    let record;
    try {
      record = await deps.requests.read(requestId);
    } catch (err) {
      throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
    }
    if (record) return true;
    if (waited >= RECORD_WAIT_MS || Date.now() - Date.parse(markedAt) >= UNRECORDED_MARKER_GRACE_MS) return false;
    await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS));
  }
}

/**
 * We won the pending marker; nothing is written yet. The consumer clears a marker only after its
 * row is committed, so a row that exists now was created by an earlier sign-up whose marker we
 * just replaced: ask PostgreSQL (the cache may lag), not the cache. Taken, or Redis/PostgreSQL
 * failing → give the marker back (owner-checked) and refuse.
 */
async function claimName(deps: CreateUserDeps, username: string, event: EventEnvelope): Promise<void> {
  try {
    const taken = await deps.step(
      'confirmUsernameFree',
      async () => {
        try {
          return await deps.directory.usernameExists(username);
        } catch (err) {
          throw lookupUnavailable(err);
        }
      },
      { 'enduser.id': username, 'event.id': event.eventId },
    );
    if (taken) throw new AppError(ERRORS.USERNAME_TAKEN, undefined, { details: { field: 'username' } });
    await recordRequest(deps, event);
  } catch (err) {
    // Left behind (Redis down), it expires by its TTL; the name stays blocked until then.
    await deps.markers.clear(username, event.eventId).catch(() => undefined);
    throw err;
  }
}
