import { readRevokedBefore } from '@usersys/user-cache';
import type { Redis } from 'ioredis';
import type { RevocationLookup } from '../domain/session-check';

/** `auth:revoked-before:<accountId>`, set by user-command when it accepts a revoking change. */
export class RedisRevocationLookup implements RevocationLookup {
  constructor(private readonly redis: Redis) {}

  async revokedBefore(accountId: string): Promise<number | null> {
    // Fail at once while disconnected: the check goes on without the marker (SessionCheck).
    if (this.redis.status !== 'ready') throw new Error(`redis ${this.redis.status}`);
    return readRevokedBefore(this.redis, accountId);
  }
}
