import type { EventEnvelope } from '@usersys/event-schema';

/**
 * By how much applying an event raises the account's credential version (users.credential_version):
 * a password change, a soft or force delete and a disable revoke every session of the account, so
 * tokens carrying an older version are refused from then on (the gateway compares). An enable, a
 * sign-up and other updates change nothing. Mirrors user-command's rule of which accepted changes
 * revoke sessions at the 202 (apps/user-command/src/domain/session-revocation.ts); change both together.
 */
export function credentialVersionStep(event: EventEnvelope): 0 | 1 {
  switch (event.type) {
    case 'user.updated':
      return event.payload.passwordHash !== undefined ? 1 : 0;
    case 'user.deleted':
    case 'user.force_deleted':
    case 'user.disabled':
      return 1;
    case 'user.created':
    case 'user.enabled':
      return 0;
  }
}
