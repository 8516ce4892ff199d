import type { Logger } from '@usersys/logger';
import { fillCachedUser, lowerRevocationVersion, readCachedUser, readRejection, readRequestRecord, recordRejection, releaseContact, requestKey, reserveContact, revokeSessionsBefore, writeRequestRecord, UserCacheSeal, type CachedUser, type ContactKind, type Rejection, type RequestRecord } from '@usersys/user-cache';
import type { RedisClient } from '@usersys/service-kit';
import { Cluster, type Redis } from 'ioredis';
import type { AcceptedRequests } from '../domain/lost-wal';
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

  /** Only the lost-WAL settlement writes one here (the consumer writes the others). */
  record(username: string, rejection: { eventId: string; reason: string }): Promise<void> {
    return recordRejection(this.redis, username, rejection);
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

/**
 * Every request record, for the lost-WAL settlement (an operator tool, not the request path): SCAN
 * over every master (a Cluster spreads the untagged keys over all of them). SCAN matches and
 * returns whole keys, so the key prefix is added to the pattern and cut from what comes back.
 */
export class ScannedRequestRecords extends RedisRequestRecords implements AcceptedRequests {
  constructor(
    private readonly client: RedisClient,
    private readonly keyPrefix: string,
  ) {
    super(client);
  }

  async *all(): AsyncIterable<{ requestId: string; record: RequestRecord }> {
    const nodes: Redis[] = this.client instanceof Cluster ? this.client.nodes('master') : [this.client];
    const keyStart = this.keyPrefix + requestKey('');
    for (const node of nodes) {
      for await (const keys of node.scanStream({ match: `${keyStart}*`, count: 1000 }) as AsyncIterable<string[]>) {
        for (const key of keys) {
          const requestId = key.slice(keyStart.length);
          const record = await this.read(requestId);
          if (record) yield { requestId, record };
        }
      }
    }
  }
}

/** `auth:revoked-before:<accountId>` through the shared user-cache lib (only raised; TTL 25 h). */
export class RedisSessionRevocations implements SessionRevocations {
  constructor(private readonly redis: RedisClient) {}

  revokeBefore(accountId: string, atMs: number, minVersion: number): Promise<void> {
    return revokeSessionsBefore(this.redis, accountId, atMs, undefined, minVersion);
  }

  /** Only the lost-WAL settlement: the version a lost change would have brought is never coming. */
  lowerMinVersion(accountId: string, version: number): Promise<boolean> {
    return lowerRevocationVersion(this.redis, accountId, version);
  }
}
