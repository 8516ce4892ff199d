import type { RedisClient } from '@usersys/service-kit';
import type { RefreshStore, Rotation } from '../domain/ports';

/**
 * `auth:refresh:<familyId>`: JSON `{gen, iatMs, rotatedAt}` (the family's current generation, when
 * its pair was signed and when it was rotated, ms) or `revoked`; TTL = refresh-token lifetime.
 * Absent = generation 0 (a family nobody refreshed yet: login writes nothing).
 */
export const refreshFamilyKey = (familyId: string) => `auth:refresh:${familyId}`;

// Atomic compare-and-rotate (RFC 9700 section 4.14; the choice is explained in domain/tokens.ts):
//   presented == gen                      -> gen+1, signed now                        'rotated'
//   presented == gen-1, within the grace  -> nothing changes; the stored signing time 'replayed'
//   presented <  gen (else)               -> the family is revoked                    'reused'
//   presented >  gen                      -> the family state was lost: refuse        'unknown'
// Two concurrent refreshes with one token: the first rotates, the second is a replay and gets
// the same pair. Times come from the caller (the gateway's clock), in ms.
const ROTATE = `
local raw = redis.call('GET', KEYS[1])
if raw == 'revoked' then return {'revoked'} end
local gen, iat, rotatedAt = 0, 0, 0
if raw then
  local ok, state = pcall(cjson.decode, raw)
  if not ok or type(state) ~= 'table' then return {'unknown'} end
  gen, iat, rotatedAt = tonumber(state.gen), tonumber(state.iatMs), tonumber(state.rotatedAt)
  if not gen or not iat or not rotatedAt then return {'unknown'} end
end
local presented, now, grace = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if presented == gen then
  redis.call('SET', KEYS[1], cjson.encode({gen = gen + 1, iatMs = now, rotatedAt = now}), 'PX', ARGV[4])
  return {'rotated', tostring(now)}
end
if presented == gen - 1 and now - rotatedAt <= grace then return {'replayed', tostring(iat)} end
if presented < gen then
  redis.call('SET', KEYS[1], 'revoked', 'PX', ARGV[4])
  return {'reused'}
end
return {'unknown'}`;

export class RedisRefreshStore implements RefreshStore {
  constructor(private readonly redis: RedisClient) {}

  async rotate(familyId: string, generation: number, at: { nowMs: number; graceMs: number; ttlMs: number }): Promise<Rotation> {
    const [outcome, issuedAt] = (await this.redis.eval(ROTATE, 1, refreshFamilyKey(familyId), String(generation), String(at.nowMs), String(at.graceMs), String(at.ttlMs))) as [string, string?];
    if (outcome === 'rotated' || outcome === 'replayed') return { outcome, issuedAtMs: Number(issuedAt) };
    return { outcome: outcome as 'reused' | 'revoked' | 'unknown' };
  }

  async revoke(familyId: string, ttlMs: number): Promise<void> {
    await this.redis.set(refreshFamilyKey(familyId), 'revoked', 'PX', ttlMs);
  }
}
