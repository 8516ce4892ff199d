import type { Redis } from 'ioredis';
import type { RefreshStore, RotateOutcome } from '../domain/ports';

/** `auth:refresh:<familyId>` — the family's current generation, or `revoked`; TTL = refresh-token lifetime. */
export const refreshFamilyKey = (familyId: string) => `auth:refresh:${familyId}`;

// Atomic compare-and-rotate: of two concurrent refreshes with the same token one rotates and the
// other is a reuse (revoking the family). A missing key is generation 0 (a family nobody refreshed
// yet); a generation from the future means the family state was lost: refuse, never guess.
const ROTATE = `
local current = redis.call('GET', KEYS[1])
if current == 'revoked' then return 'revoked' end
local gen = tonumber(current or '0')
local presented = tonumber(ARGV[1])
if presented == gen then
  redis.call('SET', KEYS[1], tostring(gen + 1), 'PX', ARGV[2])
  return 'rotated'
end
if presented < gen then
  redis.call('SET', KEYS[1], 'revoked', 'PX', ARGV[2])
  return 'reused'
end
return 'unknown'`;

export class RedisRefreshStore implements RefreshStore {
  constructor(private readonly redis: Redis) {}

  async rotate(familyId: string, generation: number, ttlMs: number): Promise<RotateOutcome> {
    return (await this.redis.eval(ROTATE, 1, refreshFamilyKey(familyId), String(generation), String(ttlMs))) as RotateOutcome;
  }

  async revoke(familyId: string, ttlMs: number): Promise<void> {
    await this.redis.set(refreshFamilyKey(familyId), 'revoked', 'PX', ttlMs);
  }
}
