import { AppError } from '@usersys/service-kit';
import { ERRORS } from '../errors';

/** The authenticated caller as the gateway reports it (x-caller-id, x-caller-role). */
export interface Caller {
  id?: string;
  role: 'anonymous' | 'user' | 'admin';
}

export function callerFrom(id: string | undefined, role: string | undefined): Caller {
  const r = role === 'admin' || role === 'user' ? role : 'anonymous';
  return r === 'anonymous' || !id ? { role: 'anonymous' } : { id, role: r };
}

/**
 * Defence in depth: the gateway authorises too, but user-command re-checks from the caller headers,
 * so a misrouted or buggy gateway cannot let one user change another.
 */
export function authorize(caller: Caller, action: 'self-or-admin' | 'admin', username: string): void {
  if (caller.role === 'admin') return;
  if (action === 'self-or-admin' && caller.role === 'user' && caller.id === username) return;
  throw new AppError(ERRORS.FORBIDDEN);
}
