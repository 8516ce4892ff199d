import { createEvent } from '@usersys/event-schema';
import { authorize, type Caller } from './caller';
import { existingUser, type ExistingUserDeps } from './existing-user';
import { appendInTurn, inTurn, recordRequest, revokeSessionsAtAccept, type HandOffDeps } from './hand-off';
import type { RequestTrace } from './ports';

export type AccountAccessDeps = ExistingUserDeps & HandOffDeps;
export type AccountAccessChange = 'disable' | 'enable';

/**
 * An admin disables an account (its sessions are revoked at the 202, login refused once applied)
 * or enables it again. The user must exist and not be deleted: 404, or 409 while its creation is
 * pending, like an update.
 */
export async function changeAccountAccess(deps: AccountAccessDeps, caller: Caller, username: string, change: AccountAccessChange, trace: RequestTrace): Promise<{ eventId: string }> {
  authorize(caller, 'admin', username);
  return inTurn(deps, username, async (turn) => {
    const current = await deps.step('checkUserExist', () => existingUser(deps, username), { 'enduser.id': username });
    const type = change === 'disable' ? 'user.disabled' : 'user.enabled';
    const event = createEvent(type, username, caller.id ? { requestedBy: caller.id } : {}, { traceparent: trace.traceparent, tracestate: trace.tracestate }, current.accountId);
    await recordRequest(deps, event);
    await revokeSessionsAtAccept(deps, event);
    await appendInTurn(deps, turn, event);
    return { eventId: event.eventId };
  });
}
