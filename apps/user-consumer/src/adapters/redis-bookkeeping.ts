import type { EventEnvelope } from '@usersys/event-schema';
import { CLEAR_MARKER_IF_OWNER_LUA, pendingMarkerKey } from '@usersys/pending-marker';
import { sendEach, type RedisCall, type RedisClient } from '@usersys/service-kit';
import { cachedUserOf, rejectionKey, RELEASE_CONTACT_LUA, reservationKey, userCacheKey, type UserCacheSeal } from '@usersys/user-cache';
import type { Bookkeeping, UserRow, WriteResult } from '../domain/ports';

// Everything after one write, one round trip per batch (one single-slot command per step, sent
// together by sendEach). It does what the shared libs do, with the same owner checks:
// PendingMarkerStore.clear(name, eventId) (delete only the marker written for this event),
// recordRejection, and the consumer's SET of the fresh CachedUser, here guarded so an older version of
// the row never replaces a newer one (updatedAt is ISO text); and releaseContact for the email and
// phone (delete a reservation only while this user holds it).
//
// The user's three keys share the hash tag `{<username>}`, so they stay one script (one slot in a
// Redis Cluster). The reservations are keyed by contact (other slots) and released by their own
// owner-checked script. Splitting them off weakens nothing: this runs only after the write is
// committed, and from then on PostgreSQL's unique email and phone columns refuse any other user the
// contact (user-command checks them as well as the reservation); a reservation is only an early
// refusal. Each step is idempotent and owner-checked, so any of them failing alone sends the event to
// the bookkeeping retry, which redoes all of them without harm; a reservation left behind expires by
// its TTL, as when Redis is down.
// KEYS: marker, cache, rejection
// ARGV: eventId|'', 'set'|'del', cacheJson, updatedAt, cacheTtlMs, rejectionJson|'', rejectionTtlMs
const SETTLE_USER = `${CLEAR_MARKER_IF_OWNER_LUA}
if ARGV[1] ~= '' then clear_marker_if_owner(KEYS[1], ARGV[1]) end
if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[7]) end
if ARGV[2] == 'del' then
  redis.call('DEL', KEYS[2])
else
  local cur = redis.call('GET', KEYS[2])
  if cur then
    local ok, d = pcall(cjson.decode, cur)
    if ok and type(d) == 'table' and type(d['updatedAt']) == 'string' and d['updatedAt'] > ARGV[4] then return 0 end
  end
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
end
return 1`;

const SETTLE_USER_COMMAND = 'usersysSettleUser';
const RELEASE_CONTACT_COMMAND = 'usersysReleaseContact';

/**
 * Same keys user-command and the gateway read: the pending marker, `user:reserve:*`, `user:cache:*`,
 * `user:rejected:*` (key names from @usersys/pending-marker and @usersys/user-cache).
 */
export class RedisBookkeeping implements Bookkeeping {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { rejectionTtlMs: number; userCacheTtlMs: number },
    private readonly seal: UserCacheSeal,
  ) {
    redis.defineCommand(SETTLE_USER_COMMAND, { numberOfKeys: 3, lua: SETTLE_USER });
    redis.defineCommand(RELEASE_CONTACT_COMMAND, { numberOfKeys: 1, lua: RELEASE_CONTACT_LUA });
  }

  async markerEventIds(usernames: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (usernames.length === 0) return out;
    // One GET per user, not an MGET: each user's marker lives in that user's slot. Nothing needs
    // the markers read at one instant: each create is decided on its own user's marker alone.
    const replies = await sendEach(
      this.redis,
      usernames.map((u) => ['get', pendingMarkerKey(u)]),
    );
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0]; // the port's rule: any unknown marker = decide every create from the database
    usernames.forEach((u, i) => {
      const value = replies[i][1] as string | null;
      let eventId: string | null = null;
      try {
        eventId = value ? ((JSON.parse(value) as { eventId?: string }).eventId ?? null) : null;
      } catch {
        eventId = null;
      }
      out.set(u, eventId);
    });
    return out;
  }

  async settle(items: Array<{ event: EventEnvelope; result: WriteResult }>): Promise<Array<Error | null>> {
    if (items.length === 0) return [];
    const steps = items.map(({ event, result }) => this.settleSteps(event, result));
    const replies = await sendEach(this.redis, steps.flat());
    let next = 0;
    return steps.map((itemSteps) => {
      const mine = replies.slice(next, (next += itemSteps.length));
      return mine.find(([err]) => err)?.[0] ?? null;
    });
  }

  private settleSteps(event: EventEnvelope, result: WriteResult): RedisCall[] {
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
    const steps: RedisCall[] = [
      [
        SETTLE_USER_COMMAND,
        pendingMarkerKey(username),
        userCacheKey(username),
        rejectionKey(username),
        // Only creates set a marker; the owner check keeps a newer request's marker in place.
        event.type === 'user.created' ? event.eventId : '',
        entry ? 'set' : 'del',
        entry ? this.seal.seal(entry) : '',
        entry?.updatedAt ?? '',
        String(this.options.userCacheTtlMs),
        rejection,
        String(this.options.rejectionTtlMs),
      ],
    ];
    if (email) steps.push([RELEASE_CONTACT_COMMAND, reservationKey('email', email), username]);
    if (phone) steps.push([RELEASE_CONTACT_COMMAND, reservationKey('phone', phone), username]);
    return steps;
  }

  async refreshRows(rows: UserRow[]): Promise<void> {
    if (rows.length === 0) return;
    const replies = await sendEach(
      this.redis,
      rows.map((row): RedisCall => {
        const entry = cachedUserOf(row);
        return [SETTLE_USER_COMMAND, pendingMarkerKey(row.username), userCacheKey(row.username), rejectionKey(row.username), '', 'set', this.seal.seal(entry), entry.updatedAt, String(this.options.userCacheTtlMs), '', '0'];
      }),
    );
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
  }
}

/** What the cache says about a user whose row is gone (force delete of an already absent row). */
function tombstone(username: string, eventId: string): UserRow {
  // A tombstone needs no real account id: a deleted entry authorises nothing.
  return { username, accountId: '00000000-0000-0000-0000-000000000000', credentialVersion: 0, email: '', phone: '', nickname: null, role: 'user', state: 'deleted', passwordHash: '', lastEventId: eventId, updatedAt: new Date() };
}
