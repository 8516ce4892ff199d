import type { RedisClient } from '@usersys/service-kit';

/**
 * The floor covers a 5-minute Kafka backlog plus 3 minutes of consumer recovery plus margin: a
 * marker that expires while its event is still queued lets a second sign-up of the same name in.
 */
export const PENDING_MARKER_FLOOR_MS = 10 * 60_000;
/** Markers written in one burst must not all expire in the same second. */
export const PENDING_MARKER_MAX_JITTER_MS = 5_000;
/**
 * A marker lives this long until its event is in the WAL (`confirm`): a sign-up whose process died
 * between the marker and the WAL append (SIGKILL, a crash) leaves a marker that nothing will ever
 * clear, and its name must not read `pending` (nor block the name) for the full TTL. Far above the
 * time from SET NX to a durable append of a live sign-up (one indexed lookup, one Redis write, one
 * group commit).
 */
export const PROVISIONAL_MARKER_TTL_MS = 30_000;

/**
 * `user:pending:{<username>}`: the username is a hash tag (docs/architecture.md, "Redis keys"), so in a Redis
 * Cluster the marker shares a slot with the user's cache entry and rejection record
 * (@usersys/user-cache), which user-consumer settles together in one script.
 */
export function pendingMarkerKey(username: string): string {
  return `user:pending:{${username}}`;
}

/** TTL = max(configured, 10 min) + uniform 0–5 s jitter. */
export function pendingMarkerTtlMs(configuredMs: number, random: () => number = Math.random): number {
  return Math.max(configuredMs, PENDING_MARKER_FLOOR_MS) + Math.floor(random() * (PENDING_MARKER_MAX_JITTER_MS + 1));
}

/** What the marker records: which event and which trace wrote it (docs/architecture.md, "Redis keys"). */
export interface PendingMarkerValue {
  eventId: string;
  eventType: string;
  traceId?: string;
  createdAt: string;
  /**
   * The normalised contacts of the sign-up that wrote it, so a repeated request can tell a client
   * retry (same contacts: same answer) from a different sign-up racing for the same name.
   */
  contacts?: { email?: string; phone?: string };
  /**
   * False from SET NX until the event is in the WAL (then `confirm` sets it and the full TTL). A
   * retry is answered with the marker's request id only once it is confirmed. Markers written
   * before this field existed count as confirmed.
   */
  confirmed?: boolean;
}

export type MarkResult = { created: true; ttlMs: number } | { created: false; ttlMs: number; existing: PendingMarkerValue | null };

/**
 * Lua defining `clear_marker_if_owner(key, eventId)`: deletes the marker only when it still belongs
 * to the given event, so a consumer finishing an old event never clears the marker of a newer
 * request for the same name. Returns 1 cleared, 0 absent, -1 another event's (or unreadable).
 * Prepended to every script that clears a marker (`clear` here, user-consumer's settle script).
 */
export const CLEAR_MARKER_IF_OWNER_LUA = `
local function clear_marker_if_owner(key, eventId)
  local v = redis.call('GET', key)
  if not v then return 0 end
  local ok, decoded = pcall(cjson.decode, v)
  if ok and type(decoded) == 'table' and decoded['eventId'] == eventId then return redis.call('DEL', key) end
  return -1
end`;

const CLEAR_IF_OWNER = `${CLEAR_MARKER_IF_OWNER_LUA}
return clear_marker_if_owner(KEYS[1], ARGV[1])`;

// A confirmed (or older, field-less) marker gets the full TTL again; a provisional one keeps its
// short remaining life, so a retry never prolongs a marker whose event may never reach the WAL.
// Returns the raw value and the TTL in force afterwards.
const READ_AND_REFRESH = `
local v = redis.call('GET', KEYS[1])
if not v then return {false, 0} end
local ok, decoded = pcall(cjson.decode, v)
if ok and type(decoded) == 'table' and decoded['confirmed'] == false then return {v, redis.call('PTTL', KEYS[1])} end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {v, tonumber(ARGV[1])}`;

// Owner-checked: marks the marker of this event confirmed and gives it the full TTL.
const CONFIRM_IF_OWNER = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, decoded = pcall(cjson.decode, v)
if not ok or type(decoded) ~= 'table' or decoded['eventId'] ~= ARGV[1] then return 0 end
decoded['confirmed'] = true
redis.call('SET', KEYS[1], cjson.encode(decoded), 'PX', ARGV[2])
return 1`;

export class PendingMarkerStore {
  private readonly configuredTtlMs: number;
  private readonly random: () => number;

  constructor(
    private readonly redis: RedisClient,
    options: { ttlMs: number; random?: () => number },
  ) {
    this.configuredTtlMs = options.ttlMs;
    this.random = options.random ?? Math.random;
  }

  /**
   * SET NX of a provisional marker (`confirmed: false`, PROVISIONAL_MARKER_TTL_MS). When a marker
   * already exists (a retry, or a concurrent request for the same name) its value is returned and,
   * if it is confirmed, its TTL refreshed to the full floor-and-jitter TTL.
   */
  async markIfAbsent(username: string, value: PendingMarkerValue): Promise<MarkResult> {
    const key = pendingMarkerKey(username);
    const set = await this.redis.set(key, JSON.stringify({ ...value, confirmed: false }), 'PX', PROVISIONAL_MARKER_TTL_MS, 'NX');
    if (set === 'OK') return { created: true, ttlMs: PROVISIONAL_MARKER_TTL_MS };
    const ttlMs = pendingMarkerTtlMs(this.configuredTtlMs, this.random);
    const [existing, ttlAfter] = (await this.redis.eval(READ_AND_REFRESH, 1, key, String(ttlMs))) as [string | null, number];
    return { created: false, ttlMs: existing ? Math.max(0, ttlAfter) : 0, existing: parseValue(existing) };
  }

  /**
   * The marker's event is in the WAL now: confirmed, with the full floor-and-jitter TTL (it must
   * outlive a Kafka backlog). Owner-checked; false when the marker is gone or belongs to another event.
   */
  async confirm(username: string, eventId: string): Promise<boolean> {
    const ttlMs = pendingMarkerTtlMs(this.configuredTtlMs, this.random);
    return (await this.redis.eval(CONFIRM_IF_OWNER, 1, pendingMarkerKey(username), eventId, String(ttlMs))) === 1;
  }

  /** Pushes the expiry out again; false when there was no marker. */
  async refresh(username: string): Promise<boolean> {
    return (await this.redis.pexpire(pendingMarkerKey(username), pendingMarkerTtlMs(this.configuredTtlMs, this.random))) === 1;
  }

  async read(username: string): Promise<{ value: PendingMarkerValue | null; ttlRemainingMs: number } | null> {
    const key = pendingMarkerKey(username);
    const [[, raw], [, pttl]] = (await this.redis.multi().get(key).pttl(key).exec()) as [[unknown, string | null], [unknown, number]];
    if (raw === null) return null;
    return { value: parseValue(raw), ttlRemainingMs: pttl };
  }

  /**
   * Clears the marker. With an event id, only a marker written for that event is removed;
   * 'other' means a newer request owns it now.
   */
  async clear(username: string, eventId?: string): Promise<'cleared' | 'absent' | 'other'> {
    const key = pendingMarkerKey(username);
    if (eventId === undefined) return (await this.redis.del(key)) === 1 ? 'cleared' : 'absent';
    const result = (await this.redis.eval(CLEAR_IF_OWNER, 1, key, eventId)) as number;
    return result === 1 ? 'cleared' : result === 0 ? 'absent' : 'other';
  }
}

function parseValue(raw: string | null): PendingMarkerValue | null {
  if (raw === null) return null;
  try {
    return JSON.parse(raw) as PendingMarkerValue;
  } catch {
    return null;
  }
}
