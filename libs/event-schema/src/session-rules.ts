import type { EventEnvelope } from './envelope';

/**
 * Which changes revoke every session of the account: a password change, a soft or force delete, a
 * disable. One rule for both ends: user-command raises the account's revoked-before time for these
 * when it accepts them (before the 202, so a frozen Kafka cannot delay the revocation), and the
 * consumer raises users.credential_version when it applies them, so the revocation survives a Redis
 * that lost the first.
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
