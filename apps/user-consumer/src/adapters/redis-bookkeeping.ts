import type { EventEnvelope } from '@usersys/event-schema';
import { pendingMarkerKey, type PendingMarkerStore } from '@usersys/pending-marker';
import { deleteCachedUser, recordRejection, releaseContact, userCacheKey, type CachedUser } from '@usersys/user-cache';
import type { Redis } from 'ioredis';
import type { Bookkeeping, UserRow, WriteResult } from '../domain/ports';

// SET the fresh entry unless the cache already holds a newer version of the row (the retry and the
// main consumer can finish events of one user close together); updatedAt is ISO text, so it sorts.
const SET_IF_NOT_OLDER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local ok, d = pcall(cjson.decode, cur)
  if ok and type(d) == 'table' and type(d['updatedAt']) == 'string' and d['updatedAt'] > ARGV[2] then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`;

export function cachedUserOf(row: UserRow): CachedUser {
  return {
    username: row.username,
    email: row.email,
    phone: row.phone,
    nickname: row.nickname,
    role: row.role,
    state: row.state,
    passwordHash: row.passwordHash,
    lastEventId: row.lastEventId,
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Same keys user-command and the gateway read: the pending marker, `user:reserve:*`, `user:cache:*`,
 * `user:rejected:*`. Commands of a batch are issued together (ioredis pipelines them on the wire).
 */
export class RedisBookkeeping implements Bookkeeping {
  constructor(
    private readonly redis: Redis,
    private readonly markers: PendingMarkerStore,
    private readonly options: { rejectionTtlMs: number; userCacheTtlMs: number },
  ) {
    redis.defineCommand('usersysSetCachedUserIfNotOlder', { numberOfKeys: 1, lua: SET_IF_NOT_OLDER });
  }

  async markerEventIds(usernames: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (usernames.length === 0) return out;
    const values = await this.redis.mget(usernames.map(pendingMarkerKey));
    usernames.forEach((u, i) => {
      let eventId: string | null = null;
      try {
        eventId = values[i] ? ((JSON.parse(values[i]!) as { eventId?: string }).eventId ?? null) : null;
      } catch {
        eventId = null;
      }
      out.set(u, eventId);
    });
    return out;
  }

  async settle(items: Array<{ event: EventEnvelope; result: WriteResult }>): Promise<Array<Error | null>> {
    return Promise.all(
      items.map(async ({ event, result }) => {
        try {
          await this.settleOne(event, result);
          return null;
        } catch (err) {
          return err as Error;
        }
      }),
    );
  }

  private async settleOne(event: EventEnvelope, result: WriteResult): Promise<void> {
    const steps: Promise<unknown>[] = [];
    const username = event.username;
    if (event.type === 'user.created') {
      // Only creates set a marker; the owner check keeps a newer request's marker in place.
      steps.push(this.markers.clear(username, event.eventId));
      steps.push(releaseContact(this.redis, 'email', event.payload.email, username), releaseContact(this.redis, 'phone', event.payload.phone, username));
    } else if (event.type === 'user.updated') {
      if (event.payload.email) steps.push(releaseContact(this.redis, 'email', event.payload.email, username));
      if (event.payload.phone) steps.push(releaseContact(this.redis, 'phone', event.payload.phone, username));
    }
    const rejectedField = result.kind === 'rejected' || result.kind === 'duplicate' ? result.field : undefined;
    if (rejectedField) {
      steps.push(recordRejection(this.redis, username, { eventId: event.eventId, reason: `${rejectedField} is already taken by another user` }, this.options.rejectionTtlMs));
    }
    const isDelete = event.type === 'user.deleted' || event.type === 'user.force_deleted';
    if (result.row) steps.push(this.setCachedUser(result.row));
    else if (isDelete) steps.push(this.setCachedUser(tombstone(username, event.eventId)));
    else steps.push(deleteCachedUser(this.redis, username));
    await Promise.all(steps);
  }

  async refreshRows(rows: UserRow[]): Promise<void> {
    await Promise.all(rows.map((r) => this.setCachedUser(r)));
  }

  private async setCachedUser(row: UserRow): Promise<void> {
    const entry = cachedUserOf(row);
    const redis = this.redis as Redis & { usersysSetCachedUserIfNotOlder(key: string, value: string, updatedAt: string, ttlMs: string): Promise<number> };
    await redis.usersysSetCachedUserIfNotOlder(userCacheKey(row.username), JSON.stringify(entry), entry.updatedAt, String(this.options.userCacheTtlMs));
  }
}

/** What the cache says about a user whose row is gone (force delete of an already absent row). */
function tombstone(username: string, eventId: string): UserRow {
  return { username, email: '', phone: '', nickname: null, role: 'user', state: 'deleted', passwordHash: '', lastEventId: eventId, updatedAt: new Date() };
}
