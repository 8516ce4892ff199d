import type { RedisClient } from '@usersys/service-kit';
import type { FailureCounter, LockoutCounters, LockoutPolicy, LockoutStore } from '../domain/brute-force-guard';

/**
 * `auth:lockout:{<username>}`: one hash per username (the hash tag keeps it in one cluster slot),
 * field `net:<network>` per client network and `all` across networks, each
 * `failures:windowStart:lockedUntil:locks` (ms). Windows are kept as their start time, so no field
 * needs a TTL of its own; the key expires once nothing in it matters any more (its newest window has run
 * out, and a window has passed since its last lock ended, which ends the doubling streak): one failure
 * of an unknown name costs Redis one small key for LOCKOUT_WINDOW.
 */
export const lockoutKey = (username: string) => `auth:lockout:{${username}}`;
const networkField = (network: string) => `net:${network}`;
const ACROSS = 'all';

// addFailure / countFailure of domain/brute-force-guard.ts, atomically (the same cases test both).
// A new network field in a hash that grew large first drops the networks that no longer matter
// (window over, no lock in force, streak forgotten), so an attacker rotating networks cannot grow it.
const COUNT_FAILURE = `
local field, now = ARGV[1], tonumber(ARGV[2])
local threshold, globalThreshold, window = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local base, max = tonumber(ARGV[6]), tonumber(ARGV[7])
local function parse(v)
  if not v then return {0, 0, 0, 0} end
  local f, ws, lu, l = string.match(v, '^(%d+):(%d+):(%d+):(%d+)$')
  if not f then return {0, 0, 0, 0} end
  return {tonumber(f), tonumber(ws), tonumber(lu), tonumber(l)}
end
local function add(c, limit)
  local locks = c[4]
  if locks > 0 and now >= c[3] + window then locks = 0 end
  local failures, ws = c[1] + 1, c[2]
  if c[1] == 0 or now - c[2] >= window or c[3] > c[2] then failures, ws = 1, now end
  if failures < limit then return {failures, ws, c[3], locks} end
  local d = base * 2 ^ math.min(locks, 40)
  if d > max then d = max end
  return {failures, ws, now + d, locks + 1}
end
local function format(c) return string.format('%d:%d:%d:%d', c[1], c[2], c[3], c[4]) end
local raw = redis.call('HMGET', KEYS[1], field, '${ACROSS}')
local pair, across = parse(raw[1]), parse(raw[2])
if pair[3] > now or across[3] > now then return 0 end
if not raw[1] and redis.call('HLEN', KEYS[1]) >= 64 then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    local c = parse(all[i + 1])
    if all[i] ~= '${ACROSS}' and now - c[2] >= window and now >= c[3] + window then redis.call('HDEL', KEYS[1], all[i]) end
  end
end
pair, across = add(pair, threshold), add(across, globalThreshold)
redis.call('HSET', KEYS[1], field, format(pair), '${ACROSS}', format(across))
local keep = math.max(pair[2], pair[3], across[2], across[3]) + window - now
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 1`;

function parse(value: string | null | undefined): FailureCounter | undefined {
  const m = value ? /^(\d+):(\d+):(\d+):(\d+)$/.exec(value) : null;
  return m ? { failures: Number(m[1]), windowStart: Number(m[2]), lockedUntil: Number(m[3]), locks: Number(m[4]) } : undefined;
}

export class RedisLockoutStore implements LockoutStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly policy: LockoutPolicy,
  ) {}

  async read(username: string, network: string): Promise<LockoutCounters> {
    const [pair, across] = await this.redis.hmget(lockoutKey(username), networkField(network), ACROSS);
    return { network: parse(pair), username: parse(across) };
  }

  async countFailure(username: string, network: string, now: number): Promise<void> {
    const p = this.policy;
    await this.redis.eval(COUNT_FAILURE, 1, lockoutKey(username), networkField(network), now, p.threshold, p.globalThreshold, p.windowMs, p.baseLockMs, p.maxLockMs);
  }

  async clearNetwork(username: string, network: string): Promise<void> {
    await this.redis.hdel(lockoutKey(username), networkField(network));
  }

  async readAll(username: string): Promise<{ networks: FailureCounter[]; username?: FailureCounter }> {
    const all = await this.redis.hgetall(lockoutKey(username));
    const networks = Object.entries(all)
      .filter(([field]) => field.startsWith('net:'))
      .map(([, value]) => parse(value))
      .filter((c): c is FailureCounter => c !== undefined);
    return { networks, username: parse(all[ACROSS]) };
  }

  async clearAll(username: string): Promise<void> {
    await this.redis.del(lockoutKey(username));
  }
}
