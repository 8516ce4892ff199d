import { readSessionRevocation, type SessionRevocation } from '@usersys/user-cache';
import type { RedisClient } from '@usersys/service-kit';
import type { RevocationLookup } from '../domain/session-check';

/** `auth:revoked-before:<accountId>`, set by user-command when it accepts a revoking change. */
export class RedisRevocationLookup implements RevocationLookup {
  constructor(private readonly redis: RedisClient) {}

  async revokedBefore(accountId: string): Promise<SessionRevocation | null> {
    // Fail at once while disconnected: the check goes on without the marker (SessionCheck).
    if (this.redis.status !== 'ready') throw new Error(`redis ${this.redis.status}`);
    return readSessionRevocation(this.redis, accountId);
  }
}
