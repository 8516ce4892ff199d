import { createEvent, type PayloadOf } from '@usersys/event-schema';
import { authorize, type Caller } from './caller';
import { existingUser, type ExistingUserDeps } from './existing-user';
import { appendInTurn, revokeOldCredentials, hashPassword, inTurn, recordRequest, revokeSessionsAtAccept, type HandOffDeps } from './hand-off';
import type { Contacts, RequestTrace } from './ports';
import { reserveContacts, type UniquenessDeps } from './uniqueness';
import type { UpdateUserInput } from '@usersys/api-contract';

export type UpdateUserDeps = UniquenessDeps & ExistingUserDeps & HandOffDeps;

/**
 * PATCH: the user must exist (404) and not be pending creation (409); a new email or phone is
 * reserved and checked like a sign-up; a new password is hashed (and the account's sessions are
 * revoked at the 202); then the event goes to the WAL. The schema is strict: `currentPassword` (the
 * gateway checks and strips it) is refused here with 400, so it never reaches the WAL or a log.
 */
export async function updateUser(deps: UpdateUserDeps, caller: Caller, username: string, input: UpdateUserInput, trace: RequestTrace): Promise<{ eventId: string }> {
  authorize(caller, 'self-or-admin', username);
  if (input.password !== undefined) deps.hasher.refuseIfBusy(); // it will hash: when saturated, refuse before any work
  const attrs = { 'enduser.id': username };
  return inTurn(deps, username, async (turn) => {
    const current = await deps.step('checkUserExist', () => existingUser(deps, username), attrs);
    // Only values that change need a reservation; the user's own current ones are theirs already.
    const changed: Contacts = {};
    if (input.email !== undefined && input.email !== current.email) changed.email = input.email;
    if (input.phone !== undefined && input.phone !== current.phone) changed.phone = input.phone;
    const held = await deps.step('ensureContactUniqueness', () => reserveContacts(deps, username, changed), attrs);
    try {
      const payload: PayloadOf<'user.updated'> = {};
      if (input.email !== undefined) payload.email = input.email;
      if (input.phone !== undefined) payload.phone = input.phone;
      if (input.nickname !== undefined) payload.nickname = input.nickname;
      if (input.password !== undefined) payload.passwordHash = await hashPassword(deps, username, input.password);
      const event = createEvent('user.updated', username, payload, { traceparent: trace.traceparent, tracestate: trace.tracestate }, current.accountId);
      await recordRequest(deps, event);
      await revokeSessionsAtAccept(deps, event); // a password change revokes the account's sessions
      await appendInTurn(deps, turn, event);
      await revokeOldCredentials(deps, event, current.credentialVersion);
      return { eventId: event.eventId };
    } catch (err) {
      await held.release();
      throw err;
    }
  });
}
