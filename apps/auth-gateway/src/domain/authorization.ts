import type { CallerRole } from './tokens';

/** An authenticated caller's role is the account's current one (SessionCheck), not the token's hint. */
export type Caller = { kind: 'anonymous' } | { kind: 'user'; username: string; role: CallerRole };
export type UserAction = 'read' | 'update' | 'delete' | 'force_delete';
export type Decision = 'allow' | 'unauthenticated' | 'forbidden';

/**
 * docs/api.md ("Who may do what"): reading, changing and deleting an account needs its owner or an admin; force
 * delete needs an admin. user-command re-checks the same rule from the caller headers.
 */
export function authorize(caller: Caller, target: string, action: UserAction): Decision {
  if (caller.kind === 'anonymous') return 'unauthenticated';
  if (caller.role === 'admin') return 'allow';
  if (action === 'force_delete') return 'forbidden';
  return caller.username === target ? 'allow' : 'forbidden';
}

/** Only admins manage the runtime limits. */
export function authorizeAdmin(caller: Caller): Decision {
  if (caller.kind === 'anonymous') return 'unauthenticated';
  return caller.role === 'admin' ? 'allow' : 'forbidden';
}
