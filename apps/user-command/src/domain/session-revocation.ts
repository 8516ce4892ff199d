import type { EventEnvelope } from '@usersys/event-schema';

/**
 * Which accepted changes revoke every session of the account: a password change, a soft or force
 * delete, a disable. user-command raises the account's revoked-before time for them at the 202
 * (hand-off.ts), so a frozen Kafka cannot delay the revocation. The consumer mirrors this rule when
 * it applies the change (apps/user-consumer/src/domain/credential-version.ts: the same events raise
 * users.credential_version); change both together.
 */
export function revokesSessions(event: EventEnvelope): boolean {
  switch (event.type) {
    case 'user.updated':
      return event.payload.passwordHash !== undefined;
    case 'user.deleted':
    case 'user.force_deleted':
    case 'user.disabled':
      return true;
    case 'user.created':
    case 'user.enabled':
      return false;
  }
}
