import type { EventEnvelope } from '@usersys/event-schema';
import { pendingMarkerKey } from '@usersys/pending-marker';
import { cachedUserOf, rejectionKey, reservationKey, userCacheKey, type UserCacheSeal } from '@usersys/user-cache';
import type { Redis } from 'ioredis';
import type { Bookkeeping, UserRow, WriteResult } from '../domain/ports';

// Everything after one write in one round trip per batch (one script call per event, pipelined).
// It does what the shared libs do, with the same owner checks: PendingMarkerStore.clear(name,
// eventId) (delete only the marker written for this event), releaseContact (delete a reservation
// only while this user holds it), recordRejection, and the consumer's SET of the fresh CachedUser,
// here guarded so an older version of the row never replaces a newer one (updatedAt is ISO text).
// KEYS: marker, email reservation, phone reservation, cache, rejection
// ARGV: eventId|'' , username, releaseEmail, releasePhone, 'set'|'del', cacheJson, updatedAt, cacheTtlMs, rejectionJson|'', rejectionTtlMs
const SETTLE = `
if ARGV[1] ~= '' then
  local v = redis.call('GET', KEYS[1])
  if v then
    local ok, d = pcall(cjson.decode, v)
    if ok and type(d) == 'table' and d['eventId'] == ARGV[1] then redis.call('DEL', KEYS[1]) end
  end
end
if ARGV[3] == '1' and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
if ARGV[4] == '1' and redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('DEL', KEYS[3]) end
if ARGV[9] ~= '' then redis.call('SET', KEYS[5], ARGV[9], 'PX', ARGV[10]) end
if ARGV[5] == 'del' then
  redis.call('DEL', KEYS[4])
else
  local cur = redis.call('GET', KEYS[4])
  if cur then
    local ok, d = pcall(cjson.decode, cur)
    if ok and type(d) == 'table' and type(d['updatedAt']) == 'string' and d['updatedAt'] > ARGV[7] then return 0 end
  end
  redis.call('SET', KEYS[4], ARGV[6], 'PX', ARGV[8])
end
return 1`;

type SettleArgs = [string, string, string, string, string, string, string, string, string, string, string, string, string, string, string];
type WithSettle = { usersysSettle(...args: SettleArgs): unknown };


/**
 * Same keys user-command and the gateway read: the pending marker, `user:reserve:*`, `user:cache:*`,
 * `user:rejected:*` (key names from @usersys/pending-marker and @usersys/user-cache).
 */
export class RedisBookkeeping implements Bookkeeping {
  constructor(
    private readonly redis: Redis,
    private readonly options: { rejectionTtlMs: number; userCacheTtlMs: number },
    private readonly seal: UserCacheSeal,
  ) {
    redis.defineCommand('usersysSettle', { numberOfKeys: 5, lua: SETTLE });
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
    if (items.length === 0) return [];
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & WithSettle;
    for (const { event, result } of items) pipeline.usersysSettle(...this.settleArgs(event, result));
    let replies: Array<[Error | null, unknown]> | null;
    try {
      replies = await pipeline.exec();
    } catch (err) {
      return items.map(() => err as Error); // Redis unavailable: every item goes to the bookkeeping retry
    }
    return items.map((_, i) => replies?.[i]?.[0] ?? null);
  }

  private settleArgs(event: EventEnvelope, result: WriteResult): SettleArgs {
    const username = event.username;
    let email = '';
    let phone = '';
    if (event.type === 'user.created' || event.type === 'user.updated') {
      email = event.payload.email ?? '';
      phone = event.payload.phone ?? '';
    }
    const rejectedField = result.kind === 'rejected' || result.kind === 'duplicate' ? result.field : undefined;
    const rejection = rejectedField ? JSON.stringify({ eventId: event.eventId, reason: `${rejectedField} is already taken by another user`, at: new Date().toISOString() }) : '';
    const isDelete = event.type === 'user.deleted' || event.type === 'user.force_deleted';
    const row = result.row ?? (isDelete ? tombstone(username, event.eventId) : null);
    const entry = row ? cachedUserOf(row) : null;
    return [
      pendingMarkerKey(username),
      reservationKey('email', email || '-'),
      reservationKey('phone', phone || '-'),
      userCacheKey(username),
      rejectionKey(username),
      // Only creates set a marker; the owner check keeps a newer request's marker in place.
      event.type === 'user.created' ? event.eventId : '',
      username,
      email ? '1' : '0',
      phone ? '1' : '0',
      entry ? 'set' : 'del',
      entry ? this.seal.seal(entry) : '',
      entry?.updatedAt ?? '',
      String(this.options.userCacheTtlMs),
      rejection,
      String(this.options.rejectionTtlMs),
    ];
  }

  async refreshRows(rows: UserRow[]): Promise<void> {
    if (rows.length === 0) return;
    const pipeline = this.redis.pipeline() as ReturnType<Redis['pipeline']> & WithSettle;
    for (const row of rows) {
      const entry = cachedUserOf(row);
      pipeline.usersysSettle(pendingMarkerKey(row.username), reservationKey('email', '-'), reservationKey('phone', '-'), userCacheKey(row.username), rejectionKey(row.username), '', row.username, '0', '0', 'set', this.seal.seal(entry), entry.updatedAt, String(this.options.userCacheTtlMs), '', '0');
    }
    await pipeline.exec();
  }
}

/** What the cache says about a user whose row is gone (force delete of an already absent row). */
function tombstone(username: string, eventId: string): UserRow {
  // A tombstone needs no real account id: a deleted entry authorises nothing.
  return { username, accountId: '00000000-0000-0000-0000-000000000000', credentialVersion: 0, email: '', phone: '', nickname: null, role: 'user', state: 'deleted', passwordHash: '', lastEventId: eventId, updatedAt: new Date() };
}
