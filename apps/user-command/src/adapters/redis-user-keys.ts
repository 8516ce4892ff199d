import type { Logger } from '@usersys/logger';
import { fillCachedUser, readCachedUser, readRejection, readRequestRecord, releaseContact, reserveContact, revokeSessionsBefore, writeRequestRecord, UserCacheSeal, type CachedUser, type ContactKind, type Rejection, type RequestRecord } from '@usersys/user-cache';
import type { RedisClient } from '@usersys/service-kit';
import type { ContactReservations, RejectionRecords, RequestRecords, SessionRevocations, UserCache } from '../domain/ports';

/**
 * The user cache read-through. The cache is an optimisation: when Redis fails the database answers
 * (logged with `degrade`), and a failed fill is simply skipped.
 */
export class RedisUserCache implements UserCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
    private readonly seal: UserCacheSeal,
    private readonly ttlMs?: number,
  ) {}

  async read(username: string): Promise<CachedUser | null> {
    try {
      return await readCachedUser(this.redis, this.seal, username);
    } catch (err) {
      this.log.warn({ username, step: 'userCache', degrade: 'database', err: (err as Error).message }, 'user cache unavailable, asking the database');
      return null;
    }
  }

  async fill(user: CachedUser): Promise<void> {
    await fillCachedUser(this.redis, this.seal, user, this.ttlMs).catch(() => undefined);
  }
}

/** `user:reserve:email|phone:<value>` through the shared user-cache lib. */
export class RedisContactReservations implements ContactReservations {
  constructor(
    private readonly redis: RedisClient,
    private readonly log: Logger,
    private readonly ttlMs?: number,
  ) {}

  reserve(kind: ContactKind, value: string, username: string): Promise<boolean> {
    return reserveContact(this.redis, kind, value, username, this.ttlMs);
  }

  async release(kind: ContactKind, value: string, username: string): Promise<void> {
    // Left behind it expires by its TTL; failing the request over it would help nobody.
    await releaseContact(this.redis, kind, value, username).catch((err: Error) => this.log.warn({ username, kind, err: err.message }, 'could not release a contact reservation; it expires by TTL'));
  }
}

/** `user:rejected:<username>`, written by user-consumer when an accepted request lost in the database. */
export class RedisRejections implements RejectionRecords {
  constructor(private readonly redis: RedisClient) {}

  read(username: string): Promise<Rejection | null> {
    return readRejection(this.redis, username);
  }
}

/** `user:request:<requestId>` through the shared user-cache lib (TTL 25 h). */
export class RedisRequestRecords implements RequestRecords {
  /** `walName`: stamped on every record, so an operator can settle the requests of a WAL that was lost (tools/lost-wal.ts). */
  constructor(
    private readonly redis: RedisClient,
    private readonly walName?: string,
  ) {}

  write(requestId: string, record: RequestRecord): Promise<void> {
    return writeRequestRecord(this.redis, requestId, this.walName ? { ...record, wal: this.walName } : record);
  }

  read(requestId: string): Promise<RequestRecord | null> {
    return readRequestRecord(this.redis, requestId);
  }
}

/** `auth:revoked-before:<accountId>` through the shared user-cache lib (only raised; TTL 25 h). */
export class RedisSessionRevocations implements SessionRevocations {
  constructor(private readonly redis: RedisClient) {}

  revokeBefore(accountId: string, atMs: number, minVersion: number): Promise<void> {
    return revokeSessionsBefore(this.redis, accountId, atMs, undefined, minVersion);
  }
}
