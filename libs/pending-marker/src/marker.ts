import type { Redis } from 'ioredis';

/**
 * The floor covers a 5-minute Kafka backlog plus 3 minutes of consumer recovery plus margin: a
 * marker that expires while its event is still queued lets a second sign-up of the same name in.
 */
export const PENDING_MARKER_FLOOR_MS = 10 * 60_000;
/** Markers written in one burst must not all expire in the same second. */
export const PENDING_MARKER_MAX_JITTER_MS = 5_000;

export function pendingMarkerKey(username: string): string {
  return `user:pending:${username}`;
}

/** TTL = max(configured, 10 min) + uniform 0–5 s jitter. */
export function pendingMarkerTtlMs(configuredMs: number, random: () => number = Math.random): number {
  return Math.max(configuredMs, PENDING_MARKER_FLOOR_MS) + Math.floor(random() * (PENDING_MARKER_MAX_JITTER_MS + 1));
}

/** What the marker records: which event and which trace wrote it (CONTRACT.md, "Redis keys"). */
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
}

export type MarkResult = { created: true; ttlMs: number } | { created: false; ttlMs: number; existing: PendingMarkerValue | null };

// Deletes the marker only when it still belongs to the given event, so a consumer finishing an
// old event never clears the marker of a newer request for the same name.
const CLEAR_IF_OWNER = `
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local ok, decoded = pcall(cjson.decode, v)
if ok and decoded['eventId'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return -1`;

export class PendingMarkerStore {
  private readonly configuredTtlMs: number;
  private readonly random: () => number;

  constructor(
    private readonly redis: Redis,
    options: { ttlMs: number; random?: () => number },
  ) {
    this.configuredTtlMs = options.ttlMs;
    this.random = options.random ?? Math.random;
  }

  /**
   * SET NX with the floor-and-jitter TTL. When a marker already exists (a retry, or a concurrent
   * request for the same name) only its TTL is refreshed and the existing value is returned.
   */
  async markIfAbsent(username: string, value: PendingMarkerValue): Promise<MarkResult> {
    const key = pendingMarkerKey(username);
    const ttlMs = pendingMarkerTtlMs(this.configuredTtlMs, this.random);
    const set = await this.redis.set(key, JSON.stringify(value), 'PX', ttlMs, 'NX');
    if (set === 'OK') return { created: true, ttlMs };
    const [[, existing], [, refreshed]] = (await this.redis.multi().get(key).pexpire(key, ttlMs).exec()) as [[unknown, string | null], [unknown, number]];
    return { created: false, ttlMs: refreshed === 1 ? ttlMs : 0, existing: parseValue(existing) };
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
