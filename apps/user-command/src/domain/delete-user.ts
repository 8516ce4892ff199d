import { createEvent } from '@usersys/event-schema';
import { authorize, type Caller } from './caller';
import { existingUser, type ExistingUserDeps } from './existing-user';
import { appendInTurn, inTurn, recordRequest, revokeSessionsAtAccept, type HandOffDeps } from './hand-off';
import type { RequestTrace } from './ports';

export type DeleteUserDeps = ExistingUserDeps & HandOffDeps;

/**
 * Soft delete (the user or an admin) or force delete (admin only, also purges a soft-deleted row).
 * Like an update, it needs an existing user: 404 when absent, 409 while its creation is pending.
 * Both revoke the account's sessions at the 202.
 */
export async function deleteUser(deps: DeleteUserDeps, caller: Caller, username: string, mode: 'soft' | 'force', trace: RequestTrace): Promise<{ eventId: string }> {
  authorize(caller, mode === 'force' ? 'admin' : 'self-or-admin', username);
  return inTurn(deps, username, async (turn) => {
    const current = await deps.step('checkUserExist', () => existingUser(deps, username, { includeDeleted: mode === 'force' }), { 'enduser.id': username });
    const type = mode === 'force' ? 'user.force_deleted' : 'user.deleted';
    const event = createEvent(type, username, caller.id ? { requestedBy: caller.id } : {}, { traceparent: trace.traceparent, tracestate: trace.tracestate }, current.accountId);
    await recordRequest(deps, event);
    await revokeSessionsAtAccept(deps, event);
    await appendInTurn(deps, turn, event);
    return { eventId: event.eventId };
  });
}
