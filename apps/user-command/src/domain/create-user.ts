import { createEvent, type EventEnvelope } from '@usersys/event-schema';
import { randomUUID } from 'node:crypto';
import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';
import { appendInTurn, hashPassword, inTurn, recordRequest, type HandOffDeps, type PlaceInLine } from './hand-off';
import type { MarkResult, PendingMarkerValue } from '@usersys/pending-marker';
import type { PendingMarkers, RequestTrace } from './ports';
import { lookupUnavailable, reserveContacts, usernameTaken, type HeldContacts, type UniquenessDeps } from './uniqueness';
import type { CreateUserInput } from '@usersys/api-contract';

export type CreateUserDeps = UniquenessDeps & HandOffDeps & { markers: PendingMarkers; /** default CONFIRMATION_WAIT_MS (unit tests shorten it) */ confirmationWaitMs?: number };

/** `eventId` is also the request id the client follows (GET /v1/requests/{requestId}). */
export type CreateUserResult = { outcome: 'accepted'; eventId: string } | { outcome: 'in_progress'; eventId: string; ttlRemainingMs: number };

/**
 * Sign-up, synchronously: uniqueness (username and contacts in parallel) → hash → provisional pending
 * marker → the username once more in PostgreSQL → request record → WAL → marker confirmed. Nothing reaches the WAL unless every
 * earlier step passed; reservations taken by a request that fails are released; the 202 is sent
 * only once the event is durable.
 */
export async function createUser(deps: CreateUserDeps, input: CreateUserInput, trace: RequestTrace): Promise<CreateUserResult> {
  const { username, email, phone } = input;
  const attrs = { 'enduser.id': username };
  deps.hasher.refuseIfBusy(); // every sign-up hashes: when the workers are saturated, refuse before any work
  return inTurn(deps, username, async (turn, place) => {
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
    return afterUniqueness(deps, input, trace, held, turn, place);
  });
}

async function afterUniqueness(deps: CreateUserDeps, input: CreateUserInput, trace: RequestTrace, held: HeldContacts, turn: Promise<void>, place: PlaceInLine): Promise<CreateUserResult> {
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
    // The same client's sign-up holds a provisional marker (a double submit): it is one indexed
    // lookup and one group commit from the WAL; wait a moment for it to be confirmed or given back.
    // It may have arrived after this one: out of its way in the line while waiting (PlaceInLine).
    if (!marked.created && marked.existing?.confirmed === false && sameSignUp(marked.existing, input)) {
      place.stepOut();
      marked = await untilConfirmed(deps, username, marked.existing.eventId, mark);
      turn = place.rejoin();
    }
    if (!marked.created) {
      // Already in flight. Keep what the in-flight sign-up also reserved (same name owns it).
      const existing = marked.existing;
      keep = existing ? (existing.contacts ?? { email, phone }) : {};
      if (existing && sameSignUp(existing, input)) {
        // The same client retrying (same contacts) gets the same answer (the in-flight request id)
        // and no second event, but only once that event is in the WAL. Still provisional after the
        // wait above: that sign-up may yet fail, or its process died (its provisional marker then
        // expires within PROVISIONAL_MARKER_TTL_MS); a 202 with its id could stay pending for ever.
        if (existing.confirmed === false) throw new AppError(ERRORS.USER_PENDING);
        return { outcome: 'in_progress', eventId: existing.eventId, ttlRemainingMs: marked.ttlMs };
      }
      // A different sign-up for that name lost the race and is told so.
      throw new AppError(ERRORS.USERNAME_TAKEN, 'username is already taken (a sign-up for it is in progress)', { details: { field: 'username' } });
    }
    await claimName(deps, username, event, held);
    try {
      await appendInTurn(deps, turn, event);
    } catch (err) {
      // Give the marker back: left in place, the client's retry (what the 503 asks for) would be
      // answered 202 with this request id, whose event is not in the WAL and would stay pending.
      await deps.markers.clear(username, event.eventId).catch(() => undefined);
      throw err;
    }
    await confirmMarker(deps, username, event);
    return { outcome: 'accepted', eventId: event.eventId };
  } catch (err) {
    await held.release(keep);
    throw err;
  }
}

/** The same client's sign-up (same contacts; markers from before contacts were kept count as the same). */
const sameSignUp = (marker: PendingMarkerValue, input: CreateUserInput): boolean => !marker.contacts || (marker.contacts.email === input.email && marker.contacts.phone === input.phone);

/** How long a double submit waits for the first sign-up's marker to be confirmed (far above a live sign-up's marker-to-WAL time). */
export const CONFIRMATION_WAIT_MS = 5_000;
const CONFIRMATION_POLL_MS = 20;

/**
 * Polls the provisional marker of event `eventId` until it is confirmed (its event is in the WAL),
 * handed to another event, or gone (that sign-up failed and gave it back, or was applied: mark
 * again, and the database check decides). Still provisional after CONFIRMATION_WAIT_MS: returned
 * as is, and the caller answers USER_PENDING (retry later), never a request id that may never be written.
 */
async function untilConfirmed(deps: CreateUserDeps, username: string, eventId: string, mark: () => Promise<MarkResult>): Promise<MarkResult> {
  for (const deadline = Date.now() + (deps.confirmationWaitMs ?? CONFIRMATION_WAIT_MS); ; ) {
    await new Promise((resolve) => setTimeout(resolve, CONFIRMATION_POLL_MS));
    let now;
    try {
      now = await deps.markers.read(username);
    } catch (err) {
      throw new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
    }
    if (!now?.value) return mark();
    const settled = now.value.eventId !== eventId || now.value.confirmed !== false;
    if (settled || Date.now() >= deadline) return { created: false, ttlMs: now.ttlRemainingMs, existing: now.value };
  }
}

/**
 * The event is durable: the marker gets its full TTL (it must outlive a Kafka backlog) and retries
 * may be answered with its request id. Best effort: Redis failing here leaves the provisional
 * marker to expire; the name is then guarded only by the database (a second sign-up of it would
 * be accepted and end rejected, username_taken).
 */
async function confirmMarker(deps: CreateUserDeps, username: string, event: EventEnvelope): Promise<void> {
  await deps.step('confirmPendingMarker', () => deps.markers.confirm(username, event.eventId).catch(() => false), { 'enduser.id': username, 'event.id': event.eventId });
}

/**
 * We won the pending marker; nothing is written yet. The consumer clears a marker only after its
 * row is committed, so a row that exists now was created by an earlier sign-up whose marker we
 * just replaced: ask PostgreSQL (the cache may lag), not the cache. The contacts reserved before
 * the marker are taken again (HeldContacts.reassert: a settlement of a lost WAL may have released
 * them). Taken, or Redis/PostgreSQL failing → give the marker back (owner-checked) and refuse.
 */
async function claimName(deps: CreateUserDeps, username: string, event: EventEnvelope, held: HeldContacts): Promise<void> {
  try {
    await deps.step(
      'reassertContacts',
      async () => {
        try {
          await held.reassert();
        } catch (err) {
          throw err instanceof AppError ? err : new AppError(ERRORS.REDIS_UNAVAILABLE, undefined, { cause: err });
        }
      },
      { 'enduser.id': username, 'event.id': event.eventId },
    );
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
