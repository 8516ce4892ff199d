import type { RedisClient } from '@usersys/service-kit';
import { rejectionKey, requestKey, reservationKey, revokedBeforeKey, userCacheKey, type ContactKind } from './keys';
import type { UserCacheSeal } from './seal';

export type UserRole = 'user' | 'admin';
export type UserState = 'active' | 'disabled' | 'deleted';

/**
 * What the cache holds for one user: everything login and uniqueness checks need, nothing more.
 * Rule: the consumer always SETs the fresh entry after a change (state 'deleted' as a tombstone after
 * a soft or force delete); readers only fill misses with fillCachedUser (NX).
 */
export interface CachedUser {
  username: string;
  /** The account's stable id (uuid from sign-up; a re-registered name gets a new one). */
  accountId: string;
  /** Raised by the consumer on password change, delete and disable: older tokens are revoked. */
  credentialVersion: number;
  email: string;
  phone: string;
  nickname: string | null;
  role: UserRole;
  state: UserState;
  /** bcrypt hash (never a plaintext password). */
  passwordHash: string;
  lastEventId: string | null;
  /** ISO time of the row's last change. */
  updatedAt: string;
}

/** The columns of a `users` row the cache holds (structural, so this lib needs no Prisma types). */
export type UserRowLike = Omit<CachedUser, 'updatedAt'> & { updatedAt: Date };

/** The cache entry for a database row: one mapping for every reader and writer of the cache. */
export function cachedUserOf(row: UserRowLike): CachedUser {
  return {
    username: row.username,
    accountId: row.accountId,
    credentialVersion: row.credentialVersion,
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

export interface Rejection {
  eventId: string;
  reason: string;
  /** ISO time the consumer rejected it. */
  at: string;
}

/** What a client asked for, in the words of GET /v1/requests/{requestId}. */
export type RequestType = 'create' | 'update' | 'delete' | 'force_delete' | 'disable' | 'enable';

/** An accepted write as user-command recorded it, so its requester can follow it by request id. */
export interface RequestRecord {
  type: RequestType;
  username: string;
  /** ISO time user-command accepted it. */
  acceptedAt: string;
  /**
   * Set when the WAL append failed for certain (nothing was written): the request ends rejected
   * with this reason. Whoever already holds the id (a double submit answered with the in-flight
   * request's id) reads that instead of a `pending` that would never end.
   */
  notWritten?: string;
  /** The WAL (user-command's WAL_NAME) the request was appended to, so the requests of a lost WAL can be found. */
  wal?: string;
}

export const DEFAULT_USER_CACHE_TTL_MS = 10 * 60_000;
export const DEFAULT_RESERVATION_TTL_MS = 15 * 60_000;
export const DEFAULT_REJECTION_TTL_MS = 60 * 60_000;
/** At least a day, so a client can still ask tomorrow what became of today's request. */
export const DEFAULT_REQUEST_TTL_MS = 25 * 60 * 60_000;

function parse<T>(raw: string | null): T | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null; // a corrupt entry behaves like a miss; the writer overwrites it
  }
}

/** An entry that is missing, unsealed, tampered with or sealed under another key reads as a miss. */
export async function readCachedUser(redis: RedisClient, seal: UserCacheSeal, username: string): Promise<CachedUser | null> {
  const user = seal.open(await redis.get(userCacheKey(username)));
  return user && user.username === username ? user : null;
}

export async function writeCachedUser(redis: RedisClient, seal: UserCacheSeal, user: CachedUser, ttlMs = DEFAULT_USER_CACHE_TTL_MS): Promise<void> {
  await redis.set(userCacheKey(user.username), seal.seal(user), 'PX', ttlMs);
}

/**
 * Fills the cache after a miss (SET NX): never overwrites what the consumer wrote, so a reader that
 * loaded an older row from the database cannot replace the consumer's fresh entry.
 */
export async function fillCachedUser(redis: RedisClient, seal: UserCacheSeal, user: CachedUser, ttlMs = DEFAULT_USER_CACHE_TTL_MS): Promise<boolean> {
  return (await redis.set(userCacheKey(user.username), seal.seal(user), 'PX', ttlMs, 'NX')) === 'OK';
}

// Only ever raised: a late or repeated revocation never un-revokes a later one. The value is
// `<ms>:<minVersion>` (a bare `<ms>` reads as version 0); each part is kept at its maximum. The TTL is
// kept at the longer of the two, so an earlier long-lived marker is not shortened either.
const RAISE = `
local raw = redis.call('GET', KEYS[1]) or '0'
local ms, ver = string.match(raw, '^(%d+):?(%d*)$')
local at, minVersion = tonumber(ARGV[1]), tonumber(ARGV[3])
ms, ver = tonumber(ms) or 0, tonumber(ver) or 0
if at > ms then ms = at end
if minVersion > ver then ver = minVersion end
redis.call('SET', KEYS[1], string.format('%d:%d', ms, ver), 'KEEPTTL')
local ttl = redis.call('PTTL', KEYS[1])
if ttl < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1`;

/** What `auth:revoked-before:<accountId>` says: sessions begun at or before `beforeMs`, and tokens on a credential version below `minVersion`, are revoked. */
export interface SessionRevocation {
  beforeMs: number;
  minVersion: number;
}

/**
 * Revokes every token of an account issued at or before `atMs` (ms since the epoch), from the
 * moment the change that revokes them is accepted. It only has to outlive the time until the
 * consumer applies the change: from then on the account's credential version or state in
 * PostgreSQL refuses the same tokens.
 *
 * `minVersion` is the credential version the accepted change brings (the account's version + 1):
 * until the consumer applies it, the old password still logs in (cache and PostgreSQL have it), and
 * such a session begins after `atMs` on the old version; it is revoked too.
 */
export async function revokeSessionsBefore(redis: RedisClient, accountId: string, atMs: number, ttlMs = DEFAULT_REQUEST_TTL_MS, minVersion = 0): Promise<void> {
  await redis.eval(RAISE, 1, revokedBeforeKey(accountId), String(Math.floor(atMs)), String(ttlMs), String(Math.floor(minVersion)));
}

// The one exception to "only ever raised": the version part is lowered to ARGV[1] when it is above
// it; the time part and the TTL stay (sessions already logged out stay logged out).
const LOWER_VERSION = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local ms, ver = string.match(raw, '^(%d+):?(%d*)$')
if not ms or (tonumber(ver) or 0) <= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], string.format('%d:%d', tonumber(ms), tonumber(ARGV[1])), 'KEEPTTL')
return 1`;

/**
 * Lowers the revocation's minimum credential version to `version` (the account's version in
 * PostgreSQL) when it names a higher one. Only for a change that will never be applied: its WAL
 * was lost (user-command's lost-WAL settlement). Otherwise every new login of the account would
 * be refused until the marker expires, waiting for a version that never comes. True when lowered.
 */
export async function lowerRevocationVersion(redis: RedisClient, accountId: string, version: number): Promise<boolean> {
  return (await redis.eval(LOWER_VERSION, 1, revokedBeforeKey(accountId), String(Math.floor(version)))) === 1;
}

/** The account's revocation (null: none recorded). */
export async function readSessionRevocation(redis: RedisClient, accountId: string): Promise<SessionRevocation | null> {
  const raw = await redis.get(revokedBeforeKey(accountId));
  const m = raw === null ? null : /^(\d+)(?::(\d+))?$/.exec(raw);
  return m ? { beforeMs: Number(m[1]), minVersion: Number(m[2] ?? 0) } : null;
}

/** The account's revocation time in ms (null: none recorded). */
export async function readRevokedBefore(redis: RedisClient, accountId: string): Promise<number | null> {
  return (await readSessionRevocation(redis, accountId))?.beforeMs ?? null;
}

export async function deleteCachedUser(redis: RedisClient, username: string): Promise<void> {
  await redis.del(userCacheKey(username));
}

// Refresh when the key already belongs to `owner`, claim it when free; otherwise leave it alone.
const RESERVE = `
local current = redis.call('GET', KEYS[1])
if current == false then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
if current == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0`;

/**
 * Delete only our own reservation: another user may hold it after ours expired. KEYS[1] the
 * reservation, ARGV[1] the username (exported for callers that register it as a pipelined command).
 */
export const RELEASE_CONTACT_LUA = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Reserves an email or phone (already normalised) for `username`. True when it is ours now
 * (newly or already); false when another username holds it.
 */
export async function reserveContact(redis: RedisClient, kind: ContactKind, value: string, username: string, ttlMs = DEFAULT_RESERVATION_TTL_MS): Promise<boolean> {
  return (await redis.eval(RESERVE, 1, reservationKey(kind, value), username, String(ttlMs))) === 1;
}

/** Who holds a reservation, if anyone. */
export async function contactHolder(redis: RedisClient, kind: ContactKind, value: string): Promise<string | null> {
  return redis.get(reservationKey(kind, value));
}

/** Releases `username`'s reservation; a no-op when someone else holds it or it expired. */
export async function releaseContact(redis: RedisClient, kind: ContactKind, value: string, username: string): Promise<boolean> {
  return (await redis.eval(RELEASE_CONTACT_LUA, 1, reservationKey(kind, value), username)) === 1;
}

export async function recordRejection(redis: RedisClient, username: string, rejection: Omit<Rejection, 'at'>, ttlMs = DEFAULT_REJECTION_TTL_MS): Promise<void> {
  const value: Rejection = { ...rejection, at: new Date().toISOString() };
  await redis.set(rejectionKey(username), JSON.stringify(value), 'PX', ttlMs);
}

export async function readRejection(redis: RedisClient, username: string): Promise<Rejection | null> {
  return parse<Rejection>(await redis.get(rejectionKey(username)));
}

export async function clearRejection(redis: RedisClient, username: string): Promise<void> {
  await redis.del(rejectionKey(username));
}

export async function writeRequestRecord(redis: RedisClient, requestId: string, record: RequestRecord, ttlMs = DEFAULT_REQUEST_TTL_MS): Promise<void> {
  await redis.set(requestKey(requestId), JSON.stringify(record), 'PX', ttlMs);
}

export async function readRequestRecord(redis: RedisClient, requestId: string): Promise<RequestRecord | null> {
  return parse<RequestRecord>(await redis.get(requestKey(requestId)));
}
